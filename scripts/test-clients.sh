#!/usr/bin/env bash
# Tests the Python and Node clients against the real server jar (server/target/admission-server.jar,
# built by `mvn install` or `mvn package`): each suite starts its own in-memory server on a free
# port. Generates their stubs first (scripts/gen-clients.sh), which installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/gen-clients.sh
echo "Python client (clients/python):"
(cd clients/python && /usr/bin/python3 -m unittest discover -s tests -t .)
echo "Node client (clients/node):"
(cd clients/node && node --test test/*.test.js)
