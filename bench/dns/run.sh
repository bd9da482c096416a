#!/usr/bin/env bash
# Side-by-side dnsperf run: Vigil's dns component vs dnsmasq serving the same
# hosts file (local A + PTR records), 3 runs each, alternating.
#   bench/dns/run.sh [seconds-per-run]
set -euo pipefail
secs=${1:-5}
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${VIGIL_BIN:-$root/build/release/vigil}
work=$(mktemp -d)
trap 'kill $vpid $dpid 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$work/hosts"
printf '10.10.10.10 h.pigsty a.pigsty p.pigsty\n10.10.10.11 node-1.pigsty\n10.10.10.12 ok.pigsty\n' > "$work/hosts/infra"
printf 'h.pigsty A\nnode-1.pigsty A\nok.pigsty A\n10.10.10.10.in-addr.arpa PTR\n' > "$work/q.txt"
dnsmasq --keep-in-foreground --conf-file=/dev/null --no-hosts --addn-hosts="$work/hosts" --port=25353 \
  --listen-address=127.0.0.1 --bind-interfaces --no-resolv --local=/pigsty/ --local-ttl=60 --user=root \
  --log-facility=/dev/null & dpid=$!
"$bin" serve --data-dir "$work/data" --config /dev/null --only dns --set dns.listen=127.0.0.1:15353 \
  --set dns.http_listen=127.0.0.1:19153 --set "dns.hosts_dir=[$work/hosts]" --set 'dns.upstreams=[]' \
  --set log.level=warn 2>"$work/vigil.log" & vpid=$!
sleep 1
for i in 1 2 3; do
  for target in dnsmasq:25353 vigil:15353; do
    echo -n "${target%%:*} run $i: "
    dnsperf -s 127.0.0.1 -p "${target##*:}" -d "$work/q.txt" -l "$secs" -c 4 -Q 500000 -q 200 2>&1 |
      grep -E 'Queries per second|Average Latency' | tr -s ' ' | tr '\n' ' '
    echo
  done
done
