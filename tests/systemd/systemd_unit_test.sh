#!/usr/bin/env bash
# systemd integration of loghuntd (issue 10):
#  - `systemd-analyze verify` accepts systemd/loghuntd.service (ExecStart
#    pointed at the built binary, since /usr/bin/loghuntd is not installed);
#  - `systemd-analyze security --offline=true` exposure score is reported and
#    must stay <= 2.0;
#  - systemd-sysusers and systemd-tmpfiles accept our files (applied to a
#    scratch root);
#  - READY=1, STATUS= and WATCHDOG=1 reach a fake NOTIFY_SOCKET.
# Usage: systemd_unit_test.sh <loghuntd> <corpora-dir>
set -euo pipefail
bin=$(readlink -f "$1")
src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
for tool in systemd-analyze systemd-sysusers systemd-tmpfiles python3; do
  command -v "$tool" >/dev/null || fail "$tool missing (tools/install-deps installs systemd)"
done

# 1. verify
sed "s#/usr/bin/loghuntd#$bin#g" "$src/systemd/loghuntd.service" > "$tmp/loghuntd.service"
systemd-analyze verify "$tmp/loghuntd.service" 2> "$tmp/verify.err" ||
  fail "systemd-analyze verify: $(cat "$tmp/verify.err")"
# verify reports some problems as warnings with exit 0: there must be none.
[ ! -s "$tmp/verify.err" ] || fail "systemd-analyze verify warnings: $(cat "$tmp/verify.err")"

# 1b. A config that cannot be loaded ends the main process with exit 2,
# which RestartPreventExitStatus=2 keeps from restarting; systemd applies it
# to the main process only, so no ExecStartPre may fail with it first (a
# failing ExecStartPre=loghuntd check-config was restarted every RestartSec).
grep -qx 'RestartPreventExitStatus=2' "$src/systemd/loghuntd.service" || fail "RestartPreventExitStatus=2"
! grep -q '^ExecStartPre=' "$src/systemd/loghuntd.service" ||
  fail "an ExecStartPre failing with a bad config escapes RestartPreventExitStatus: $(grep '^ExecStartPre=' "$src/systemd/loghuntd.service")"
printf 'inputs:\n  - {stream: syslog, path: /dev/null}\nno_such_key: 1\n' > "$tmp/bad.yaml"
set +e
"$bin" run --config "$tmp/bad.yaml" > /dev/null 2> "$tmp/bad.err"
status=$?
set -e
[ "$status" = 2 ] || fail "run with a bad config: exit $status, not 2: $(cat "$tmp/bad.err")"

# 2. exposure score
systemd-analyze security --offline=true "$tmp/loghuntd.service" > "$tmp/security.txt" ||
  fail "systemd-analyze security failed"
score=$(sed -n 's/.*Overall exposure level for loghuntd.service: \([0-9.]*\).*/\1/p' "$tmp/security.txt")
[ -n "$score" ] || fail "no exposure score in: $(tail -3 "$tmp/security.txt")"
echo "systemd-analyze security exposure score: $score"
python3 -c "import sys; sys.exit(0 if float('$score') <= 2.0 else 1)" ||
  fail "exposure score $score > 2.0: $(grep '✗' "$tmp/security.txt")"

# 3. sysusers + tmpfiles in a scratch root
root="$tmp/root"
mkdir -p "$root/etc"
systemd-sysusers --root="$root" "$src/systemd/loghuntd.sysusers"
grep -q '^loghunt:' "$root/etc/passwd" || fail "sysusers did not create the loghunt user"
grep -q '^adm:.*loghunt' "$root/etc/group" || fail "loghunt is not in group adm"
grep -q '^systemd-journal:.*loghunt' "$root/etc/group" || fail "loghunt is not in systemd-journal"
systemd-tmpfiles --root="$root" --create "$src/systemd/loghuntd.tmpfiles"
[ -d "$root/var/lib/loghunt" ] || fail "tmpfiles did not create /var/lib/loghunt"
[ "$(stat -c %a "$root/var/lib/loghunt")" = 750 ] || fail "/var/lib/loghunt mode"

# 4. sd_notify to a fake NOTIFY_SOCKET: a replay from the embedded Kafka of
# the demo config (the Kafka path sends STATUS and WATCHDOG every second).
cat > "$tmp/notify.py" <<'PY'
import socket, sys, time
path, out, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(0.2)
end = time.time() + seconds
with open(out, "w") as f:
    while time.time() < end:
        try:
            f.write(s.recv(4096).decode() + "\n")
            f.flush()
        except socket.timeout:
            pass
PY
python3 "$tmp/notify.py" "$tmp/notify.sock" "$tmp/notify.log" 30 &
notifier=$!
for _ in $(seq 50); do [ -S "$tmp/notify.sock" ] && break; sleep 0.1; done
[ -S "$tmp/notify.sock" ] || fail "fake notify socket not created"
sed 's/^  - type: kafka$/  - type: stdout/; s/^    topic: loghunt-alerts$//' "$src/conf/demo/loghunt-demo.yaml" |
  sed "s#path: \(.*\.\(log\|jsonl\)\)#path: $src/conf/demo/\1#" > "$tmp/demo.yaml"
printf 'metrics:\n  listen: ""\n' >> "$tmp/demo.yaml"
NOTIFY_SOCKET="$tmp/notify.sock" WATCHDOG_USEC=500000 timeout 60 \
  "$bin" run --config "$tmp/demo.yaml" --idle-exit-ms 2500 > /dev/null 2> "$tmp/run.err" ||
  fail "loghuntd run failed: $(tail -5 "$tmp/run.err")"
sleep 0.5
kill "$notifier" 2>/dev/null || true
wait "$notifier" 2>/dev/null || true
grep -q '^READY=1' "$tmp/notify.log" || fail "no READY=1: $(head -c 300 "$tmp/notify.log")"
grep -q '^WATCHDOG=1' "$tmp/notify.log" || fail "no WATCHDOG=1: $(head -c 300 "$tmp/notify.log")"
grep -q '^STATUS=.*events/s' "$tmp/notify.log" || fail "no STATUS: $(head -c 300 "$tmp/notify.log")"
grep -q '^STOPPING=1' "$tmp/notify.log" || fail "no STOPPING=1"
echo "notify messages: $(sort "$tmp/notify.log" | cut -d= -f1 | uniq -c | tr -s ' \n' ' ')"
echo PASS
