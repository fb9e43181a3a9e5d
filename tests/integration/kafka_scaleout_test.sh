#!/usr/bin/env bash
# Issue 9, Done-when 3: two daemons in one group share the partitions (both
# consume); stopping one hands its partitions to the other, no alert lost.
source "$(dirname "$0")/lib.bash"
start_broker
create_topics
# A paced stream, so both daemons are in the group while it flows.
produce_corpora 1 --rate 20000 > /dev/null 2>&1 &
producer=$!
pa=$(free_port)
pb=$(free_port)
write_config "$WORK/a.yaml" "scale-$ID" "127.0.0.1:$pa"
write_config "$WORK/b.yaml" "scale-$ID" "127.0.0.1:$pb"
"$BIN" run --config "$WORK/a.yaml" 2> "$WORK/a.log" &
a=$!
DAEMON_PIDS+=("$a")
"$BIN" run --config "$WORK/b.yaml" 2> "$WORK/b.log" &
b=$!
DAEMON_PIDS+=("$b")
# Both consume: each has consumed messages before A is stopped.
for _ in $(seq 1 600); do
  ca=$(metric loghunt_messages_total "$pa")
  cb=$(metric loghunt_messages_total "$pb")
  [ "${ca:-0}" -gt 1000 ] && [ "${cb:-0}" -gt 1000 ] && break
  sleep 0.1
done
[ "${ca:-0}" -gt 1000 ] && [ "${cb:-0}" -gt 1000 ] || fail "both daemons should consume (a=$ca b=$cb)"
log "both consuming: a=$ca b=$cb messages; stopping a (SIGTERM)"
kill -TERM "$a"
wait "$a" || fail "daemon a did not stop cleanly"
grep -q "revoked" "$WORK/a.log" || fail "daemon a did not give its partitions up"
wait "$producer" || fail "producer failed"
# B alone now: it must take A's partitions over and consume them to the end.
# Done when the group has committed every source partition to its end (B
# commits an offset only once the alerts before it are delivered).
lag=-1
for _ in $(seq 1 1200); do
  # A failed query (coordinator busy with the rebalance) counts as not done.
  lag=$("$TOOL" lag --brokers "$BROKERS" --topic "auditd-$ID,syslog-$ID,winevent-$ID" --group "scale-$ID" || echo "unknown")
  [ "$lag" = 0 ] && break
  sleep 0.1
done
[ "$lag" = 0 ] || fail "group lag still $lag after 2 minutes alone on b"
kill -TERM "$b"
wait "$b" || fail "daemon b did not stop cleanly"
grep "loghuntd stopped" "$WORK/a.log" "$WORK/b.log" >&2
received_ids | sort > "$WORK/received.txt"
expected_ids "$WORK/a.yaml" > "$WORK/expected.txt"
n_expected=$(wc -l < "$WORK/expected.txt")
missing=$(comm -23 "$WORK/expected.txt" <(sort -u "$WORK/received.txt") | wc -l)
dups=$(( $(wc -l < "$WORK/received.txt") - $(sort -u "$WORK/received.txt" | wc -l) ))
log "expected $n_expected alerts, $missing missing, $dups duplicates"
[ "$n_expected" -gt 0 ] || fail "no expected alert"
if [ "$missing" -ne 0 ]; then
  explain_missing "$WORK/expected.txt" "$WORK/received.txt"
  fail "$missing alerts lost in the hand-over"
fi
echo "kafka scale-out: ok (a=$ca b=$cb messages before the hand-over, $n_expected alerts)"
