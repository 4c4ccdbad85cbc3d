#!/usr/bin/env bash
# `make test`: every step runs even when one before it failed (so one run shows everything that
# is wrong), then one summary line across every module's tests and the scripted checks.
# The tests' own output (including the log lines of deliberate fault injection) goes to
# */target/surefire-reports/*-output.txt, not to the console.
set -uo pipefail
cd "$(dirname "$0")/.."
MVN=${MVN:-mvn -B -q}
steps=$(mktemp)
trap 'rm -f "$steps"' EXIT
step() { # step NAME COMMAND...
  local name=$1
  shift
  echo "== $name"
  if "$@"; then echo "$name passed" >>"$steps"; else echo "$name failed" >>"$steps"; fi
}
rm -rf ./*/target/surefire-reports ./*/target/failsafe-reports
step lint make --no-print-directory lint
step maven $MVN install
step walk-through scripts/readme-walkthrough.sh
step running-safely scripts/readme-safely.sh
step cluster-walk-through scripts/readme-cluster.sh
step clients scripts/test-clients.sh
step dist scripts/check-dist.sh
/usr/bin/python3 scripts/test-summary.py "$steps"
