#!/usr/bin/env bash
# run_as (the auditd plugin, started as root): once stdin, listeners, sinks
# and metrics are open, `run` switches to the configured user for good, so
# the parsers and decoders no longer run as root on attacker-written
# records. An unknown user is a config error; a user other than root cannot
# switch (exit 2, said why).
set -euo pipefail
bin=$1
tmp=$(mktemp -d)
daemon=
trap '[ -n "$daemon" ] && kill -9 $daemon 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
chmod 755 "$tmp"
printf 'inputs:\n  - type: audisp\nmetrics: {listen: ""}\nrun_as: no-such-user-here\n' > "$tmp/bad.yaml"
status=0
"$bin" check-config "$tmp/bad.yaml" > "$tmp/check.out" 2>&1 || status=$?
[ "$status" = 2 ] && grep -q "run_as: no user 'no-such-user-here'" "$tmp/check.out" ||
  fail "unknown run_as user: exit $status: $(cat "$tmp/check.out")"

cat > "$tmp/audisp.yaml" <<EOF
inputs:
  - type: audisp
metrics: {listen: ""}
sinks:
  - {type: file, path: $tmp/alerts.jsonl}
run_as: nobody
EOF
mkfifo "$tmp/in"
"$bin" run --config="$tmp/audisp.yaml" < "$tmp/in" > /dev/null 2> "$tmp/err" &
daemon=$!
exec 3> "$tmp/in"
if [ "$(id -u)" != 0 ]; then
  exec 3>&-
  status=0
  wait $daemon || status=$?
  daemon=
  [ "$status" = 2 ] && grep -q 'run_as: only root can switch to nobody' "$tmp/err" ||
    fail "not root: exit $status: $(cat "$tmp/err")"
  echo "run_as: not root here; the switch is refused with exit 2"
  exit 0
fi
for _ in $(seq 100); do grep -q 'running as nobody' "$tmp/err" && break; sleep 0.1; done
grep -q 'running as nobody' "$tmp/err" || fail "no switch: $(cat "$tmp/err")"
uids=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$daemon/status")
gids=$(awk '/^Gid:/ {print $2, $3, $4, $5}' "/proc/$daemon/status")
nobody=$(id -u nobody)
nogroup=$(id -g nobody)
[ "$uids" = "$nobody $nobody $nobody $nobody" ] || fail "uids after the switch: $uids"
[ "$gids" = "$nogroup $nogroup $nogroup $nogroup" ] || fail "gids after the switch: $gids"
cat conf/demo/auditd.log >&3
exec 3>&-  # auditd closes the pipe: the plugin ends
wait $daemon || fail "exit status $? at the end of stdin: $(cat "$tmp/err")"
daemon=
[ -s "$tmp/alerts.jsonl" ] || fail "no alerts after the switch: $(cat "$tmp/err")"
echo "run_as: switched to nobody (uid $nobody), $(grep -c '' "$tmp/alerts.jsonl") alerts written"
