#!/usr/bin/env bash
# Issue 10, Done-when 3: during a replay, /metrics shows loghunt's metrics
# with values that move.
set -euo pipefail
bin=$1
corpora=$2
tmp=$(mktemp -d)
source "$(dirname "$0")/lib.bash"
port=$(free_port)
trap 'kill $feeder 2>/dev/null || true; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# A slow stream: real syslog lines (and the demo sample, which raises an alert)
# arrive in chunks, so the replay runs while /metrics is read. Under load the
# replay may take seconds to start: poll, with generous limits, rather than
# sleeping a fixed time.
( for i in $(seq 1 60); do cat "$corpora/syslog/loghub/OpenSSH/OpenSSH_2k.log" conf/demo/syslog.log; echo; sleep 0.5; done ) > "$tmp/fifo.in" &
feeder=$!
sleep 0.1
tail -f --pid=$feeder -n +1 "$tmp/fifo.in" | "$bin" replay --stream syslog --config conf/demo/loghunt-demo.yaml \
  --metrics-listen "127.0.0.1:$port" - > /dev/null 2> "$tmp/replay.log" &
replay=$!
a=0
for _ in $(seq 1 100); do
  if curl -sf "http://127.0.0.1:$port/metrics" > "$tmp/m1"; then
    a=$(metric_value loghunt_messages_total "$tmp/m1")
    [ "$a" -gt 0 ] && break
  fi
  sleep 0.2
done
[ "$a" -gt 0 ] || fail "no /metrics with messages during the replay after 20 s"
b=$a
for _ in $(seq 1 100); do
  sleep 0.2
  curl -sf "http://127.0.0.1:$port/metrics" > "$tmp/m2" || fail "no /metrics during the replay (2)"
  b=$(metric_value loghunt_messages_total "$tmp/m2")
  [ "$b" -gt "$a" ] && break
done
kill $feeder 2>/dev/null || true  # the end of the stream ends the replay
wait "$replay" || fail "replay failed: $(cat "$tmp/replay.log")"
for m in loghunt_messages_total loghunt_events_total loghunt_parse_errors_total loghunt_alerts_total \
         loghunt_sink_errors_total loghunt_detector_seconds_total loghunt_event_latency_seconds \
         loghunt_suppressed_total loghunt_kafka_commits_total loghunt_dead_letters_total; do
  grep -q "^# TYPE $m " "$tmp/m2" || fail "metric $m missing"
done
ea=$(metric_value loghunt_events_total "$tmp/m1")
eb=$(metric_value loghunt_events_total "$tmp/m2")
al=$(metric_value loghunt_alerts_total "$tmp/m2")
echo "messages $a -> $b, events $ea -> $eb, alerts $al"
[ "$a" -gt 0 ] && [ "$b" -gt "$a" ] || fail "loghunt_messages_total did not move ($a -> $b)"
[ "$eb" -gt "$ea" ] || fail "loghunt_events_total did not move"
[ "$al" -gt 0 ] || fail "no alert counted"
echo "metrics during replay: ok"
