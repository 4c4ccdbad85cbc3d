#!/usr/bin/env bash
# Runs README.md's "Running it safely" commands (the ```sh block between the safely markers), in
# order and as written, in a scratch directory — only port 50051 is swapped for a free one — and
# checks that they show what the README says: the secure default, tokens by role, a token added
# by SIGHUP, TLS with a private CA, and the actor in the audit log.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/readme-lib.sh
repo=$PWD

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ln -s "$repo/server" "$work/server"
ln -s "$repo/client-stub" "$work/client-stub"
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

readme_block safely | sed "s/50051/$port/g" >"$work/block.sh"
# The block stops its server last; if a command before fails, stop it all the same.
{ echo 'trap '"'"'[ -n "${server:-}" ] && kill "$server" 2>/dev/null || true'"'"' EXIT'; cat "$work/block.sh"; } >"$work/safely.sh"

out="$work/out.txt"
if ! (cd "$work" && timeout 180 bash -euo pipefail safely.sh) >"$out" 2>&1; then
  echo "README running-it-safely failed; its output:"; cat "$out"
  [ -f "$work/server.log" ] && { echo "server log:"; cat "$work/server.log"; }
  exit 1
fi

what="README running-it-safely"
expect "the secure default's one line" "^admission-server: --listen 0\.0\.0\.0:$port: not a loopback address"
expect "its exit code" '^exit 2$'
expect "the org created by the admin token" '"created":true'
expect "the monitor token's refusal" "^PERMISSION_DENIED: this token's role does not allow this request"
expect "no token: refused" '^UNAUTHENTICATED: a known token is required'
expect "the dialer's grant after SIGHUP" '"outcome":"OUTCOME_GRANTED"'
expect "the admin named in the audit log" '"actor":"ops-alice"'
expect "the dialer named in the audit log" '"actor":"dialer-1"'
echo "README running-it-safely: every command ran and showed what the README says"
