#!/usr/bin/env bash
# Builds target/dist/admission-<version>.tar.gz from the built jars: the server, the CLI with a
# launcher, the systemd unit and an example config (packaging/). `make dist` builds the jars first.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(sed -n 's:.*<version>\(.*\)</version>.*:\1:p' pom.xml | head -1)
name="admission-$version"
for jar in server/target/admission-server.jar client-stub/target/admission-cli.jar; do
  [ -f "$jar" ] || { echo "dist: $jar is missing; run 'make dist'" >&2; exit 1; }
done
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root="$stage/$name"
install -D -m 0644 server/target/admission-server.jar "$root/lib/admission-server.jar"
install -D -m 0644 client-stub/target/admission-cli.jar "$root/lib/admission-cli.jar"
install -D -m 0644 packaging/admission.service "$root/systemd/admission.service"
install -D -m 0644 packaging/admission.json "$root/config/admission.json"
install -D -m 0644 packaging/README.md "$root/README.md"
mkdir -p "$root/bin"
cat >"$root/bin/admission" <<'LAUNCHER'
#!/bin/sh
# The operator's command-line client; `admission --help` lists its commands.
exec java -jar "$(dirname "$(readlink -f "$0")")/../lib/admission-cli.jar" "$@"
LAUNCHER
cat >"$root/bin/admission-server" <<'LAUNCHER'
#!/bin/sh
# The server, for a run by hand; the systemd unit starts the jar directly.
exec java -jar "$(dirname "$(readlink -f "$0")")/../lib/admission-server.jar" "$@"
LAUNCHER
chmod 0755 "$root/bin/admission" "$root/bin/admission-server"
mkdir -p target/dist
tar -czf "target/dist/$name.tar.gz" -C "$stage" --owner=0 --group=0 "$name"
echo "target/dist/$name.tar.gz"
