#!/usr/bin/env bash
# Kafka mode under systemd's watchdog: a SIGHUP reload that starts a Kafka
# intel feed waits for it to be read to its end (load_timeout_ms) and keeps
# pinging the watchdog meanwhile. The pings stopped for the whole wait: with
# three feeds whose brokers are away (10 s each by default) a reload reached
# WatchdogSec (30 s) and systemd killed the daemon.
set -euo pipefail
bin=$1
tmp=$(mktemp -d)
daemon=
trap '[ -n "$daemon" ] && kill -9 $daemon 2>/dev/null; kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
source "$(dirname "$0")/lib.bash"
away=$(free_port)  # nothing listens there
cat > "$tmp/loghunt.yaml" <<EOF
metrics: {listen: ""}
kafka:
  group_id: reload-watchdog
  topics: {syslog: [syslog]}
  embedded: {enabled: true, partitions: 1}
sinks:
  - {type: file, path: $tmp/alerts.jsonl}
EOF
cat > "$tmp/notify.py" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "w") as f:
    while True:
        for line in s.recv(4096).decode().splitlines():
            f.write(f"{time.monotonic():.3f} {line}\n")
            f.flush()
EOF
python3 "$tmp/notify.py" "$tmp/notify.sock" "$tmp/notify.log" &
for _ in $(seq 50); do [ -S "$tmp/notify.sock" ] && break; sleep 0.1; done
NOTIFY_SOCKET="$tmp/notify.sock" WATCHDOG_USEC=30000000 "$bin" run --config "$tmp/loghunt.yaml" \
  > /dev/null 2> "$tmp/err" &
daemon=$!
for _ in $(seq 150); do grep -q ' READY=1' "$tmp/notify.log" 2> /dev/null && break; sleep 0.1; done
grep -q ' READY=1' "$tmp/notify.log" || fail "no READY=1: $(tail -5 "$tmp/err")"
cat >> "$tmp/loghunt.yaml" <<EOF
detectors:
  intel:
    enabled: true
    feeds:
      - {name: away, format: kafka, topic: intel, brokers: "127.0.0.1:$away", load_timeout_ms: 5000}
EOF
kill -HUP $daemon
for _ in $(seq 200); do
  [ "$(grep -c ' READY=1' "$tmp/notify.log")" -ge 2 ] && break
  sleep 0.1
done
[ "$(grep -c ' READY=1' "$tmp/notify.log")" -ge 2 ] || fail "the reload did not end: $(tail -5 "$tmp/err")"
grep -q 'not read to its end within 5000 ms' "$tmp/err" || fail "the feed did not wait: $(tail -5 "$tmp/err")"
kill -TERM $daemon
wait $daemon || fail "exit status $? after SIGTERM: $(tail -5 "$tmp/err")"
daemon=
# The longest time without a WATCHDOG=1 from RELOADING=1 to READY=1.
gap=$(awk '/ RELOADING=1/ {on = 1; last = $1} on && / WATCHDOG=1/ {if ($1 - last > gap) gap = $1 - last; last = $1}
           on && / READY=1/ {if ($1 - last > gap) gap = $1 - last; on = 0} END {printf "%.1f\n", gap}' "$tmp/notify.log")
python3 -c "import sys; sys.exit(0 if float('$gap') < 2.5 else 1)" ||
  fail "no watchdog ping for ${gap} s during a reload that waited 5 s for a feed"
echo "reload waiting 5 s for a feed: longest watchdog gap ${gap} s"
