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
