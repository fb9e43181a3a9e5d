#!/usr/bin/env bash
# SIGHUP outside Kafka mode (a UDP syslog listener): the Sigma rule files are
# read again and the next event meets the new rules; a rule broken while
# editing keeps the running rules. (Kafka mode rebuilds every detector from
# the config and reads the rules again the same way.)
set -euo pipefail
bin=$1
tmp=$(mktemp -d)
daemon=
trap '[ -n "$daemon" ] && kill -9 $daemon 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
source "$(dirname "$0")/lib.bash"
udp=$(free_port SOCK_DGRAM)
mkdir "$tmp/rules"
rule() {
  cat > "$tmp/rules/ruby.yml" <<EOF
title: ruby run through sudo
id: $1
logsource: {product: linux, category: process_creation}
detection:
  s: {CommandLine|contains: '/ruby '}
  condition: s
EOF
}
rule first
cat > "$tmp/loghunt.yaml" <<EOF
metrics: {listen: ""}  # the default port may be taken by a test running beside this one
inputs:
  - type: syslog_udp
    listen: 127.0.0.1:$udp
detectors:
  risky_command: {enabled: false}
  ioc: {enabled: false}
  sigma:
    enabled: true
    rules: [$tmp/rules]
sinks:
  - {type: file, path: $tmp/alerts.jsonl, fsync: true}
EOF
"$bin" run --config "$tmp/loghunt.yaml" > /dev/null 2> "$tmp/err" &
daemon=$!
send() {
  python3 - "$udp" <<'EOF'
import socket, sys
line = b"<86>Jul  8 16:08:00 squid-uk-02 sudo: omsagent : TTY=unknown   PWD=/   USER=root   COMMAND=/opt/microsoft/omsagent/ruby/bin/ruby /opt/x.rb"
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(line, ("127.0.0.1", int(sys.argv[1])))
EOF
}
# Alerts from rule $1: the count once it reaches $2 (waits up to 15 s).
wait_alerts() {
  for _ in $(seq 1 75); do
    n=$(grep -c "\"rule.id\":\"$1\"" "$tmp/alerts.jsonl" 2>/dev/null || true)
    [ "${n:-0}" -ge "$2" ] && return 0
    sleep 0.2
  done
  fail "expected $2 alert(s) of rule $1, got ${n:-0}: $(tail -3 "$tmp/err")"
}
wait_log() {
  for _ in $(seq 1 75); do
    [ "$(grep -c "$1" "$tmp/err" || true)" -ge "$2" ] && return 0
    sleep 0.2
  done
  fail "no log line '$1' (#$2): $(tail -3 "$tmp/err")"
}
wait_log "listening for syslog" 1
send
wait_alerts first 1

rule second
kill -HUP $daemon
wait_log "reload: detectors.sigma: 1 of 1 rules loaded" 1
send
wait_alerts second 1

printf 'title: broken\nid: third\ndetection: [\n' > "$tmp/rules/ruby.yml"
kill -HUP $daemon
wait_log "keeping the running rules" 1
send
wait_alerts second 2
[ "$(grep -c '"rule.id":"third"' "$tmp/alerts.jsonl" || true)" -eq 0 ] || fail "the broken rule set was used"

kill -TERM $daemon
wait $daemon || fail "exit status $?"
daemon=
echo "SIGHUP read the rules again (first -> second); a broken rule file kept the running rules"
