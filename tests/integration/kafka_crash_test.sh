#!/usr/bin/env bash
# Issue 9, Done-when 2: kill -9 the daemon mid-stream and restart it: every
# expected alert id is on the alert topic at least once; duplicates are
# counted and reported.
source "$(dirname "$0")/lib.bash"
start_broker
create_topics
produce_corpora 2
port=$(free_port)
write_config "$WORK/loghunt.yaml" "crash-$ID" "127.0.0.1:$port"
"$BIN" run --config "$WORK/loghunt.yaml" 2> "$WORK/daemon1.log" &
pid=$!
DAEMON_PIDS+=("$pid")
# Wait until the daemon is well into the stream, then kill it without warning.
for _ in $(seq 1 600); do
  consumed=$(metric loghunt_messages_total "$port")
  [ "${consumed:-0}" -ge 60000 ] && break
  kill -0 "$pid" 2>/dev/null || fail "daemon died on its own: $(tail -5 "$WORK/daemon1.log")"
  sleep 0.1
done
[ "${consumed:-0}" -ge 60000 ] || fail "daemon did not consume 60000 messages in 60 s"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
log "killed -9 after about $consumed of $VALID messages"
"$BIN" run --config "$WORK/loghunt.yaml" --idle-exit-ms 5000 2> "$WORK/daemon2.log" || fail "restarted daemon failed"
grep "loghuntd stopped" "$WORK/daemon2.log" >&2
received_ids | sort > "$WORK/received.txt"
expected_ids "$WORK/loghunt.yaml" > "$WORK/expected.txt"
n_expected=$(wc -l < "$WORK/expected.txt")
n_unique=$(sort -u "$WORK/received.txt" | wc -l)
dups=$(( $(wc -l < "$WORK/received.txt") - n_unique ))
missing=$(comm -23 "$WORK/expected.txt" <(sort -u "$WORK/received.txt") | wc -l)
log "expected $n_expected, received $n_unique unique, $dups duplicates, $missing missing"
[ "$n_expected" -gt 0 ] || fail "no expected alert"
[ "$missing" -eq 0 ] || { explain_missing "$WORK/expected.txt" "$WORK/received.txt"; false; } || fail "$missing expected alert ids missing after the crash"
echo "kafka crash: ok ($n_expected alerts, $dups duplicates after kill -9)"
