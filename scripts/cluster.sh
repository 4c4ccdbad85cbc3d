#!/usr/bin/env bash
# make cluster / make cluster-down: three nodes of the server jar on loopback, each with its own
# data directory, gRPC port and Raft port, the first also serving the web page; started with the
# demo config, which the first node seeds into a new cluster. `up` starts whichever node is not
# running (so after a node was killed it restarts just that one) and waits until each listens;
# `down` stops them all. Logs and pid files are kept beside the data, in $CLUSTER_DIR/<node>.*.
#
# Ports and place can be moved (the README's test does): CLUSTER_DIR (default data/cluster),
# CLUSTER_GRPC (default 50051,50052,50053), CLUSTER_RAFT (6051,6052,6053), CLUSTER_HTTP (8080).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${CLUSTER_DIR:-data/cluster}
IFS=, read -r -a grpc <<<"${CLUSTER_GRPC:-50051,50052,50053}"
IFS=, read -r -a raft <<<"${CLUSTER_RAFT:-6051,6052,6053}"
http=${CLUSTER_HTTP:-8080}
nodes=(n1 n2 n3)
peers="n1=127.0.0.1:${raft[0]},n2=127.0.0.1:${raft[1]},n3=127.0.0.1:${raft[2]}"

running() { [ -f "$dir/$1.pid" ] && kill -0 "$(cat "$dir/$1.pid")" 2>/dev/null; }

up() {
  mkdir -p "$dir"
  local started=()
  for i in 0 1 2; do
    local n=${nodes[$i]}
    running "$n" && continue
    local web=()
    [ "$i" = 0 ] && web=(--http "127.0.0.1:$http")
    : >"$dir/$n.log"
    java -Xmx256m -jar server/target/admission-server.jar --node-id "$n" --peers "$peers" \
      --listen "127.0.0.1:${grpc[$i]}" --data-dir "$dir/$n" "${web[@]}" \
      --config config/demo.json >>"$dir/$n.log" 2>&1 &
    echo $! >"$dir/$n.pid"
    started+=("$n")
  done
  for n in "${started[@]}"; do
    for _ in $(seq 300); do
      grep -q "listening on" "$dir/$n.log" && break
      running "$n" || { echo "node $n did not start:"; cat "$dir/$n.log"; exit 1; }
      sleep 0.1
    done
    grep -q "listening on" "$dir/$n.log" || { echo "node $n did not start in 30 s:"; cat "$dir/$n.log"; exit 1; }
  done
  for i in 0 1 2; do
    local n=${nodes[$i]}
    echo "cluster: $n gRPC 127.0.0.1:${grpc[$i]}, Raft 127.0.0.1:${raft[$i]}, pid $(cat "$dir/$n.pid"), log $dir/$n.log$( [ "$i" = 0 ] && echo ", web page http://127.0.0.1:$http/")"
  done
}

down() {
  for n in "${nodes[@]}"; do
    if running "$n"; then
      kill "$(cat "$dir/$n.pid")"
    fi
  done
  for n in "${nodes[@]}"; do
    for _ in $(seq 100); do running "$n" || break; sleep 0.1; done
    rm -f "$dir/$n.pid"
  done
  echo "cluster: stopped (data kept in $dir; rm -rf it to start afresh)"
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
