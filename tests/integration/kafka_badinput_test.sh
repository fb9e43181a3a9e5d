#!/usr/bin/env bash
# Issue 9, Done-when 5: topics salted with 1% garbage (binary, truncated JSON,
# huge lines) lose no valid event, and every bad message is on the
# dead-letter topic with its reason.
source "$(dirname "$0")/lib.bash"
start_broker
create_topics
produce_corpora 1 --garbage-per-mille 10
write_config "$WORK/loghunt.yaml" "bad-$ID"
"$BIN" run --config "$WORK/loghunt.yaml" --idle-exit-ms 5000 2> "$WORK/daemon.log" || fail "daemon failed"
grep "loghuntd stopped" "$WORK/daemon.log" >&2
dead=$("$TOOL" dump --brokers "$BROKERS" --topic "dlq-$ID" --idle-ms 4000 --header loghunt.error | sort | uniq -c)
n_dead=$(echo "$dead" | awk '{s += $1} END {print s + 0}')
log "dead letters by reason:"$'\n'"$dead"
# Replaying what is on the topics (garbage included) must give the same
# events count as the daemon; garbage lines that replay can parse would show.
expected_ids "$WORK/loghunt.yaml" > "$WORK/expected.txt"
replay_events=$(grep -o 'events=[0-9]*' "$WORK/replay.log" | cut -d= -f2 | paste -sd+ | bc)
daemon_events=$(grep "loghuntd stopped" "$WORK/daemon.log" | grep -o ' events=[0-9]*' | cut -d= -f2)
received_ids | sort -u > "$WORK/received.txt"
missing=$(comm -23 "$WORK/expected.txt" "$WORK/received.txt" | wc -l)
log "garbage produced $GARBAGE, dead letters $n_dead; events daemon=$daemon_events replay=$replay_events; alerts missing $missing"
[ "$GARBAGE" -gt 0 ] || fail "no garbage was produced"
[ "$n_dead" -ge "$GARBAGE" ] || fail "only $n_dead of $GARBAGE bad messages on the dead-letter topic"
[ "$daemon_events" = "$replay_events" ] || fail "daemon events $daemon_events != replay events $replay_events"
[ "$missing" -eq 0 ] || { explain_missing "$WORK/expected.txt" "$WORK/received.txt"; false; } || fail "$missing alerts missing"
echo "kafka bad input: ok ($GARBAGE garbage, $n_dead dead letters, $daemon_events events)"
