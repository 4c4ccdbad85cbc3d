#!/usr/bin/env bash
# `make soak`: the durable server under paced load with a kill -9 and restart every few minutes
# (SoakIT, tagged soak: never part of `make test`). It measures the clients' unpaced throughput
# first, then runs at 70 % of it, sampling each minute's throughput, client p99 and the server's
# live heap (counted in a full GC), checks after every restart that nothing acknowledged was lost or granted twice,
# and writes the report (docs/SOAK.md unless --report says otherwise).
#
#   scripts/soak.sh [--minutes N] [--kill-every MINUTES] [--report FILE]
#   (defaults: 30 minutes, a kill every 5; a run under 30 minutes is labelled a short validation run)
#
# It needs a quiet machine for its figures to mean much. Progress goes to
# server/target/failsafe-reports/io.admission.server.SoakIT-output.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
MVN=${MVN:-mvn -B -q}
minutes=30
kill_every=5
report=docs/SOAK.md
while [ $# -gt 0 ]; do
  case $1 in
    --minutes) minutes=$2; shift 2 ;;
    --kill-every) kill_every=$2; shift 2 ;;
    --report) report=$2; shift 2 ;;
    *) echo "usage: scripts/soak.sh [--minutes N] [--kill-every MINUTES] [--report FILE]" >&2; exit 2 ;;
  esac
done
case $report in /*) ;; *) report="$PWD/$report" ;; esac
echo "soak: $minutes min, a kill every $kill_every min; report to $report"
# package (not install) builds the server jar that the test starts; only SoakIT runs.
$MVN verify -pl server -am \
  -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test=SoakIT -Dfailsafe.failIfNoSpecifiedTests=false \
  -DexcludedTestGroups=none -Dgroups=soak \
  -Dsoak.minutes="$minutes" -Dsoak.killEveryMinutes="$kill_every" -Dsoak.report="$report"
cat "$report"
