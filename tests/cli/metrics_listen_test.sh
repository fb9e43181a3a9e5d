#!/usr/bin/env bash
# The metrics endpoint: an address its server cannot bind (IPv6, a name) is
# a config error, not a `run` that passes check-config and then exits 1 (a
# restart loop under systemd); ":PORT" listens on every IPv4 address (it
# passed check-config and failed to bind); and connections that send no
# request do not keep scrapes waiting (two of them held civetweb's two
# threads for 30 s each).
set -euo pipefail
bin=$1
tmp=$(mktemp -d)
daemon=
idle=
trap '[ -n "$daemon" ] && kill -9 $daemon 2>/dev/null; [ -n "$idle" ] && kill $idle 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
source "$(dirname "$0")/lib.bash"
port=$(free_port)
config() {  # config LISTEN
  cat > "$tmp/loghunt.yaml" <<EOF
metrics: {listen: "$1"}
inputs:
  - {stream: syslog, path: $tmp/in.log, follow: true}
sinks:
  - {type: file, path: $tmp/alerts.jsonl}
EOF
}
: > "$tmp/in.log"
for bad in "[::1]:$port" "localhost:$port" "127.0.0.1:0"; do
  config "$bad"
  status=0
  "$bin" check-config "$tmp/loghunt.yaml" > "$tmp/check.out" 2>&1 || status=$?
  [ "$status" = 2 ] || fail "check-config accepts metrics.listen $bad (exit $status)"
  grep -q 'metrics.listen: expected IPv4:PORT' "$tmp/check.out" || fail "message: $(cat "$tmp/check.out")"
done
status=0
"$bin" replay --stream syslog --metrics-listen foo /dev/null > /dev/null 2> "$tmp/replay.err" || status=$?
[ "$status" = 2 ] && grep -q -- '--metrics-listen foo: expected IPv4:PORT' "$tmp/replay.err" ||
  fail "replay --metrics-listen foo: exit $status: $(cat "$tmp/replay.err")"

config ":$port"
"$bin" check-config "$tmp/loghunt.yaml" > /dev/null || fail "check-config rejects :$port"
"$bin" run --config "$tmp/loghunt.yaml" > /dev/null 2> "$tmp/err" &
daemon=$!
# (The endpoint is up before the input's series are published.)
for _ in $(seq 1 75); do
  curl -sf "http://127.0.0.1:$port/metrics" | grep -q '^loghunt_messages_total' && break
  sleep 0.2
done
curl -sf "http://127.0.0.1:$port/metrics" | grep -q '^loghunt_messages_total' ||
  fail "no metrics on :$port: $(cat "$tmp/err")"
grep -q "metrics at http://:$port/metrics" "$tmp/err" || fail "the address is not logged: $(cat "$tmp/err")"
# Three connections that send nothing, held open while scraping.
python3 - "$port" <<'EOF' &
import socket, sys, time
conns = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(3)]
time.sleep(60)
EOF
idle=$!
sleep 0.5
curl -sf -m 10 -o /dev/null "http://127.0.0.1:$port/metrics" ||
  fail "a scrape with 3 idle connections open got no answer within 10 s"
kill -TERM $daemon
wait $daemon || fail "exit status $? after SIGTERM: $(cat "$tmp/err")"
daemon=
echo "metrics.listen: IPv6 and names rejected, :PORT served, scrapes answered with idle connections open"
