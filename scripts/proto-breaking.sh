#!/usr/bin/env bash
# Fails when the public API (proto/src/main/proto, package admission.v1) changed in a way that
# breaks generated clients: a field renamed or renumbered, a type changed, an RPC removed. The
# files as they are now (committed or not) are compared with the previous commit, so CI on a clean
# checkout checks the last change and a developer checks theirs before committing. buf's FILE
# rules (buf.yaml) are the strictest: they also protect the generated code's names.
# A deliberate break needs a new package version (admission.v2), never an edit in place.
set -euo pipefail
cd "$(dirname "$0")/.."
buf=.tools/node_modules/.bin/buf
if ! git rev-parse --verify --quiet HEAD~1 >/dev/null; then
  echo "proto-breaking: no previous commit to compare with (a shallow clone?); not checked" >&2
  exit 0
fi
"$buf" breaking --against '.git#ref=HEAD~1'
