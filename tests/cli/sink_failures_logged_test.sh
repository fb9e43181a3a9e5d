#!/usr/bin/env bash
# A synchronous sink that fails (a syslog receiver down, a full disk) logs
# which sink, which alert and why: the first failure at once, then one line a
# minute with a count. They were only counted (sink_errors in the summary at
# the end, the metric): nothing said at the moment alerts were being lost.
set -euo pipefail
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
source "$(dirname "$0")/lib.bash"
down=$(free_port)
sudo_lines 3 > "$tmp/sudo.log"
cat > "$tmp/c.yaml" <<EOF
parsers: {year: 2026}
metrics: {listen: ""}
inputs:
  - {stream: syslog, path: "$tmp/sudo.log"}
detectors: {ioc: {enabled: false}}
sinks:
  - {type: syslog, transport: tcp, address: "127.0.0.1:$down", timeout_ms: 500}
  - {type: file, path: /dev/full}
EOF
rc=0
"$bin" run --config "$tmp/c.yaml" 2> "$tmp/err" || rc=$?
[ "$rc" -eq 1 ] || fail "exit $rc with every alert lost, not 1: $(cat "$tmp/err")"
syslog=$(grep -c "sink syslog 127.0.0.1:$down: alert [0-9a-f]* (msticpy.syslog.bin_bash) not sent: connect: Connection refused" "$tmp/err" || true)
file=$(grep -c "sink file /dev/full: alert [0-9a-f]* (msticpy.syslog.bin_bash) not written: write: No space left on device" "$tmp/err" || true)
[ "$syslog" -eq 1 ] || fail "$syslog syslog failure lines for 3 alerts lost, expected 1 (throttled): $(cat "$tmp/err")"
[ "$file" -eq 1 ] || fail "$file file failure lines for 3 alerts lost, expected 1 (throttled): $(cat "$tmp/err")"
echo "sink failures logged: syslog $syslog line, file $file line for 3 alerts each"
