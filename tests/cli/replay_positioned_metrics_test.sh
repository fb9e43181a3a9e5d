#!/usr/bin/env bash
# replay --positioned --metrics-listen (a Kafka dump replayed) serves the
# pipelines' metrics as a plain replay does, with the lines no partition
# took counted too: it served none (the positioned pipelines were not given
# the metrics).
set -euo pipefail
bin=$1
tmp=$(mktemp -d)
replay=
trap '[ -n "$replay" ] && kill -9 $replay 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
source "$(dirname "$0")/lib.bash"
port=$(free_port)
# The demo's syslog lines over two partitions, and two lines without a position.
awk '{printf "syslog\t%d\t%d\t%s\n", NR % 2, NR, $0}' conf/demo/syslog.log > "$tmp/dump.tsv"
printf 'no position\nsyslog\tx\t1\tbad partition\n' >> "$tmp/dump.tsv"
lines=$(grep -c '' "$tmp/dump.tsv")
# The input stays open (the replay goes on) until the metrics were read.
mkfifo "$tmp/in"
"$bin" replay --positioned --stream syslog --metrics-listen "127.0.0.1:$port" - \
  < "$tmp/in" > "$tmp/alerts.jsonl" 2> "$tmp/err" &
replay=$!
exec 3> "$tmp/in"
cat "$tmp/dump.tsv" >&3
got=0
for _ in $(seq 1 100); do
  if curl -sf "http://127.0.0.1:$port/metrics" > "$tmp/m"; then
    got=$(metric_value loghunt_messages_total "$tmp/m")
    [ "$got" -ge "$lines" ] && break
  fi
  sleep 0.2
done
[ "$got" = "$lines" ] || fail "loghunt_messages_total = $got, want $lines: $(grep -c '' "$tmp/m" 2>/dev/null) metric lines"
bad=$(awk '$1 ~ /^loghunt_parse_errors_total\{.*reason="bad_frame"/ {s += $2} END {print s + 0}' "$tmp/m")
[ "$bad" = 2 ] || fail "bad_frame parse errors = $bad, want 2"
exec 3>&-  # the end of the input ends the replay
wait $replay || fail "replay failed: $(cat "$tmp/err")"
replay=
echo "replay --positioned: $got messages and $bad bad frames in /metrics"
