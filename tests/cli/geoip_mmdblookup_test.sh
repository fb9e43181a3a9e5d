#!/usr/bin/env bash
# GeoIP/ASN on alerts vs mmdblookup (issue 11): MaxMind's published test
# databases (GeoIP2-City-Test.mmdb, GeoLite2-ASN-Test.mmdb, shipped inside the
# maxminddb sdist on PyPI, pinned by hash) and public IPv4 networks picked from
# their source data; sshd failures from those IPs are replayed with an intel
# feed listing them and GeoIP on, and every IpAddress entity's CountryCode,
# CountryName, City, Latitude, Longitude, Asn and AsOrg must equal what
# `mmdblookup` (Debian mmdb-bin) reads from the same files.
set -euo pipefail
bin=$1
command -v mmdblookup >/dev/null || { echo "FAIL: mmdblookup missing (tools/install-deps)" >&2; exit 1; }
cache=${TMPDIR:-/tmp}/loghunt-maxmind-test-data
sdist=maxminddb-3.2.0.tar.gz
sha=d28e0073fd1dd637c8b95947bc864b5625eca9f8f2db1538145e33b2a1cd4b92
mkdir -p "$cache"
if ! echo "$sha  $cache/$sdist" | sha256sum -c --status 2>/dev/null; then
  python3 -m pip download maxminddb==3.2.0 --no-binary :all: --no-deps -q -d "$cache" >&2
  echo "$sha  $cache/$sdist" | sha256sum -c --status
fi
tmp=$(mktemp -d)
trap "rm -rf $tmp" EXIT
d=maxminddb-3.2.0/tests/data
tar xzf "$cache/$sdist" -C "$tmp" "$d/test-data/GeoIP2-City-Test.mmdb" \
  "$d/test-data/GeoLite2-ASN-Test.mmdb" "$d/source-data/GeoIP2-City-Test.json" \
  "$d/source-data/GeoLite2-ASN-Test.json"
city=$tmp/$d/test-data/GeoIP2-City-Test.mmdb
asn=$tmp/$d/test-data/GeoLite2-ASN-Test.mmdb
python3 - "$tmp/$d/source-data" "$tmp" <<'PY'
import ipaddress, json, sys
src, out = sys.argv[1], sys.argv[2]
ips = []
for name in ("GeoIP2-City-Test.json", "GeoLite2-ASN-Test.json"):
    for rec in json.load(open(f"{src}/{name}")):
        for net in rec:
            n = ipaddress.ip_network(net, strict=False)
            if n.version == 4 and n.network_address.is_global and str(n.network_address) not in ips:
                ips.append(str(n.network_address))
with open(f"{out}/ips.txt", "w") as f:
    f.write("\n".join(ips) + "\n")
with open(f"{out}/sshd.log", "w") as f:
    for i, ip in enumerate(ips):
        f.write(f"Dec 10 06:55:{i % 60:02d} LabSZ sshd[{24200 + i}]: Failed password for root from {ip} port 38926 ssh2\n")
PY
cat > "$tmp/cfg.yaml" <<YAML
parsers: {year: 2019}
detectors:
  intel:
    enabled: true
    scan_text: false
    feeds: [{name: test-ips, path: $tmp/ips.txt, format: list, type: ip}]
  geoip: {enabled: true, city_db: $city, asn_db: $asn}
YAML
"$bin" replay --stream syslog --config "$tmp/cfg.yaml" "$tmp/sshd.log" > "$tmp/alerts.jsonl" 2> "$tmp/err"
python3 - "$tmp/alerts.jsonl" "$city" "$asn" <<'PY'
import json, re, subprocess, sys
alerts, city, asn = sys.argv[1:]
def lookup(db, ip, *path):
    r = subprocess.run(["mmdblookup", "--file", db, "--ip", ip, *path], capture_output=True, text=True)
    m = re.search(r'^\s*(".*"|[-0-9.]+)\s+<(\w+)>', r.stdout, re.M)
    if not m: return None
    v = m.group(1)
    return json.loads(v) if v.startswith('"') else v
fields = {"CountryCode": (city, "country", "iso_code"), "CountryName": (city, "country", "names", "en"),
          "City": (city, "city", "names", "en"), "Latitude": (city, "location", "latitude"),
          "Longitude": (city, "location", "longitude"), "Asn": (asn, "autonomous_system_number"),
          "AsOrg": (asn, "autonomous_system_organization")}
checked = enriched = failed = 0
for line in open(alerts):
    a = json.loads(line)
    for e in a.get("entities", []):
        if e.get("Type") != "IpAddress": continue
        props = e
        ip = props.get("Address")
        if not ip: continue
        any_field = False
        for name, (db, *path) in fields.items():
            want = lookup(db, ip, *path)
            got = props.get(name)
            if want is None:
                ok = got is None
            elif name in ("Latitude", "Longitude"):
                ok = got is not None and abs(float(got) - float(want)) < 1e-6
            else:
                ok = got is not None and str(got) == str(want)
            any_field |= want is not None
            checked += 1
            if not ok:
                failed += 1
                print(f"FAIL: {ip} {name}: alert {got!r} mmdblookup {want!r}", file=sys.stderr)
        enriched += any_field
print(f"geoip_mmdblookup: {enriched} IpAddress entities, {checked} fields compared, {failed} differ")
sys.exit(1 if failed or enriched < 5 else 0)
PY
