#!/usr/bin/env bash
# Alerts an asynchronous sink gives up after accepting them (an http endpoint
# answering 400) in Kafka mode: counted in loghunt_sink_errors_total under the
# sink's own label (it was always sink="all", and these were not counted there
# at all), and the run exits 1 as a file-mode run does; also for alerts still
# undelivered when the run ends.
set -euo pipefail
bin=$1
tmp=$(mktemp -d)
server=
daemon=
trap '[ -n "$daemon" ] && kill -9 $daemon 2>/dev/null; [ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
source "$(dirname "$0")/lib.bash"
http=$(free_port)
mport=$(free_port)
python3 - "$http" <<'EOF' &
import http.server, sys
class Refuse(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(400)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Refuse).serve_forever()
EOF
server=$!
demo=$PWD/conf/demo
cat > "$tmp/loghunt.yaml" <<EOF
parsers: {year: 2019}
metrics: {listen: 127.0.0.1:$mport}
kafka:
  group_id: sink-errors-test
  topics: {auditd: [auditd], syslog: [syslog], winevent: [winevent]}
  commit_interval_ms: 500
  embedded:
    enabled: true
    partitions: 1
    load:
      - {stream: syslog, path: $demo/syslog.log}
      - {stream: auditd, path: $demo/auditd.log}
      - {stream: winevent, path: $demo/winevent.jsonl}
sinks:
  - {type: stdout}
  - {type: http, url: "http://127.0.0.1:$http/", retry_initial_ms: 50, retry_max_ms: 100}
EOF
"$bin" run --config "$tmp/loghunt.yaml" --idle-exit-ms 3000 > "$tmp/alerts" 2> "$tmp/err" &
daemon=$!
errors=0
for _ in $(seq 1 150); do
  if curl -sf "http://127.0.0.1:$mport/metrics" > "$tmp/m" 2>/dev/null; then
    errors=$(awk '$1 == "loghunt_sink_errors_total{sink=\"http\"}" {print int($2)}' "$tmp/m")
    [ "${errors:-0}" -gt 0 ] && break
  fi
  kill -0 $daemon 2>/dev/null || break
  sleep 0.2
done
[ "${errors:-0}" -gt 0 ] || fail "no loghunt_sink_errors_total{sink=\"http\"}: $(grep sink_errors "$tmp/m" 2>/dev/null; tail -3 "$tmp/err")"
grep -q 'loghunt_sink_errors_total{sink="stdout"} 0' "$tmp/m" || fail "no stdout series at 0: $(grep sink_errors "$tmp/m")"
rc=0
wait $daemon || rc=$?
daemon=
[ "$rc" -eq 1 ] || fail "exit status $rc with alerts given up, not 1"
alerts=$(grep -c '' "$tmp/alerts")
[ "$alerts" -gt 0 ] || fail "no alert reached stdout"
echo "http sink gave up alerts: sink_errors_total{sink=\"http\"}=$errors, $alerts alerts on stdout, exit $rc"

# Alerts still undelivered when the run ends (the endpoint away, retried
# for ever) are given up when the sinks close: logged and exit 1. They were
# given up after the exit status was read: exit 0, nothing said.
away=$(free_port)
sed -e "s|url: \"http://127.0.0.1:$http/\", retry_initial_ms: 50, retry_max_ms: 100|url: \"http://127.0.0.1:$away/\", retry_initial_ms: 50, retry_max_ms: 100, flush_timeout_ms: 500|" \
  -e "s|group_id: sink-errors-test|group_id: sink-errors-test-2|" \
  -e "s|listen: 127.0.0.1:$mport|listen: \"\"|" "$tmp/loghunt.yaml" > "$tmp/away.yaml"
grep -q "$away" "$tmp/away.yaml" || fail "away config not made: $(cat "$tmp/away.yaml")"
rc=0
"$bin" run --config "$tmp/away.yaml" --idle-exit-ms 2000 > /dev/null 2> "$tmp/err2" || rc=$?
[ "$rc" -eq 1 ] || fail "exit status $rc with the http endpoint away at the end, not 1: $(tail -5 "$tmp/err2")"
grep -q "sinks: [0-9]* alert(s) given up after they were accepted" "$tmp/err2" ||
  fail "alerts given up at the end not logged: $(tail -5 "$tmp/err2")"
echo "endpoint away at the end of a Kafka run: exit $rc, $(grep -o "sinks: [0-9]* alert(s) given up" "$tmp/err2")"
