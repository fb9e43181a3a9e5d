# Shared helpers of the Kafka integration tests (sourced, not run).
# Every test: starts the real broker (tools/kafka), uses topics with a unique
# suffix, and stops the broker on exit. Arguments of every test script:
#   $1 = path to loghuntd, $2 = corpora folder.
set -euo pipefail

BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
CORPORA=$2
BUILD=$(dirname "$BIN")
TOOL=$BUILD/kafkatool
ROOT=$(pwd)
ID=t$$
WORK=$(mktemp -d)
DAEMON_PIDS=()

# On failure, the end of each daemon log of the test (librdkafka lines aside).
fail() {
  echo "FAIL: $*" >&2
  for f in "$WORK"/*.log; do
    [ -f "$f" ] || continue
    echo "--- last lines of $(basename "$f"):" >&2
    grep -v '^%' "$f" | tail -n 25 >&2 || true
  done
  exit 1
}
log() { echo "== $*" >&2; }

cleanup() {
  for pid in "${DAEMON_PIDS[@]:-}"; do
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
  done
  "$ROOT/tools/kafka" stop >/dev/null 2>&1 || true
  if [ -n "${KEEP_WORK:-}" ]; then echo "work files kept in $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

start_broker() {
  BROKERS=$("$ROOT/tools/kafka" start | tail -n 1)
  log "broker at $BROKERS"
}

create_topics() {
  for t in auditd syslog winevent alerts dlq; do
    "$TOOL" create --brokers "$BROKERS" --topic "$t-$ID" --partitions 6 || fail "create $t-$ID"
  done
}

# produce_corpora SCALE [extra kafkatool args]: about 225,000 messages at SCALE=1,
# all from real corpora, keyed by host.
produce_corpora() {
  local scale=$1
  shift
  local out=$WORK/produced.txt
  : > "$out"
  "$TOOL" produce --brokers "$BROKERS" --topic "syslog-$ID" --stream syslog --file "$ROOT/conf/demo/syslog.log" --repeat $((200 * scale)) "$@" >> "$out"
  "$TOOL" produce --brokers "$BROKERS" --topic "syslog-$ID" --stream syslog --file "$CORPORA/syslog/loghub/OpenSSH/OpenSSH_2k.log" --repeat $((30 * scale)) "$@" >> "$out"
  "$TOOL" produce --brokers "$BROKERS" --topic "syslog-$ID" --stream syslog --file "$CORPORA/syslog/loghub/Linux/Linux_2k.log" --repeat $((30 * scale)) "$@" >> "$out"
  "$TOOL" produce --brokers "$BROKERS" --topic "auditd-$ID" --stream auditd --file "$CORPORA/auditd/msticpy/auditd_log.txt" --repeat $((30 * scale)) "$@" >> "$out"
  "$TOOL" produce --brokers "$BROKERS" --topic "winevent-$ID" --stream winevent --file "$CORPORA/windows/security_datasets_process_creation.jsonl" --repeat $((20 * scale)) "$@" >> "$out"
  VALID=$(awk -F'[ =]' '{v += $2; g += $4} END {print v}' "$out")
  GARBAGE=$(awk -F'[ =]' '{v += $2; g += $4} END {print g}' "$out")
  log "produced $VALID valid and $GARBAGE garbage messages"
}

# write_config FILE GROUP [METRICS_LISTEN] [extra YAML lines for the kafka section]
write_config() {
  local file=$1 group=$2 metrics=${3:-}
  cat > "$file" <<YAML
parsers:
  year: 2019
  max_message_bytes: 262144
kafka:
  brokers: "$BROKERS"
  group_id: $group
  topics:
    auditd: [auditd-$ID]
    syslog: [syslog-$ID]
    winevent: [winevent-$ID]
  dead_letter_topic: dlq-$ID
  commit_interval_ms: 500
  workers: 2
sinks:
  - type: kafka
    topic: alerts-$ID
metrics:
  listen: "$metrics"
YAML
}

# The alert ids on the alert topic, one per line (duplicates kept).
received_ids() {
  "$TOOL" dump --brokers "$BROKERS" --topic "alerts-$ID" --idle-ms 4000 --header loghunt.alert_id
}

# The alert ids `loghuntd replay` finds over exactly what is on the source
# topics, with the same positions (sorted, unique).
expected_ids() {
  local config=$1
  for s in auditd syslog winevent; do
    "$TOOL" dump --brokers "$BROKERS" --topic "$s-$ID" --idle-ms 3000 --with-position > "$WORK/dump-$s.txt"
    # Each partition's lines must be in offset order; dump interleaves partitions.
    LC_ALL=C sort -t $'\t' -k2,2n -k3,3n -s "$WORK/dump-$s.txt" > "$WORK/dump-$s.sorted"
    "$BIN" replay --stream "$s" --config "$config" --positioned "$WORK/dump-$s.sorted" 2>> "$WORK/replay.log"
  done > "$WORK/expected-alerts.jsonl"
  grep -o '"id":"[0-9a-f]*"' "$WORK/expected-alerts.jsonl" | cut -d'"' -f4 | sort -u
}

# explain_missing EXPECTED RECEIVED: for alerts expected and not received,
# how many per rule, and the first few whole (diagnostics on failure).
explain_missing() {
  comm -23 "$1" <(sort -u "$2") > "$WORK/missing.txt"
  [ -s "$WORK/missing.txt" ] || return 0
  grep -F -f <(sed 's/.*/"id":"&"/' "$WORK/missing.txt") "$WORK/expected-alerts.jsonl" > "$WORK/missing-alerts.jsonl" || true
  echo "missing alerts per rule:" >&2
  grep -o '"rule.id":"[^"]*"' "$WORK/missing-alerts.jsonl" | sort | uniq -c | sort -rn >&2 || true
  head -c 3000 "$WORK/missing-alerts.jsonl" >&2
}

# metric NAME PORT: the sum of a metric's samples.
# 0 while the metrics server is not up yet.
metric() {
  local body
  body=$(curl -sf "http://127.0.0.1:$2/metrics") || body=""
  awk -v n="$1" '$1 ~ "^"n"({|$)" {s += $2} END {printf "%d\n", s}' <<< "$body"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
