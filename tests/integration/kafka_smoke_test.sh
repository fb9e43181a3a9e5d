#!/usr/bin/env bash
# Smoke test of tools/kafka: starts the real single-node Kafka broker (unless
# one is already running), checks that a second `start` is a no-op, creates a
# topic, produces three keyed messages with the Kafka console producer and
# reads them back with the console consumer, then stops the broker again (by a
# trap, so also on failure) when this test was the one that started it.
# Exits non-zero on any failure. Arguments (as CTest passes them) are ignored.
# Run from anywhere: bash tests/integration/kafka_smoke_test.sh
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kafka=$here/../../tools/kafka
name=kafka_smoke_test

fail() { echo "$name: FAIL: $*" >&2; exit 1; }

started_here=0
cleanup() {
  if [ "$started_here" = 1 ]; then
    "$kafka" stop || echo "$name: warning: tools/kafka stop failed" >&2
  fi
}
trap cleanup EXIT

if "$kafka" status 2>/dev/null; then
  echo "$name: using the broker that is already running" >&2
else
  started_here=1
fi

bootstrap=$("$kafka" start | tail -n 1)
[[ $bootstrap =~ ^127\.0\.0\.1:[0-9]+$ ]] || fail "start printed '$bootstrap', not 127.0.0.1:PORT"
[ "$bootstrap" = "$("$kafka" bootstrap)" ] || fail "start and bootstrap disagree"

# start again: must notice the running broker and print the same address
again=$("$kafka" start 2>/dev/null | tail -n 1)
[ "$again" = "$bootstrap" ] || fail "second start printed '$again', expected '$bootstrap'"
"$kafka" status || fail "status does not report the running broker"

topic="smoke-$$-$RANDOM"
"$kafka" run-class org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" \
  --create --topic "$topic" --partitions 1 --replication-factor 1 >&2 \
  || fail "could not create topic $topic"

expected=$'k1:hello\nk2:loghunt\nk3:kafka'
printf '%s\n' "$expected" | "$kafka" run-class org.apache.kafka.tools.ConsoleProducer \
  --bootstrap-server "$bootstrap" --topic "$topic" \
  --reader-property parse.key=true --reader-property key.separator=: \
  --command-property acks=all >&2 \
  || fail "console producer failed"

got=$("$kafka" run-class org.apache.kafka.tools.consumer.ConsoleConsumer \
  --bootstrap-server "$bootstrap" --topic "$topic" --from-beginning \
  --max-messages 3 --timeout-ms 30000 \
  --formatter-property print.key=true --formatter-property key.separator=: 2>/dev/null) \
  || fail "console consumer failed (got: $got)"

if [ "$got" != "$expected" ]; then
  echo "expected:" >&2; echo "$expected" >&2
  echo "got:" >&2; echo "$got" >&2
  fail "consumed messages differ from the produced ones"
fi

"$kafka" run-class org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" \
  --delete --topic "$topic" >&2 || fail "could not delete topic $topic"

echo "$name: PASS (broker at $bootstrap, 3 messages round-tripped)"
