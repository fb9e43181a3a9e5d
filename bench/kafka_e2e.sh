#!/usr/bin/env bash
# End-to-end benchmark with a real Apache Kafka broker on this machine
# (issue 9, Done-when 6). The broker, the producer and loghuntd share the
# machine's cores.
#   1. Throughput: about 450,000 real messages are produced first; loghuntd
#      (2 workers) then consumes them all; the daemon reports messages per
#      second of consumption (first batch to last batch).
#   2. Latency: a paced stream (5,000 messages/s) flows while loghuntd runs;
#      kafkatool reports producer-to-alert latency p50/p99 (alert's Kafka
#      timestamp minus its source message's timestamp).
# Usage: bench/kafka_e2e.sh [build dir] [corpora dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
set -- "$build/loghuntd" "${2:-../shared/corpora}"
source tests/integration/lib.bash
start_broker
create_topics
produce_corpora 2
write_config "$WORK/loghunt.yaml" "bench-$ID"
"$BIN" run --config "$WORK/loghunt.yaml" --idle-exit-ms 3000 2> "$WORK/daemon.log"
grep -E "loghuntd stopped|throughput" "$WORK/daemon.log" | sed 's/^.*\] //'
echo "(load average during the run: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores)"

# Latency at a fixed, lower rate.
ID=${ID}l
create_topics
write_config "$WORK/latency.yaml" "bench-$ID"
"$BIN" run --config "$WORK/latency.yaml" 2> "$WORK/daemon-latency.log" &
daemon=$!
DAEMON_PIDS+=("$daemon")
sleep 8  # join the group before the stream starts
produce_corpora 1 --rate 5000 > /dev/null
sleep 5  # the last alerts
kill -TERM "$daemon"
wait "$daemon"
"$TOOL" latency --brokers "$BROKERS" --topic "alerts-$ID" --sources "auditd-$ID,syslog-$ID,winevent-$ID" --idle-ms 3000
