#!/usr/bin/env bash
# Several pipelines of one stream (a file input and a UDP listener, both
# syslog) add up in loghunt_messages_total; each used to overwrite the other
# (the counter showed the larger of the two).
set -euo pipefail
bin=$1
tmp=$(mktemp -d)
daemon=
trap '[ -n "$daemon" ] && kill -9 $daemon 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
source "$(dirname "$0")/lib.bash"
udp=$(free_port SOCK_DGRAM)
mport=$(free_port SOCK_STREAM)
lines=$(grep -c '' conf/demo/syslog.log)
cat > "$tmp/loghunt.yaml" <<EOF
metrics: {listen: 127.0.0.1:$mport}
inputs:
  - {stream: syslog, path: $PWD/conf/demo/syslog.log}
  - {type: syslog_udp, listen: 127.0.0.1:$udp}
sinks:
  - {type: file, path: $tmp/alerts.jsonl}
EOF
"$bin" run --config "$tmp/loghunt.yaml" > /dev/null 2> "$tmp/err" &
daemon=$!
for _ in $(seq 1 75); do grep -q "listening for syslog" "$tmp/err" && break; sleep 0.2; done
# The listener's pipeline publishes when a message comes at least a second
# after its last publication: the fifth datagram, 1.2 s after the first, does.
python3 - "$udp" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(5):
    s.sendto(b"<13>Jul  8 16:08:00 h app: message %d" % i, ("127.0.0.1", int(sys.argv[1])))
    time.sleep(0.3)
EOF
want=$((lines + 5))
got=0
for _ in $(seq 1 50); do
  got=$(curl -sf "http://127.0.0.1:$mport/metrics" | awk '$1 == "loghunt_messages_total{stream=\"syslog\"}" {print int($2)}')
  [ "${got:-0}" -eq "$want" ] && break
  sleep 0.3
done
[ "${got:-0}" -eq "$want" ] || fail "loghunt_messages_total{stream=\"syslog\"} = ${got:-none}, want $want ($lines file lines + the datagrams)"
kill -TERM $daemon
wait $daemon || true
daemon=
echo "file ($lines) and listener messages add up: $got"
