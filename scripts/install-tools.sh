#!/usr/bin/env bash
# Installs the project's build-time tools into .tools/ (git-ignored), once.
# buf: `npm install @bufbuild/buf` ships a working binary (used for `buf lint` and `buf curl`).
set -euo pipefail
cd "$(dirname "$0")/.."
BUF_VERSION=1.75.0
if [ -x .tools/node_modules/.bin/buf ] && [ "$(.tools/node_modules/.bin/buf --version)" = "$BUF_VERSION" ]; then
  exit 0
fi
mkdir -p .tools
npm install --silent --prefix .tools --no-audit --no-fund "@bufbuild/buf@$BUF_VERSION" >/dev/null
