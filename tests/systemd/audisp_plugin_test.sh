#!/usr/bin/env bash
# auditd plugin mode (conf/audisp-loghunt.conf): `loghuntd run` with an
# `audisp` input reads audit records from stdin, as auditd feeds its plugins,
# and finds the same alerts as `loghuntd replay --stream auditd` over the same
# records (ids and source names differ: the positions name different inputs).
# Usage: audisp_plugin_test.sh <loghuntd> <corpora-dir>
set -euo pipefail
bin=$(readlink -f "$1")
src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

conf="$src/conf/audisp-loghunt.conf"
grep -qx 'path = /usr/bin/loghuntd' "$conf" || fail "plugin path"
grep -qx 'format = string' "$conf" || fail "plugin format must be string (one record per line)"
args=$(sed -n 's/^args = //p' "$conf")
read -r -a words <<< "$args"
[ "${words[0]}" = run ] || fail "plugin args must run the daemon: $args"
# auditd 3.0 (Debian 12) passes at most two arguments: it dropped the config
# path of "run --config FILE" and the plugin exited 2 at every start.
[ "${#words[@]}" -le 2 ] || fail "auditd passes at most 2 plugin args, not ${#words[@]}: $args"

printf 'inputs:\n  - type: audisp\nmetrics:\n  listen: ""\n' > "$tmp/audisp.yaml"
"$bin" check-config "$tmp/audisp.yaml" > /dev/null || fail "audisp config rejected"
records="$src/conf/demo/auditd.log"
# As auditd starts it: the args of the .conf, the config file here instead.
"$bin" "${words[@]//\/etc\/loghunt\/audisp.yaml/$tmp/audisp.yaml}" < "$records" > "$tmp/run.jsonl" \
  2> "$tmp/run.err" || fail "run ${words[*]}: $(tail -3 "$tmp/run.err")"
grep -q "$tmp/audisp.yaml" <<< "${words[*]//\/etc\/loghunt\/audisp.yaml/$tmp/audisp.yaml}" ||
  fail "the plugin args do not name /etc/loghunt/audisp.yaml: $args"
"$bin" replay --stream auditd "$records" > "$tmp/replay.jsonl" 2> /dev/null
python3 - "$tmp/run.jsonl" "$tmp/replay.jsonl" <<'PY'
import json, sys
def load(p):
    out = []
    for line in open(p):
        a = json.loads(line)
        for k in ("id", "loghunt.position.topic"):
            a.pop(k, None)
        a.get("evidence", {}).pop("loghunt.position.topic", None)
        out.append(json.dumps(a, sort_keys=True))
    return out
run, replay = load(sys.argv[1]), load(sys.argv[2])
if not replay:
    sys.exit("FAIL: the replay found no alerts; the comparison would prove nothing")
if run != replay:
    sys.exit(f"FAIL: plugin mode gave {len(run)} alerts, replay {len(replay)}")
print(f"audisp plugin mode: {len(run)} alerts, same as replay")
PY
echo PASS
