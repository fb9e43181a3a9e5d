#!/usr/bin/env bash
# Suppression in the daemon's metrics: the alerts folded into summaries, the
# summaries and the windows closed early (suppression.max_keys) are counted,
# so alerts out = loghunt_alerts_total - loghunt_suppressed_total +
# loghunt_suppression_summaries_total (the summaries were not counted).
set -euo pipefail
bin=$1
tmp=$(mktemp -d)
source "$(dirname "$0")/lib.bash"
port=$(free_port)
daemon=
trap '[ -n "$daemon" ] && kill $daemon 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; cat "$tmp/log" >&2 || true; exit 1; }

cat > "$tmp/c.yaml" <<EOF
parsers: {year: 2026}
metrics: {listen: "127.0.0.1:$port"}
inputs:
  - {stream: syslog, path: "-"}
detectors: {ioc: {enabled: false}}
sinks:
  - {type: file, path: "$tmp/alerts.jsonl"}
suppression: {enabled: true, window_seconds: 300, max_keys: 1}
EOF
mkfifo "$tmp/in"
"$bin" run --config "$tmp/c.yaml" < "$tmp/in" 2> "$tmp/log" &
daemon=$!
exec 3> "$tmp/in"
sudo_line() { echo "Jul  8 16:09:0$1 web1 sudo: bob : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=$2" >&3; }
# Three alerts of one rule and key (two repeats), then another rule: with one
# window allowed, the first closes early and its summary goes out.
sudo_line 1 /bin/bash
sudo_line 2 /bin/bash
sudo_line 3 /bin/bash
sudo_line 4 "/usr/bin/cat /home/bob/.ssh/authorized_keys"
summaries=0
for _ in $(seq 1 100); do
  if curl -sf "http://127.0.0.1:$port/metrics" > "$tmp/m"; then
    summaries=$(metric_value loghunt_suppression_summaries_total "$tmp/m")
    [ "$summaries" -ge 1 ] && break
  fi
  sleep 0.2
done
alerts=$(metric_value loghunt_alerts_total "$tmp/m")
suppressed=$(metric_value loghunt_suppressed_total "$tmp/m")
evictions=$(metric_value loghunt_suppression_evictions_total "$tmp/m")
echo "alerts $alerts, suppressed $suppressed, summaries $summaries, evictions $evictions"
[ "$alerts" -eq 4 ] || fail "loghunt_alerts_total $alerts, expected 4"
[ "$suppressed" -eq 2 ] || fail "loghunt_suppressed_total $suppressed, expected 2"
[ "$summaries" -eq 1 ] || fail "loghunt_suppression_summaries_total $summaries, expected 1"
[ "$evictions" -eq 1 ] || fail "loghunt_suppression_evictions_total $evictions, expected 1"
exec 3>&-  # the end of stdin ends the run
wait "$daemon" || fail "run exited $?"
daemon=
out=$(wc -l < "$tmp/alerts.jsonl")
[ "$out" -eq $((alerts - suppressed + summaries)) ] ||
  fail "$out alerts written, metrics say $((alerts - suppressed + summaries))"
echo "suppression_metrics: $out alerts written = $alerts - $suppressed + $summaries"
