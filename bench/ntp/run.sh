#!/usr/bin/env bash
# Side-by-side NTP server benchmark: Vigil's ntp component vs chronyd 4.3
# (`-x`: never touches the clock), both serving the local clock at stratum
# 10 on 127.0.0.1, loaded in turn by bench/ntp/ntp_load.cc. 3 runs each,
# alternating. Each run: throughput with 64 requests in flight from 4
# sockets (replies/s, server CPU per reply), then 2 s with one request in
# flight, whose server processing delay (transmit - receive timestamp in
# the reply, without queueing in the socket) is reported as median and
# p99. Needs root (chronyd).
#   bench/ntp/run.sh [seconds-per-run]
set -euo pipefail
secs=${1:-5}
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${VIGIL_BIN:-$root/build/release/vigil}
work=$(mktemp -d)
trap 'kill $vpid $cpid 2>/dev/null; rm -rf "$work"' EXIT
g++ -O2 -o "$work/ntp_load" "$root/bench/ntp/ntp_load.cc"
cat > "$work/chrony.conf" <<CONF
port 21123
bindaddress 127.0.0.1
allow 127.0.0.1
local stratum 10
cmdport 0
pidfile $work/chronyd.pid
CONF
chronyd -x -d -f "$work/chrony.conf" >"$work/chronyd.log" 2>&1 & cpid=$!
"$bin" serve --data-dir "$work/data" --config /dev/null --only ntp --set ntp.listen=127.0.0.1:11123 \
  --set ntp.http_listen=127.0.0.1:19124 --set log.level=warn 2>"$work/vigil.log" & vpid=$!
sleep 1.5
for i in 1 2 3; do
  for target in chronyd:21123 vigil:11123; do
    pid=$cpid; [ "${target%%:*}" = vigil ] && pid=$vpid
    cpu0=$(awk '{print $14+$15}' /proc/$pid/stat)
    out=$("$work/ntp_load" 127.0.0.1 "${target##*:}" "$secs" 64 4)
    cpu1=$(awk '{print $14+$15}' /proc/$pid/stat)
    replies=$(echo "$out" | awk '{print $6}')
    cpu=$(awk -v c=$((cpu1 - cpu0)) -v r="$replies" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.2f", r ? c / hz * 1e6 / r : 0}')
    delay=$("$work/ntp_load" 127.0.0.1 "${target##*:}" 2 1 1 | awk '{print "unloaded_delay_us median", $11, "p99", $13}')
    echo "${target%%:*} run $i: $out server_cpu_us_per_reply $cpu | $delay"
  done
done
