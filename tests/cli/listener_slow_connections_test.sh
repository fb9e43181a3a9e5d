#!/usr/bin/env bash
# A syslog TCP listener stays open to real senders while every connection
# slot is held by connections that trickle a byte every 0.4 s and never
# finish a line (the review's attack at full scale: 300 connections from 5
# addresses, max_connections 256). Until 2026-11-30 such connections were never
# "idle", so each new connection was closed on accept: a sender's sudo lines
# were lost (no message, no alert) and nothing said why (the refusals were
# neither exported nor logged).
set -euo pipefail
bin=$1
tmp=$(mktemp -d)
daemon=
attacker=
trap '[ -n "$attacker" ] && kill -9 $attacker 2>/dev/null; [ -n "$daemon" ] && kill -9 $daemon 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
source "$(dirname "$0")/lib.bash"
tcp=$(free_port SOCK_STREAM)
mport=$(free_port SOCK_STREAM)
cat > "$tmp/loghunt.yaml" <<EOF
metrics: {listen: 127.0.0.1:$mport}
parsers: {year: 2024}
inputs:
  - {type: syslog_tcp, listen: 127.0.0.1:$tcp}
detectors: {ioc: {enabled: false}}
sinks:
  - {type: file, path: $tmp/alerts.jsonl}
EOF
"$bin" run --config "$tmp/loghunt.yaml" > /dev/null 2> "$tmp/err" &
daemon=$!
for _ in $(seq 1 75); do grep -q "listening for syslog" "$tmp/err" && break; sleep 0.2; done

# 60 connections from each of 127.0.0.2..6, each sending a byte of an
# unfinished line every 0.4 s until killed.
python3 - "$tcp" > "$tmp/attacker" 2>&1 <<'EOF' &
import socket, sys, time
port = int(sys.argv[1])
conns = []
for host in range(2, 7):
    for _ in range(60):
        s = socket.socket()
        s.bind(("127.0.0.%d" % host, 0))
        s.connect(("127.0.0.1", port))
        conns.append(s)
print("open", len(conns), flush=True)
while conns:
    for s in list(conns):
        try:
            s.send(b"x")
        except OSError:
            conns.remove(s)
    time.sleep(0.4)
EOF
attacker=$!
for _ in $(seq 1 50); do grep -q open "$tmp/attacker" && break; sleep 0.1; done
grep -q "open 300" "$tmp/attacker" || fail "the attacker could not connect: $(cat "$tmp/attacker")"
sleep 1.5

# The real sender: five connections, one sudo line each (each an alert).
sent=0
while IFS= read -r line; do
  if printf '%s\n' "$line" | python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(sys.stdin.buffer.read())
s.shutdown(socket.SHUT_WR)
s.settimeout(5)
s.recv(1)  # the listener closes after reading (a refused connection is reset)
' "$tcp" 2>> "$tmp/client"; then
    sent=$((sent + 1))
  fi
done < <(sudo_lines 5)
for _ in $(seq 1 50); do [ "$(alerts)" -ge 5 ] && break; sleep 0.1; done
[ "$(alerts)" = 5 ] || fail "5 sudo lines over TCP while 300 slow connections were open gave $(alerts) alerts ($sent connections without error: $(sort "$tmp/client" | uniq -c | tail -3)); log: $(tail -5 "$tmp/err")"

# The listener says what it did: in its metrics and (once a minute) its log.
series() {  # series NAME LABELS: the value of one series, 0 when absent
  awk -v s="$1{listener=\"syslog_tcp:127.0.0.1:$tcp\",$2}" '$1 == s {v = $2} END {printf "%d\n", v}' "$tmp/metrics"
}
# (published about once a second: the scrape waits for every connection)
for _ in $(seq 1 30); do
  curl -sf "http://127.0.0.1:$mport/metrics" > "$tmp/metrics" || true
  accepted=$(series loghunt_listener_connections_total 'result="accepted"')
  refused=$(series loghunt_listener_connections_total 'result="refused"')
  [ $((accepted + refused)) -ge 305 ] && break
  sleep 0.2
done
evicted=$(series loghunt_listener_connections_closed_total 'reason="evicted"')
[ "$evicted" -ge 1 ] || fail "no eviction counted: $(grep loghunt_listener "$tmp/metrics")"
[ $((accepted + refused)) = 305 ] || fail "accepted $accepted + refused $refused connections, want 305: $(grep loghunt_listener "$tmp/metrics")"
grep -q "syslog tcp 127.0.0.1:$tcp: .*connection" "$tmp/err" || fail "nothing logged: $(cat "$tmp/err")"
{ kill -9 $attacker && wait $attacker; } 2> /dev/null || true
attacker=
kill -TERM $daemon
wait $daemon || fail "exit status $? after SIGTERM: $(tail -5 "$tmp/err")"
daemon=
echo "5 alerts through 300 slow connections; accepted $accepted, refused $refused, evicted $evicted"
