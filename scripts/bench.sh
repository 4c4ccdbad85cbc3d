#!/usr/bin/env bash
# Runs the benchmarks of docs/BENCHMARKS.md: makes sure Debian's redis-server is installed, starts
# a private instance on a free loopback port for the Redis peer, runs the bench runner, and stops
# Redis again. Expects the jars built (`make bench` / `make bench-quick` do it).
#
#   scripts/bench.sh           everything; rewrites the tables of docs/BENCHMARKS.md
#   scripts/bench.sh --quick   a smoke check; ends with one `RESULT name=value` line per figure
#   (anything after is passed to `admission-bench run`, e.g. --only load --reps 1; a run of some
#   stages writes its tables to bench/target/bench-run/tables.md instead)
set -euo pipefail
cd "$(dirname "$0")/.."

mode=()
if [ "${1:-}" = "--quick" ]; then
  mode=(--quick)
  shift
fi
bench_jar=bench/target/admission-bench.jar
server_jar=server/target/admission-server.jar
for jar in "$bench_jar" "$server_jar"; do
  [ -f "$jar" ] || { echo "bench: $jar is missing; run 'make bench' or 'make bench-quick'" >&2; exit 1; }
done

if ! command -v redis-server >/dev/null 2>&1; then
  echo "bench: installing Debian's redis-server for the peer benchmark" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi

work="$PWD/bench/target/bench-run"
rm -rf "$work"
mkdir -p "$work"

# A free loopback port: nothing answers on it.
port=""
for _ in $(seq 50); do
  candidate=$((20000 + RANDOM % 40000))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
    port=$candidate
    break
  fi
done
[ -n "$port" ] || { echo "bench: no free port found for Redis" >&2; exit 1; }

# In memory only, like Admission --in-memory: no snapshots, no append-only file.
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
  --dir "$work" --logfile "$work/redis.log" &
redis_pid=$!
trap 'kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  [ "$(redis-cli -p "$port" ping 2>/dev/null || true)" = "PONG" ] && break
  kill -0 "$redis_pid" 2>/dev/null || { echo "bench: redis-server did not start:" >&2; cat "$work/redis.log" >&2; exit 1; }
  sleep 0.1
done
commit=$(git describe --always --dirty 2>/dev/null || echo unknown)

# The runner only starts and reads other JVMs; it measures nothing itself.
java -Xms512m -Xmx512m -jar "$bench_jar" run "${mode[@]}" \
  --server-jar "$server_jar" --work "$work" --commit "$commit" \
  --redis "127.0.0.1:$port" --redis-pid "$redis_pid" --report docs/BENCHMARKS.md "$@"
