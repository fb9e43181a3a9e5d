#!/usr/bin/env bash
# A journald input reading a journal directory (`path`, journalctl
# --directory): its entries are read and alerted on, the cursor survives a
# restart (entries added while stopped are read, none twice), and the alerts
# of those entries do not take the ids of earlier ones: an entry's position is
# its sequence number in the journal (until 2026-11-30 entries were numbered
# 1, 2, ... from each start, so after a restart new alerts had the ids of old
# ones, and an Elasticsearch sink, which indexes by id, overwrote them).
set -euo pipefail
bin=$1
remote=/usr/lib/systemd/systemd-journal-remote
[ -x "$remote" ] || { echo "FAIL: install systemd-journal-remote (tools/install-deps)" >&2; exit 1; }
tmp=$(mktemp -d)
daemon=
trap '[ -n "$daemon" ] && kill -9 "$daemon" 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
source "$(dirname "$0")/lib.bash"
# journal FILE FIRST N: N sudo-to-root-shell entries (each an alert), the
# first at second FIRST, written as a journal file by systemd-journal-remote.
journal() {
  for i in $(seq "$2" $(($2 + $3 - 1))); do
    printf '__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=0123456789abcdef0123456789abcdef\n' \
      $((1700000000000000 + i * 1000000)) $((i + 1))
    printf '_HOSTNAME=web-%d\nSYSLOG_IDENTIFIER=sudo\n_PID=%d\nPRIORITY=5\nSYSLOG_FACILITY=10\n' "$i" $((100 + i))
    printf 'MESSAGE=bob : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/bash\n\n'
  done | "$remote" -o "$1" - 2> /dev/null
}
mkdir "$tmp/journal"
cat > "$tmp/config.yaml" <<EOF
metrics: {listen: ""}
inputs:
  - {type: journald, path: $tmp/journal, cursor_file: $tmp/cursor, from_start: true}
detectors: {ioc: {enabled: false}}
sinks:
  - {type: file, path: $tmp/alerts.jsonl}
EOF

journal "$tmp/journal/one.journal" 0 20
start
wait_alerts 20
stop
[ -s "$tmp/cursor" ] || fail "no cursor saved"
# Added while stopped (a second file, as after a rotation or a new boot).
journal "$tmp/journal/two.journal" 20 10
start
wait_alerts 30
stop
hosts=$(jq -r '."host.name"' "$tmp/alerts.jsonl" | sort -u | wc -l)
[ "$hosts" = 30 ] || fail "expected each of the 30 entries once, got $hosts hosts"
ids=$(jq -r '.id' "$tmp/alerts.jsonl" | sort -u | wc -l)
[ "$ids" = 30 ] || fail "30 alerts of 30 entries have $ids distinct ids"
echo "journald input: 30 alerts of 30 entries over a restart, 30 distinct ids"
