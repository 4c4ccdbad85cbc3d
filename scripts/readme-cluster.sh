#!/usr/bin/env bash
# Runs README.md's "Running a cluster" commands (the ```sh blocks between the cluster markers), in
# order and as written, in a scratch directory — only the ports are swapped for free ones, and
# `make cluster` does not rebuild (make test has just built the jars) — and checks what the README
# says: a leader, a grant, a new leader (another node) after kill -9 of the old one, writes going
# on, and the restarted node reporting the same state as the others.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/readme-lib.sh
repo=$PWD

work=$(mktemp -d)
cleanup() {
  (cd "$work" && CLUSTER_GRPC="$grpc" CLUSTER_RAFT="$raft" CLUSTER_HTTP="$http" scripts/cluster.sh down >/dev/null 2>&1) || true
  rm -rf "$work"
}
free() { /usr/bin/python3 -c 'import socket
ss=[socket.socket() for _ in range(int(__import__("sys").argv[1]))]
[s.bind(("127.0.0.1", 0)) for s in ss]
print(",".join(str(s.getsockname()[1]) for s in ss))' "$1"; }
ports=$(free 7)
IFS=, read -r g1 g2 g3 r1 r2 r3 http <<<"$ports"
grpc="$g1,$g2,$g3"
raft="$r1,$r2,$r3"
trap cleanup EXIT
for f in server client-stub config scripts Makefile; do ln -s "$repo/$f" "$work/$f"; done

readme_block cluster | sed "s/50051/$g1/g; s/50052/$g2/g; s/50053/$g3/g" >"$work/cluster.sh"

out="$work/out.txt"
if ! (cd "$work" && MVN=true CLUSTER_GRPC="$grpc" CLUSTER_RAFT="$raft" CLUSTER_HTTP="$http" \
    timeout 240 bash -euo pipefail cluster.sh) >"$out" 2>&1; then
  echo "README cluster walk-through failed; its output:"; cat "$out"
  for n in n1 n2 n3; do echo "--- $n.log"; tail -n 30 "$work/data/cluster/$n.log" 2>/dev/null || true; done
  exit 1
fi

what="README cluster walk-through"
expect "three nodes up" "^cluster: n3 gRPC 127\.0\.0\.1:$g3"
expect "a leader" '"leaderId":"n[123]"'
expect "the grant of c-1" '"callId":"c-1"'
expect "the grant of c-2 after the leader's kill" '"outcome":"OUTCOME_GRANTED","lease":\{"orgId":"acme","callId":"c-2"'
# The node killed is the one the second `make cluster` started again: its pid changed. After the
# kill, the cluster's status (answered by a node still up) must name another node as leader.
killed=$(awk '/^cluster: n[123] gRPC/ { pid = $0; sub(/.*, pid /, "", pid); sub(/,.*/, "", pid)
  if (!($2 in first)) first[$2] = pid; else if (first[$2] != pid) print $2 }' "$out")
status_after=$(sed -n '/"callId":"c-2"/,$p' "$out" | grep -m1 '"leaderId"' || true)
leader_after=$(grep -o '"leaderId":"n[123]"' <<<"$status_after" | head -n1 | cut -d'"' -f4)
answered_by=$(grep -o '"answeredBy":"n[123]"' <<<"$status_after" | head -n1 | cut -d'"' -f4)
[ -n "$killed" ] && [ -n "$leader_after" ] && [ "$leader_after" != "$killed" ] && [ "$answered_by" != "$killed" ] || {
  echo "$what: expected a node other than the killed one (${killed:-none found}) to be named leader after the kill, by a node still up;"
  echo "named ${leader_after:-none} by ${answered_by:-none}; output:"; cat "$out"; exit 1; }
[ "$(grep -c '"inUse":2$' "$out")" = 3 ] || { echo "$what: expected every node to report inUse 2; output:"; cat "$out"; exit 1; }
echo "README cluster walk-through: every command ran and showed what the README says"
