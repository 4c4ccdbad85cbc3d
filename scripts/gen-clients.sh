#!/usr/bin/env bash
# Generates the Python and Node stubs of admission.v1 (buf.gen.yaml) into git-ignored folders:
# clients/python/admission/v1 and clients/node/gen. Installs what they need when it is missing:
# Debian's protoc, gRPC Python plugin and Python runtime (apt), the Node packages pinned in
# clients/node/package-lock.json (npm ci), and buf (scripts/install-tools.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

# Python stubs run on /usr/bin/python3 with Debian's runtime: the python3 on PATH may be another
# install that cannot see Debian's packages, and PyPI is not reachable here.
debs=(protobuf-compiler libprotobuf-dev protobuf-compiler-grpc python3-grpcio python3-protobuf)
missing=()
for deb in "${debs[@]}"; do
  dpkg -s "$deb" >/dev/null 2>&1 || missing+=("$deb")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "gen-clients: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# npm ci only when the lockfile changed since the last install: it deletes node_modules first.
if [ ! clients/node/node_modules/.package-lock.json -nt clients/node/package-lock.json ]; then
  npm ci --prefix clients/node --silent --no-audit --no-fund >/dev/null
fi

scripts/install-tools.sh
rm -rf clients/python/admission/v1 clients/node/gen
.tools/node_modules/.bin/buf generate
