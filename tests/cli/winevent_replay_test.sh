#!/usr/bin/env bash
# `loghuntd replay --stream winevent` over real Security-Datasets files: one
# event per non-empty line, the empty line of schtask_create counted as an
# error without stopping the run, process_start events equal to the 4688 +
# Sysmon 1 records counted from the raw JSON, command lines byte-exact.
set -euo pipefail
bin=$1
corpora=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

for f in "$corpora/windows/full/schtask_create_2020-12-1907003032.json" \
         "$corpora/windows/full/psh_lsass_memory_dump_comsvcs_2020-10-18T19500924.json"; do
  name=$(basename "$f")
  "$bin" replay --stream winevent --events "$f" > "$tmp/events.jsonl" 2> "$tmp/summary" ||
    fail "$name: replay exited non-zero"
  python3 - "$f" "$tmp/events.jsonl" "$tmp/summary" <<'PY' || fail "$name: see above"
import json, sys
raw_path, events_path, summary_path = sys.argv[1:]
raw = [json.loads(l) for l in open(raw_path, encoding="utf-8") if l.strip()]
empty = sum(1 for l in open(raw_path, encoding="utf-8") if not l.strip())
events = [json.loads(l) for l in open(events_path, encoding="utf-8")]
summary = open(summary_path).read()
def is_start(r):
    ch = r.get("Channel", "")
    return (r["EventID"] == 4688 and ch.lower() == "security") or (r["EventID"] == 1 and "Sysmon" in ch)
want = [r for r in raw if is_start(r)]
got = [e for e in events if e.get("event.type") == "process_start"]
problems = []
if len(events) != len(raw):
    problems.append(f"{len(events)} events for {len(raw)} records")
if len(got) != len(want):
    problems.append(f"{len(got)} process_start for {len(want)} 4688/Sysmon-1 records")
for r, e in zip(want, got):
    if e.get("process.command_line") != r.get("CommandLine"):
        problems.append(f"command line {e.get('process.command_line')!r} != {r.get('CommandLine')!r}")
    parent = r.get("ParentImage", r.get("ParentProcessName"))
    if e.get("process.parent.executable") != parent:
        problems.append(f"parent {e.get('process.parent.executable')!r} != {parent!r}")
expect = f"errors={empty}" + (" (empty=1)" if empty else "")
if expect not in summary:
    problems.append(f"summary lacks {expect!r}: {summary.strip()}")
if problems:
    print("\n".join(problems[:10]), file=sys.stderr)
    sys.exit(1)
PY
done

# evtx_dump output (SigmaHQ's regression data): pretty-printed objects, one
# message each, not one bad_json error per line. Each file of the first 20
# rules of the index replays with no error and fires its rule.
python3 - "$corpora/sigma" "$tmp" <<'PY' > "$tmp/cases"
import json, sys
root, tmp = sys.argv[1:]
for line in list(open(root + "/regression_index.jsonl"))[:20]:
    r = json.loads(line)
    print(r["rule_id"], root + "/" + r["rule_path"], root + "/" + r["event_json"])
PY
while read -r id rule event; do
  printf 'metrics: {listen: ""}\ndetectors:\n  sigma: {enabled: true, rules: ["%s"]}\n' "$rule" > "$tmp/sigma.yaml"
  "$bin" replay --stream winevent --config "$tmp/sigma.yaml" "$event" > "$tmp/alerts" 2> "$tmp/summary" ||
    fail "$event: replay exited non-zero: $(cat "$tmp/summary")"
  grep -q "errors=0" "$tmp/summary" || fail "$event: $(tail -1 "$tmp/summary")"
  grep -q "\"rule.id\":\"$id\"" "$tmp/alerts" || fail "$event: rule $id did not fire: $(tail -1 "$tmp/summary")"
done < "$tmp/cases"
[ "$(wc -l < "$tmp/cases")" = 20 ] || fail "expected 20 regression cases"
echo "winevent replay: ok"
