#!/usr/bin/env bash
# CLI contract of `loghuntd replay` and `loghuntd check-config` (issue 2):
# one normalized event per line of a real syslog corpus file, malformed lines
# counted in the summary without stopping the run, config errors with
# FILE:LINE and exit code 2.
set -euo pipefail
bin=$1
corpora=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

for f in "$corpora/syslog/loghub/Linux/Linux_2k.log" "$corpora/syslog/loghub/OpenSSH/OpenSSH_2k.log"; do
  lines=$(grep -c '' "$f")
  "$bin" replay --stream syslog --events "$f" > "$tmp/events.jsonl" 2> "$tmp/summary"
  events=$(grep -c '' "$tmp/events.jsonl")
  [ "$events" -eq "$lines" ] || fail "$f: $events events for $lines lines"
  python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$tmp/events.jsonl" ||
    fail "$f: output is not JSON lines"
  grep -q "messages=$lines events=$lines .*errors=0" "$tmp/summary" || fail "$f: summary: $(cat "$tmp/summary")"
done

# A real file with an empty line and a malformed line inserted: both counted, the rest still parsed.
f="$corpora/syslog/loghub/OpenSSH/OpenSSH_2k.log"
{ head -n 10 "$f"; echo; echo 'this is not syslog'; tail -n +11 "$f"; } > "$tmp/salted.log"
"$bin" replay --stream syslog --events "$tmp/salted.log" > "$tmp/events.jsonl" 2> "$tmp/summary" ||
  fail "replay exited non-zero on bad lines"
[ "$(grep -c '' "$tmp/events.jsonl")" -eq 2000 ] || fail "salted: expected 2000 events"
grep -q "errors=2 (empty=1 bad_timestamp=1)" "$tmp/summary" || fail "salted summary: $(cat "$tmp/summary")"

# Stdin works and an unknown stream is a usage error.
head -n 5 "$f" | "$bin" replay --stream syslog --events - > "$tmp/stdin.jsonl" 2>/dev/null
[ "$(grep -c '' "$tmp/stdin.jsonl")" -eq 5 ] || fail "stdin replay"
set +e
"$bin" replay --stream netflow "$f" > /dev/null 2>&1; rc=$?
set -e
[ "$rc" -eq 2 ] || fail "unknown stream exit code $rc"

# check-config: the shipped config passes; unknown key and wrong type fail with lines, exit 2.
"$bin" check-config conf/loghunt.yaml > /dev/null || fail "conf/loghunt.yaml rejected"
printf 'parsers:\n  year: 2019\n  colour: blue\ndetectors:\n  risky_command:\n    enabled: 12\n' > "$tmp/bad.yaml"
set +e
"$bin" check-config "$tmp/bad.yaml" 2> "$tmp/errors"; rc=$?
set -e
[ "$rc" -eq 2 ] || fail "check-config exit code $rc"
grep -q "bad.yaml:3: parsers.colour: unknown key" "$tmp/errors" || fail "unknown key: $(cat "$tmp/errors")"
grep -q "bad.yaml:6: detectors.risky_command.enabled: expected true or false" "$tmp/errors" ||
  fail "wrong type: $(cat "$tmp/errors")"
# A problem found when loading what the config names (a feed, rules) has the
# line of its section too.
printf 'inputs:\n  - {stream: syslog, path: x.log}\ndetectors:\n  ioc:\n    enabled: false\n  intel:\n    enabled: true\n    feeds: [{name: gone, path: %s/missing.txt, format: list, type: ip}]\n' "$tmp" > "$tmp/feed.yaml"
rc=0; "$bin" check-config "$tmp/feed.yaml" 2> "$tmp/errors" || rc=$?
[ "$rc" -eq 2 ] || fail "check-config with a missing feed exited $rc"
grep -q "feed.yaml:6: detectors.intel: feed gone: " "$tmp/errors" || fail "missing feed: $(cat "$tmp/errors")"

"$bin" --version | grep -q '^loghuntd ' || fail "--version"
for sub in run replay check-config; do "$bin" $sub --help > /dev/null || fail "$sub --help"; done
# An input that cannot be read or output that cannot be written: exit 1; a
# config that is a directory: exit 2.
rc=0; "$bin" replay --stream syslog "$tmp" > /dev/null 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "a directory as input exited $rc"
rc=0; echo x | "$bin" replay --stream syslog --config "$tmp" > /dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "a directory as config exited $rc"
rc=0; "$bin" check-config "$tmp" > /dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "check-config of a directory exited $rc"
rc=0
"$bin" replay --stream syslog --events "$corpora/syslog/loghub/Linux/Linux_2k.log" > /dev/full 2>/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "events written to a full device exited $rc"

# --positioned: a partition beyond int32 (it wrapped to another partition) or
# a negative offset is a bad frame.
printf 't\t99999999999\t1\tx\nt\t1\t-5\tx\n' |
  "$bin" replay --stream syslog --positioned > /dev/null 2> "$tmp/summary"
grep -q "errors=2 (bad_frame=2)" "$tmp/summary" || fail "positioned bounds: $(cat "$tmp/summary")"

# Usage errors exit 2, as configuration errors do (not CLI11's own 105-109).
for args in "" "bogus" "replay" "replay --stream syslog a b" "run --config /nonexistent" \
  "replay --stream syslog --no-such-flag" "ioc --max-depth 0"; do
  rc=0
  "$bin" $args < /dev/null > /dev/null 2> "$tmp/usage" || rc=$?
  [ "$rc" -eq 2 ] || fail "'$args' exited $rc, not 2: $(head -2 "$tmp/usage")"
  [ -s "$tmp/usage" ] || fail "'$args': no message"
done
echo "replay/check-config CLI: ok"
