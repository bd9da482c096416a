#!/usr/bin/env bash
# Side-by-side dnsperf run: Vigil's dns component vs dnsmasq 2.90, same
# hosts file (local A + PTR records) and the same upstream (a third server,
# dnsmasq, answering *.ext.test with TTL 3600, so after the first query the
# forwarders answer from their caches). 3 runs per workload and server,
# alternating. Prints queries/s, average latency and the server's CPU time
# per answered query.
#   bench/dns/run.sh [seconds-per-run]
set -euo pipefail
secs=${1:-5}
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${VIGIL_BIN:-$root/build/release/vigil}
work=$(mktemp -d)
trap 'kill $vpid $dpid $upid 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$work/hosts" "$work/upstream"
printf '10.10.10.10 h.pigsty a.pigsty p.pigsty\n10.10.10.11 node-1.pigsty\n10.10.10.12 ok.pigsty\n' > "$work/hosts/infra"
printf '192.0.2.1 www.ext.test\n192.0.2.2 db.ext.test\n192.0.2.3 api.ext.test\n' > "$work/upstream/hosts"
printf 'h.pigsty A\nnode-1.pigsty A\nok.pigsty A\n10.10.10.10.in-addr.arpa PTR\n' > "$work/local.txt"
printf 'www.ext.test A\ndb.ext.test A\napi.ext.test A\n' > "$work/cached.txt"
common=(--keep-in-foreground --conf-file=/dev/null --no-hosts --listen-address=127.0.0.1 --bind-interfaces
        --no-resolv --user=root --log-facility=/dev/null)
dnsmasq "${common[@]}" --addn-hosts="$work/upstream" --port=35353 --local-ttl=3600 & upid=$!
dnsmasq "${common[@]}" --addn-hosts="$work/hosts" --port=25353 --local=/pigsty/ --local-ttl=60 \
  --server=127.0.0.1#35353 & dpid=$!
"$bin" serve --data-dir "$work/data" --config /dev/null --only dns --set dns.listen=127.0.0.1:15353 \
  --set dns.http_listen=127.0.0.1:19153 --set "dns.hosts_dir=[$work/hosts]" \
  --set 'dns.upstreams=[127.0.0.1:35353]' --set log.level=warn 2>"$work/vigil.log" & vpid=$!
sleep 1
for queries in local cached; do
  for i in 1 2 3; do
    for target in dnsmasq:25353 vigil:15353; do
      pid=$dpid; [ "${target%%:*}" = vigil ] && pid=$vpid
      cpu0=$(awk '{print $14+$15}' /proc/$pid/stat)
      out=$(dnsperf -s 127.0.0.1 -p "${target##*:}" -d "$work/$queries.txt" -l "$secs" -c 4 -Q 500000 -q 200 2>&1)
      cpu1=$(awk '{print $14+$15}' /proc/$pid/stat)
      answered=$(echo "$out" | awk '/Queries completed/ {print $3}')
      qps=$(echo "$out" | awk '/Queries per second/ {print $4}')
      lat=$(echo "$out" | awk '/Average Latency/ {print $4}')
      cpu=$(awk -v c=$((cpu1 - cpu0)) -v n="$answered" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.2f", n ? c / hz * 1e6 / n : 0}')
      echo "$queries ${target%%:*} run $i: qps $qps avg_latency_s $lat server_cpu_us_per_query $cpu"
    done
  done
done
