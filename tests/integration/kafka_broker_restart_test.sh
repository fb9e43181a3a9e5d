#!/usr/bin/env bash
# Issue 9, Done-when 4: the broker restarts mid-stream; the daemon recovers
# without a restart of its own and loses nothing.
source "$(dirname "$0")/lib.bash"
start_broker
create_topics
port=$(free_port)
write_config "$WORK/loghunt.yaml" "restart-$ID" "127.0.0.1:$port"
"$BIN" run --config "$WORK/loghunt.yaml" 2> "$WORK/daemon.log" &
daemon=$!
DAEMON_PIDS+=("$daemon")
# A paced stream: the producer and the daemon are both mid-stream when the broker goes.
produce_corpora 1 --rate 15000 > "$WORK/producer.log" 2>&1 &
producer=$!
for _ in $(seq 1 600); do
  consumed=$(metric loghunt_messages_total "$port")
  [ "${consumed:-0}" -ge 30000 ] && break
  sleep 0.1
done
[ "${consumed:-0}" -ge 30000 ] || fail "daemon did not start consuming"
log "restarting the broker after $consumed messages consumed"
LOGHUNT_KAFKA_RESTART_PAUSE=5 "$ROOT/tools/kafka" restart > /dev/null
kill -0 "$daemon" 2>/dev/null || fail "daemon died while the broker was down: $(tail -5 "$WORK/daemon.log")"
wait "$producer" || fail "producer failed: $(cat "$WORK/producer.log")"
produced=$(grep -o 'valid=[0-9]*' "$WORK/produced.txt" | cut -d= -f2 | paste -sd+ | bc)
# The daemon must catch up with everything produced, then stop cleanly.
for _ in $(seq 1 1200); do
  consumed=$(metric loghunt_messages_total "$port")
  [ "${consumed:-0}" -ge "$produced" ] && break
  kill -0 "$daemon" 2>/dev/null || fail "daemon died: $(tail -5 "$WORK/daemon.log")"
  sleep 0.1
done
[ "${consumed:-0}" -ge "$produced" ] || fail "daemon consumed $consumed of $produced messages"
sleep 2  # let the last alerts be delivered and published
kill -TERM "$daemon"
wait "$daemon" || fail "daemon failed: $(tail -5 "$WORK/daemon.log")"
grep "loghuntd stopped" "$WORK/daemon.log" >&2
received_ids | sort > "$WORK/received.txt"
expected_ids "$WORK/loghunt.yaml" > "$WORK/expected.txt"
n_expected=$(wc -l < "$WORK/expected.txt")
missing=$(comm -23 "$WORK/expected.txt" <(sort -u "$WORK/received.txt") | wc -l)
dups=$(( $(wc -l < "$WORK/received.txt") - $(sort -u "$WORK/received.txt" | wc -l) ))
log "expected $n_expected alerts, $missing missing, $dups duplicates"
[ "$n_expected" -gt 0 ] || fail "no expected alert"
[ "$missing" -eq 0 ] || { explain_missing "$WORK/expected.txt" "$WORK/received.txt"; false; } || fail "$missing alerts lost across the broker restart"
echo "kafka broker restart: ok ($n_expected alerts, $dups duplicates)"
