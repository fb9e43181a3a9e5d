#!/usr/bin/env bash
# Alerts of syslog listeners have ids of their own: two listeners' messages
# are numbered alike (1, 2, ...), and so are the messages after a restart;
# the position topic (TYPE:LISTEN@START) tells them apart. Until 2026-11-30
# every UDP listener's topic was "syslog_udp" from each start: the same
# message to two listeners, or a message after a restart, gave an alert the
# id of another one (an Elasticsearch sink, indexing by id, overwrote it).
set -euo pipefail
bin=$1
tmp=$(mktemp -d)
daemon=
trap '[ -n "$daemon" ] && kill -9 $daemon 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
source "$(dirname "$0")/lib.bash"
udp1=$(free_port SOCK_DGRAM)
udp2=$(free_port SOCK_DGRAM)
cat > "$tmp/loghunt.yaml" <<EOF
metrics: {listen: ""}
parsers: {year: 2024}
inputs:
  - {type: syslog_udp, listen: 127.0.0.1:$udp1}
  - {type: syslog_udp, listen: 127.0.0.1:$udp2}
detectors: {ioc: {enabled: false}}
sinks:
  - {type: file, path: $tmp/alerts.jsonl}
EOF
alerts() { [ -f "$tmp/alerts.jsonl" ] && wc -l < "$tmp/alerts.jsonl" || echo 0; }
send() {  # send PORT: one sudo-to-root-shell line (an alert)
  sudo_lines 1 | python3 -c 'import socket,sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(sys.stdin.buffer.read().rstrip(b"\n"), ("127.0.0.1", int(sys.argv[1])))' "$1"
}
run_and_send() {  # run_and_send ALERTS PORT...: start, send to each port, wait for ALERTS, stop
  local want=$1 listening
  shift
  listening=$(($(grep -c 'listening for syslog' "$tmp/err" || true) + 2))
  "$bin" run --config "$tmp/loghunt.yaml" > /dev/null 2>> "$tmp/err" &
  daemon=$!
  for _ in $(seq 1 75); do [ "$(grep -c 'listening for syslog' "$tmp/err")" -ge "$listening" ] && break; sleep 0.2; done
  for port in "$@"; do send "$port"; done
  for _ in $(seq 1 50); do [ "$(alerts)" -ge "$want" ] && break; sleep 0.1; done
  kill -TERM $daemon
  wait $daemon || fail "exit status $? after SIGTERM: $(cat "$tmp/err")"
  daemon=
  [ "$(alerts)" = "$want" ] || fail "expected $want alerts, got $(alerts): $(cat "$tmp/err")"
}
run_and_send 2 "$udp1" "$udp2"
run_and_send 3 "$udp1"
ids=$(jq -r '.id' "$tmp/alerts.jsonl" | sort -u | wc -l)
[ "$ids" = 3 ] || fail "3 alerts of 3 messages have $ids distinct ids: $(jq -c '[.id, ."loghunt.position.topic"]' "$tmp/alerts.jsonl")"
echo "listeners: 3 alerts (two listeners, then a restart), 3 distinct ids"
