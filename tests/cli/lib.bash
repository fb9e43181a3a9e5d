# Helpers of the CLI tests (sourced: `source "$(dirname "$0")/lib.bash"`).

# A free port on 127.0.0.1: bound, then closed again. $1: SOCK_STREAM
# (default) or SOCK_DGRAM.
free_port() {
  python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET, getattr(socket, sys.argv[1])); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' "${1:-SOCK_STREAM}"
}

# The sum of a metric's series (all labels) in a /metrics scrape: $1 name, $2 file.
metric_value() { awk -v n="$1" '$1 ~ "^"n"({|$)" {s += $2} END {printf "%d\n", s}' "$2"; }

# $1 syslog lines of a sudo to a root shell, one second apart from Jul 8
# 16:00:01, each an alert (msticpy.syslog.bin_bash; `parsers: {year: ...}`).
sudo_lines() {
  for i in $(seq 1 "$1"); do
    printf 'Jul  8 16:%02d:%02d web1 sudo: bob : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/bash\n' $((i / 60 % 60)) $((i % 60))
  done
}

# A daemon run by a test, with the test's $bin, $tmp and fail(): `run`
# reads $tmp/config.yaml and writes alerts to $tmp/alerts.jsonl (the config's
# file sink), its log to $tmp/err; $daemon is its pid while it runs.
# alerts: how many alerts were written so far.
alerts() { [ -f "$tmp/alerts.jsonl" ] && wc -l < "$tmp/alerts.jsonl" || echo 0; }
# wait_alerts N: waits up to 10 s for N alerts; fails with another count.
wait_alerts() {
  for _ in $(seq 100); do [ "$(alerts)" -ge "$1" ] && break; sleep 0.1; done
  [ "$(alerts)" = "$1" ] || fail "expected $1 alerts, got $(alerts): $(cat "$tmp/err")"
}
start() {
  "$bin" run --config "$tmp/config.yaml" > /dev/null 2>> "$tmp/err" &
  daemon=$!
}
# stop: SIGTERM, and the exit status must be 0.
stop() {
  kill -TERM "$daemon"
  wait "$daemon" || fail "exit status $? after SIGTERM: $(cat "$tmp/err")"
  daemon=
}
