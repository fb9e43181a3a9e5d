#!/usr/bin/env bash
# The demo prints at least one alert, every line of it a JSON alert.
set -euo pipefail
bin=$1
out=$(tools/demo "$bin" 2>/dev/null)
n=$(printf '%s\n' "$out" | grep -c '"event.kind":"alert"' || true)
[ "$n" -ge 1 ] || { echo "FAIL: demo printed no alert" >&2; exit 1; }
printf '%s\n' "$out" | python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin if l.strip()]'
echo "demo: $n alerts"
