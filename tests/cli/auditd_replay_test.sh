#!/usr/bin/env bash
# `loghuntd replay --stream auditd --events FILE` on every auditd corpus file:
# exit 0, JSON lines, one event per distinct (node, timestamp:serial) counted
# from the raw records; the same records wrapped in JSON give the same events.
set -euo pipefail
bin=$1
corpora=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

n=0
while IFS= read -r -d '' f; do
  ids=$(grep -aoE '^(node=[^ ]+ )?type=[^ ]+ msg=audit\([0-9]+\.[0-9]+:[0-9]+\)' "$f" |
        sed -E 's/type=[^ ]+ //' | sort -u | wc -l)
  "$bin" replay --stream auditd --events "$f" > "$tmp/events.jsonl" 2> "$tmp/summary" ||
    fail "$f: exit code $?"
  events=$(grep -c '' "$tmp/events.jsonl" || true)
  [ "$events" -eq "$ids" ] || fail "$f: $events events for $ids audit ids"
  python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$tmp/events.jsonl" ||
    fail "$f: output is not JSON lines"
  n=$((n + 1))
done < <(find "$corpora/auditd" -type f \( -name '*.txt' -o -name '*.log' \) ! -name README.txt -print0)
[ "$n" -ge 40 ] || fail "only $n corpus files"

# filebeat-style JSON wrapping of a real file: same events, same command lines.
f="$corpora/auditd/laurel/record-perl-reverse-shell.txt"
python3 -c 'import json,sys; [print(json.dumps({"message": l.rstrip("\n"), "host": {"name": "h"}})) for l in open(sys.argv[1])]' \
  "$f" > "$tmp/wrapped.jsonl"
"$bin" replay --stream auditd --events "$f" 2>/dev/null | python3 -c 'import json,sys; print([json.loads(l).get("process.command_line") for l in sys.stdin])' > "$tmp/a"
"$bin" replay --stream auditd --events "$tmp/wrapped.jsonl" 2>/dev/null | python3 -c 'import json,sys; print([json.loads(l).get("process.command_line") for l in sys.stdin])' > "$tmp/b"
cmp -s "$tmp/a" "$tmp/b" || fail "JSON-wrapped records differ: $(cat "$tmp/a") vs $(cat "$tmp/b")"
grep -q "perl -e use Socket" "$tmp/a" || fail "reverse shell command line missing: $(cat "$tmp/a")"
echo "auditd replay: $n files"
