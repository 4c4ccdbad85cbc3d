#!/usr/bin/env bash
# Checks what `make dist` ships, as an operator would install it: the tarball's layout, the
# systemd unit accepted by `systemd-analyze verify` without a single warning, the launchers, and
# the example config accepted by the server it ships with.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "check-dist: installing Debian's systemd for systemd-analyze" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq systemd >/dev/null
fi
tarball=$(scripts/dist.sh)
work=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
tar -xzf "$tarball" -C "$work"
root=$(echo "$work"/admission-*)
for f in lib/admission-server.jar lib/admission-cli.jar bin/admission bin/admission-server \
    systemd/admission.service config/admission.json README.md; do
  [ -e "$root/$f" ] || { echo "check-dist: $tarball lacks $f"; exit 1; }
done

# verify prints warnings (an unknown key, a bad value) and still exits 0: any output is a failure.
verify=$(systemd-analyze verify "$root/systemd/admission.service" 2>&1) \
  || { echo "check-dist: systemd-analyze verify failed: $verify"; exit 1; }
[ -z "$verify" ] || { echo "check-dist: systemd-analyze verify warns: $verify"; exit 1; }

"$root/bin/admission" --help >/dev/null || { echo "check-dist: bin/admission --help failed"; exit 1; }

log="$work/server.log"
"$root/bin/admission-server" --listen 127.0.0.1:0 --in-memory --config "$root/config/admission.json" >"$log" 2>&1 &
server=$!
for _ in $(seq 300); do
  grep -q "listening on" "$log" && break
  kill -0 "$server" 2>/dev/null || { echo "check-dist: the example config was refused:"; cat "$log"; exit 1; }
  sleep 0.1
done
grep -q "listening on" "$log" || { echo "check-dist: the server did not start:"; cat "$log"; exit 1; }
echo "check-dist: $(basename "$tarball") installs, its unit verifies, its config starts the server"
