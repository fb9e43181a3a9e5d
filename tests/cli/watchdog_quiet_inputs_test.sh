#!/usr/bin/env bash
# Outside Kafka mode the daemon pings systemd's watchdog while its inputs are
# quiet (WatchdogSec=30s in the unit): it sent READY=1 and never WATCHDOG=1,
# so systemd killed a listener, journald or audisp/stdin daemon every 30 s.
# A fake NOTIFY_SOCKET records the pings of (a) a quiet UDP listener and (b) a
# quiet stdin pipe (audisp plugin mode). (c) A listener's counts reach the
# metrics without more traffic after a burst (they waited for the next
# message), and the stream's series exists from 0 before any message. (e)
# An input waiting on a full http sink keeps pinging.
set -euo pipefail
bin=$1
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
source "$(dirname "$0")/lib.bash"
cat > "$tmp/notify.py" <<'PY'
import socket, sys, time
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
with open(out, "w") as f:
    while True:
        f.write(s.recv(4096).decode() + "\n")
        f.flush()
PY
notifier() {  # notifier NAME: starts a fake notify socket $tmp/NAME.sock logging to $tmp/NAME.log
  python3 "$tmp/notify.py" "$tmp/$1.sock" "$tmp/$1.log" &
  pids+=($!)
  for _ in $(seq 50); do [ -S "$tmp/$1.sock" ] && break; sleep 0.1; done
  [ -S "$tmp/$1.sock" ] || fail "no notify socket $1"
}
pings() { grep -c '^WATCHDOG=1' "$tmp/$1.log" || true; }

# (a) + (c): a UDP listener, quiet, then a burst.
udp=$(free_port SOCK_DGRAM)
mport=$(free_port SOCK_STREAM)
cat > "$tmp/listener.yaml" <<EOF
metrics: {listen: 127.0.0.1:$mport}
inputs:
  - {type: syslog_udp, listen: 127.0.0.1:$udp}
sinks:
  - {type: file, path: $tmp/alerts.jsonl}
EOF
notifier listener
NOTIFY_SOCKET="$tmp/listener.sock" WATCHDOG_USEC=600000 "$bin" run --config "$tmp/listener.yaml" \
  > /dev/null 2> "$tmp/listener.err" &
daemon=$!
pids+=($daemon)
for _ in $(seq 75); do grep -q "listening for syslog" "$tmp/listener.err" && break; sleep 0.2; done
grep -q "listening for syslog" "$tmp/listener.err" || fail "listener did not start: $(cat "$tmp/listener.err")"
scrape() { { curl -fsS "http://127.0.0.1:$mport/metrics" || true; } | awk -v m="$1" '$1 == m {print $2}'; }
zero=$(scrape 'loghunt_messages_total{stream="syslog"}')
[ "$zero" = 0 ] || fail "no syslog messages series at 0 before any message: '$zero'"
sleep 2.5
n=$(pings listener)
[ "$n" -ge 5 ] || fail "quiet listener: $n WATCHDOG=1 in 2.5 s at WATCHDOG_USEC=0.6 s: $(cat "$tmp/listener.log")"
python3 - "$udp" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(50):
    s.sendto(b"<38>Nov 30 10:00:%02d h sshd[1]: Accepted password for u from 10.0.0.1 port 22 ssh2" % (i % 60), ("127.0.0.1", int(sys.argv[1])))
PY
got=
for _ in $(seq 30); do
  got=$(scrape 'loghunt_messages_total{stream="syslog"}')
  [ "$got" = 50 ] && break
  sleep 0.2
done
[ "$got" = 50 ] || fail "listener burst: messages_total $got, expected 50 without more traffic"
kill -TERM "$daemon" || fail "listener daemon gone: $(cat "$tmp/listener.err")"
wait "$daemon" || fail "listener daemon exit $?: $(cat "$tmp/listener.err")"
for _ in $(seq 20); do grep -q '^STOPPING=1' "$tmp/listener.log" && break; sleep 0.1; done
grep -q '^STOPPING=1' "$tmp/listener.log" || fail "no STOPPING=1 on SIGTERM: $(cat "$tmp/listener.log")"

# (b): stdin, a pipe that stays open and quiet.
mkfifo "$tmp/in"
cat > "$tmp/stdin.yaml" <<EOF
metrics: {listen: ""}
inputs:
  - {stream: auditd, path: "-"}
sinks:
  - {type: file, path: $tmp/alerts2.jsonl}
EOF
notifier stdin
exec 3<> "$tmp/in"
NOTIFY_SOCKET="$tmp/stdin.sock" WATCHDOG_USEC=600000 "$bin" run --config "$tmp/stdin.yaml" \
  < "$tmp/in" > /dev/null 2> "$tmp/stdin.err" &
daemon=$!
pids+=($daemon)
sleep 3
n=$(pings stdin)
[ "$n" -ge 5 ] || fail "quiet stdin: $n WATCHDOG=1 in 3 s: $(cat "$tmp/stdin.log") $(cat "$tmp/stdin.err")"
# (d) audisp plugin mode: a single-record event (USER_CMD: the sudo command)
# is complete only when a later record comes; a quiet pipe brings none, so
# it is reported after event_timeout_ms (2 s) of quiet, not at SIGTERM.
sed -n 548p "$2/auditd/msticpy/auditd_log.txt" >&3
for _ in $(seq 50); do [ -s "$tmp/alerts2.jsonl" ] && break; sleep 0.1; done
grep -q download_to_shell "$tmp/alerts2.jsonl" 2>/dev/null ||
  fail "quiet stdin: the held USER_CMD event was not reported within 5 s"
kill -TERM "$daemon" || fail "stdin daemon gone: $(cat "$tmp/stdin.err")"
wait "$daemon" || fail "stdin daemon exit $?: $(cat "$tmp/stdin.err")"
exec 3>&-

# (e) An input waiting for room in a full sink (an http endpoint away, the
# sink retrying for ever) is back-pressure, not a hang: the pings went on
# (systemd killed the daemon after WatchdogSec with the endpoint down).
away=$(free_port)
cat > "$tmp/away.yaml" <<EOF
parsers: {year: 2026}
metrics: {listen: ""}
inputs:
  - {stream: syslog, path: "-"}
detectors: {ioc: {enabled: false}}
sinks:
  - {type: http, url: "http://127.0.0.1:$away/", queue_max_alerts: 5, batch_max_alerts: 5,
     retry_initial_ms: 50, retry_max_ms: 100, max_retries: 0, flush_timeout_ms: 200}
EOF
sudo_lines 100 > "$tmp/sudo.log"
notifier away
mkfifo "$tmp/in2"
exec 4<> "$tmp/in2"
NOTIFY_SOCKET="$tmp/away.sock" WATCHDOG_USEC=600000 "$bin" run --config "$tmp/away.yaml" \
  < "$tmp/in2" > /dev/null 2> "$tmp/away.err" &
daemon=$!
pids+=($daemon)
cat "$tmp/sudo.log" >&4
sleep 2  # the queue of 5 is full long before
before=$(pings away)
sleep 3
after=$(pings away)
[ $((after - before)) -ge 4 ] ||
  fail "input waiting on a full sink: $((after - before)) WATCHDOG=1 in 3 s (0.6 s interval): $(cat "$tmp/away.err")"
kill -TERM "$daemon" || fail "away daemon gone: $(cat "$tmp/away.err")"
rc=0
wait "$daemon" || rc=$?
exec 4>&-
[ "$rc" -eq 1 ] || fail "away daemon exit $rc, expected 1 (alerts given up): $(cat "$tmp/away.err")"
echo "ok: quiet listener $(pings listener) and quiet stdin $(pings stdin) watchdog pings; listener burst of 50 published without more traffic; $((after - before)) pings in 3 s while waiting on a full sink"
