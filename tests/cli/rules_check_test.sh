#!/usr/bin/env bash
# `loghuntd rules check`: counts loaded rules, lists rejected ones with file,
# id and reason, exit 0 / 1 (rejections) / 2 (nothing loadable).
set -u
loghuntd=$1
corpora=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

sigma="$corpora/sigma"
out=$("$loghuntd" rules check "$sigma/rules" "$sigma/rules-threat-hunting" "$sigma/rules-emerging-threats")
rc=$?
echo "$out" | tail -1
total=$(find "$sigma/rules" "$sigma/rules-threat-hunting" "$sigma/rules-emerging-threats" -name '*.yml' | wc -l)
loaded=$(echo "$out" | sed -n 's/^loaded \([0-9]*\) of \([0-9]*\) rules.*/\1/p')
of=$(echo "$out" | sed -n 's/^loaded \([0-9]*\) of \([0-9]*\) rules.*/\2/p')
[ "$of" = "$total" ] || fail "expected $total rule files, report says '$of'"
[ $((loaded * 100)) -ge $((total * 99)) ] || fail "only $loaded of $total loaded"
if [ "$loaded" = "$total" ]; then [ $rc -eq 0 ] || fail "exit $rc with nothing rejected"; fi

cat > "$tmp/good.yml" <<'YML'
title: Whoami
id: 11111111-0000-0000-0000-000000000001
logsource: {product: windows, category: process_creation}
detection:
  sel: {Image|endswith: '\whoami.exe'}
  condition: sel
level: low
YML
cat > "$tmp/bad.yml" <<'YML'
title: Counted
id: 22222222-0000-0000-0000-000000000002
logsource: {product: windows, category: process_creation}
detection:
  sel: {Image|endswith: '\net.exe'}
  condition: sel | count() by User > 5
level: low
YML
out=$("$loghuntd" rules check "$tmp")
rc=$?
[ $rc -eq 1 ] || fail "a rejected rule must give exit 1, got $rc"
echo "$out" | grep -q "^rejected: $tmp/bad.yml: 22222222-0000-0000-0000-000000000002: .*aggregation" \
  || fail "rejection line missing: $out"
echo "$out" | grep -q "^loaded 1 of 2 rules" || fail "summary wrong: $out"

# A third party's rule cannot forge output lines (or hide text with ESC):
# its id and the reason are written with control characters escaped.
rm "$tmp/bad.yml"
printf 'title: Forged\nid: "abc\\n[2026-01-01 00:00:00.000] [loghuntd] [info] all rules loaded\\e[8m"\nlogsource: {product: windows, category: process_creation}\ndetection:\n  sel: {Image|nosuchmodifier: x}\n  condition: sel\n' > "$tmp/forged.yml"
out=$("$loghuntd" rules check "$tmp")
[ "$(echo "$out" | grep -c '')" = 2 ] || fail "a rule id made more output lines: $out"
echo "$out" | grep -q '^rejected: .*forged.yml: abc\\n\[2026-01-01 .*all rules loaded\\x1b\[8m: ' ||
  fail "the rejected id is not escaped: $out"
printf '%s' "$out" | grep -q $'\x1b' && fail "ESC reached the output: $out"

"$loghuntd" rules check "$tmp/missing" >/dev/null 2>&1
rc=$?
[ $rc -eq 2 ] || fail "a missing path must give exit 2, got $rc"
echo "rules check: ok"
