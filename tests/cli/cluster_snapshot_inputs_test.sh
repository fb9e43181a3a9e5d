#!/usr/bin/env bash
# With several inputs, each input's pipeline (its own cluster detector) keeps
# its own snapshot file, PATH.input<N>; with one input the path is used as
# configured. The inputs used to share PATH: each restored another's state,
# and listeners running at once wrote the same temporary file.
set -euo pipefail
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# No metrics endpoint: the default port is the demo's, which a test running
# at the same time may hold.
cat > "$tmp/two.yaml" <<EOF
metrics: {listen: ""}
inputs:
  - {stream: syslog, path: $PWD/conf/demo/syslog.log}
  - {stream: auditd, path: $PWD/conf/demo/auditd.log}
detectors:
  cluster: {enabled: true, warmup_events: 10, snapshot_path: $tmp/two.snap}
sinks:
  - {type: file, path: $tmp/alerts.jsonl}
EOF
"$bin" run --config "$tmp/two.yaml" 2> "$tmp/err" || fail "run: $(cat "$tmp/err")"
[ -s "$tmp/two.snap.input0" ] || fail "no snapshot of input 0"
[ -s "$tmp/two.snap.input1" ] || fail "no snapshot of input 1"
[ ! -e "$tmp/two.snap" ] || fail "the shared path was written"
if cmp -s "$tmp/two.snap.input0" "$tmp/two.snap.input1"; then
  fail "both inputs wrote the same state"
fi
# A second run restores each input's own state: no snapshot is rejected.
"$bin" run --config "$tmp/two.yaml" 2> "$tmp/err2" || fail "second run: $(cat "$tmp/err2")"
if grep -q "(ignored)" "$tmp/err2"; then fail "a snapshot was rejected: $(cat "$tmp/err2")"; fi
sed -e '/auditd.log/d' -e 's/two\.snap/one.snap/' "$tmp/two.yaml" > "$tmp/one.yaml"
"$bin" run --config "$tmp/one.yaml" 2> "$tmp/err3" || fail "one input: $(cat "$tmp/err3")"
[ -s "$tmp/one.snap" ] || fail "one input: no snapshot at the configured path"
[ ! -e "$tmp/one.snap.input0" ] || fail "one input: suffixed path"
echo "ok: two inputs wrote two.snap.input0 and .input1 ($(stat -c %s "$tmp/two.snap.input0") and $(stat -c %s "$tmp/two.snap.input1") bytes); one input wrote one.snap"
