#!/usr/bin/env bash
# Issue 9, Done-when 1: about 225,000 real events produced to three topics of
# 6 partitions; the alerts the daemon writes to the alert topic equal, as a set
# of ids, the alerts of `loghuntd replay` over the same messages.
source "$(dirname "$0")/lib.bash"
start_broker
create_topics
produce_corpora 1
write_config "$WORK/loghunt.yaml" "e2e-$ID"
start=$(date +%s.%N)
"$BIN" run --config "$WORK/loghunt.yaml" --idle-exit-ms 5000 2> "$WORK/daemon.log" || { tail -20 "$WORK/daemon.log"; fail "daemon exited non-zero"; }
end=$(date +%s.%N)
grep "loghuntd stopped" "$WORK/daemon.log" >&2
received_ids | sort > "$WORK/received.txt"
expected_ids "$WORK/loghunt.yaml" > "$WORK/expected.txt"
n_expected=$(wc -l < "$WORK/expected.txt")
n_received=$(sort -u "$WORK/received.txt" | wc -l)
dups=$(( $(wc -l < "$WORK/received.txt") - n_received ))
log "expected $n_expected alert ids, received $n_received unique ($dups duplicates); daemon wall time $(echo "$end - $start" | bc) s"
[ "$n_expected" -gt 0 ] || fail "replay found no alert: the test would prove nothing"
sort -u "$WORK/received.txt" | diff - "$WORK/expected.txt" > "$WORK/diff.txt" || { head "$WORK/diff.txt"; fail "alert id sets differ"; }
echo "kafka e2e: ok ($n_expected alerts, $VALID messages)"
