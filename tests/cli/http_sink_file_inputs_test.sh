#!/usr/bin/env bash
# An http sink outside Kafka mode (file, stdin, followed file, listener and
# journald inputs) sends batches: it sent one request per alert and the input
# waited for each (300 alerts took 74 s against an endpoint answering in
# 0.2 s). Every alert still arrives, a followed file's position is saved only
# once its alerts are delivered, and alerts given up make `run` exit 1.
set -euo pipefail
bin=$1
tmp=$(mktemp -d)
server=
daemon=
trap '[ -n "$daemon" ] && kill -9 $daemon 2>/dev/null; [ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$tmp"' EXIT
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
            alerts += len(json.loads(body))
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
for i in $(seq 1 200); do
  printf 'Jul  8 16:%02d:%02d web1 sudo: bob : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/bash\n' $((i / 60)) $((i % 60))
done > "$tmp/in.log"
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

# Followed: the position is saved after the alerts are delivered (the
# endpoint answers after 2 s: positions are saved every second).
echo 2 > "$tmp/delay"
cat > "$tmp/f.yaml" <<EOF
parsers: {year: 2026}
metrics: {listen: ""}
inputs:
  - {stream: syslog, path: "$tmp/follow.log", follow: true, from_start: true, position_file: "$tmp/pos"}
detectors: {ioc: {enabled: false}}
sinks:
  - {type: http, url: "http://127.0.0.1:$http/", retry_initial_ms: 50, retry_max_ms: 100}
EOF
cp "$tmp/in.log" "$tmp/follow.log"
"$bin" run --config "$tmp/f.yaml" 2> "$tmp/err" &
daemon=$!
for _ in $(seq 1 100); do [ -s "$tmp/pos" ] && break; sleep 0.1; done
[ -s "$tmp/pos" ] || fail "no position saved"
read -r _ delivered < "$tmp/counts"
[ "$delivered" -eq 2400 ] || fail "position saved with $((delivered - 2200)) of 200 alerts delivered"
kill -TERM $daemon
wait $daemon || fail "followed run exited $?"
daemon=

# Alerts given up (the endpoint refuses them): exit 1.
echo 0.1 > "$tmp/delay"
echo 400 > "$tmp/status"
rc=0
"$bin" run --config "$tmp/c.yaml" 2> "$tmp/err" || rc=$?
[ "$rc" -eq 1 ] || fail "run exited $rc with every alert refused, not 1"
echo "http_sink_file_inputs: batched, position after delivery, exit 1 on alerts given up"
