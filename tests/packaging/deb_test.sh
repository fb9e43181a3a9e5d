#!/usr/bin/env bash
# Packaging (issue 10): `cpack -G DEB` in the build directory of <loghuntd>
# builds the .deb, which installs into a scratch root with
# `dpkg --root --force-script-chrootless` (postinst runs with $DPKG_ROOT and
# creates the loghunt user and directories there). Checks the files, the
# conffile, that the installed binary runs, and a clean purge.
# Usage: deb_test.sh <loghuntd> <corpora-dir>
set -euo pipefail
bin=$(readlink -f "$1")
build=$(dirname "$bin")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -f "$build/CPackConfig.cmake" ] || fail "no CPackConfig.cmake in $build"
[ "$(id -u)" -eq 0 ] || { echo "SKIP: dpkg --root needs root"; exit 0; }

(cd "$build" && cpack -G DEB -B "$tmp/pkg" > "$tmp/cpack.log" 2>&1) ||
  fail "cpack: $(tail -5 "$tmp/cpack.log")"
deb=$(ls "$tmp"/pkg/loghunt_*.deb)
echo "built $(basename "$deb") ($(du -h "$deb" | cut -f1))"
dpkg-deb -I "$deb" conffiles | grep -qx /etc/loghunt/loghunt.yaml || fail "loghunt.yaml is not a conffile"
dpkg-deb -f "$deb" Depends | grep -q librdkafka || fail "Depends lacks the shared libraries"

root="$tmp/root"
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/etc"
touch "$root/var/lib/dpkg/status"
# The scratch root has none of the dependencies installed: the host has them.
dpkg --root="$root" --force-script-chrootless --force-depends --log=/dev/null \
  -i "$deb" > "$tmp/dpkg.log" 2>&1 || fail "dpkg -i: $(tail -5 "$tmp/dpkg.log")"

for f in usr/bin/loghuntd usr/lib/systemd/system/loghuntd.service usr/lib/sysusers.d/loghunt.conf \
         usr/lib/tmpfiles.d/loghunt.conf etc/loghunt/loghunt.yaml usr/share/loghunt/sigma-mappings.yaml \
         usr/share/doc/loghunt/README.md; do
  [ -e "$root/$f" ] || fail "/$f not installed"
done
dpkg --root="$root" -s loghunt | grep -q '^Status: install ok installed' || fail "not installed in dpkg db"
grep -q '^loghunt:' "$root/etc/passwd" || fail "postinst did not create the loghunt user"
[ -d "$root/var/lib/loghunt" ] || fail "postinst did not create /var/lib/loghunt"
"$root/usr/bin/loghuntd" --version > /dev/null || fail "installed loghuntd does not run"
"$root/usr/bin/loghuntd" check-config "$root/etc/loghunt/loghunt.yaml" > /dev/null ||
  fail "installed config rejected"
[ "$(stat -c %a "$root/usr/bin/loghuntd")" = 755 ] || fail "binary mode"

# A local config edit survives removal (conffile) and goes with purge.
echo "# local edit" >> "$root/etc/loghunt/loghunt.yaml"
dpkg --root="$root" --force-script-chrootless --log=/dev/null -r loghunt > /dev/null 2>&1 || fail "dpkg -r"
[ ! -e "$root/usr/bin/loghuntd" ] || fail "binary left after remove"
grep -q "local edit" "$root/etc/loghunt/loghunt.yaml" || fail "conffile not kept on remove"
dpkg --root="$root" --force-script-chrootless --log=/dev/null -P loghunt > /dev/null 2>&1 || fail "dpkg -P"
[ ! -e "$root/etc/loghunt/loghunt.yaml" ] || fail "conffile left after purge"
echo PASS
