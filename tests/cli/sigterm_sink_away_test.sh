#!/usr/bin/env bash
# SIGTERM while the HTTP sink's endpoint is away: the daemon stops within
# about one flush_timeout_ms, instead of waiting for the endpoint (a
# synchronous write used to wait forever) or flushing once per input. The
# undelivered alerts are counted, each, as given up by the sink.
set -euo pipefail
bin=$1
tmp=$(mktemp -d)
trap 'kill -9 $daemon 2>/dev/null || true; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
source "$(dirname "$0")/lib.bash"
away=$(free_port SOCK_STREAM)  # bound and closed again: nobody listens there
udp=$(free_port SOCK_DGRAM)
cat > "$tmp/loghunt.yaml" <<EOF
metrics: {listen: ""}  # the default port may be taken by a test running beside this one
inputs:
  - stream: auditd
    path: $PWD/conf/demo/auditd.log
  - type: syslog_udp
    listen: 127.0.0.1:$udp
sinks:
  - type: http
    url: http://127.0.0.1:$away/
    retry_max_ms: 200
    flush_timeout_ms: 2000
EOF
"$bin" run --config "$tmp/loghunt.yaml" > /dev/null 2> "$tmp/err" &
daemon=$!
# The demo sample raises alerts; the first one's delivery is being retried.
for _ in $(seq 1 150); do
  grep -q "retrying" "$tmp/err" && break
  sleep 0.2
done
grep -q "retrying" "$tmp/err" || fail "no delivery attempt after 30 s: $(tail -3 "$tmp/err")"
start=$(date +%s%N)
kill -TERM $daemon
for _ in $(seq 1 200); do
  kill -0 $daemon 2>/dev/null || break
  sleep 0.1
done
kill -0 $daemon 2>/dev/null && fail "still running 20 s after SIGTERM"
rc=0
wait $daemon || rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$rc" -eq 1 ] || fail "exit $rc with alerts undelivered, not 1"
grep -q "loghuntd stopped" "$tmp/err" || fail "no clean stop: $(grep -v attempt "$tmp/err" | tail -3)"
# Counted as the sink's, once each (the summary of each input had counted
# the failed flush as one sink error instead).
errors=$(grep -o "sinks: [0-9]* alert(s) given up after they were accepted" "$tmp/err" | grep -o "[0-9]*" | head -1)
[ "${errors:-0}" -gt 0 ] || fail "the undelivered alerts were not counted: $(grep -v attempt "$tmp/err" | tail -3)"
echo "stopped ${ms} ms after SIGTERM with the endpoint away; $errors alerts given up"
