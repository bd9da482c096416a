#!/usr/bin/env bash
# Trace store benchmark: OTLP/HTTP protobuf ingestion rate (batches of 500
# spans), bytes on disk per span, and Jaeger API latency (traces/{id},
# traces?service=) with the spans stored. No peer runs here: VictoriaTraces
# is not packaged for Debian (docs/benchmarks.md).
#
#   bench/traces/run.sh [--spans 1000000] [--runs 3] [--conns 2] [--no-build]
#
# Each run: fresh data dir, `vigil serve --only traces` on a free 127.0.0.1
# port, load_spans posts the spans, then wait until the head is flushed and
# merges settle, read vt_data_size_bytes, time 20 trace lookups (ids the
# loader wrote; the first two are warm-up) and 10 searches (service=svc-N&limit=20, Jaeger UI's default)
# with curl, stop. Prints one JSON line per run and the medians.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
spans=1000000
runs=3
conns=2
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --spans) spans="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --conns) conns="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
work="$repo/build/bench-traces"
mkdir -p "$work"
if [ "$build" = 1 ]; then
  cmake --preset release >/dev/null && ninja -C "$repo/build/release" vigil >/dev/null
fi
g++ -O2 -std=c++20 -Wall -Wextra -pthread "$here/load_spans.cc" -o "$work/load_spans"
vigil="$repo/build/release/vigil"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
results="$work/results-$spans.jsonl"
: > "$results"
for run in $(seq 1 "$runs"); do
  data="$work/data"
  rm -rf "$data"
  "$vigil" serve --data-dir "$data" --only traces --set "traces.listen=127.0.0.1:$port" >"$work/vigil.log" 2>&1 &
  pid=$!
  trap 'kill $pid 2>/dev/null || true' EXIT
  echo 0 > "$work/peak_rss_kb"
  # Peak RSS, sampled every second (and a guard: stop at 12 GiB rather than
  # let the kernel pick a process to kill on a shared machine).
  ( peak=0; while kill -0 "$pid" 2>/dev/null; do
      rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
      [ "${rss:-0}" -gt "$peak" ] && peak=$rss && echo "$peak" > "$work/peak_rss_kb"
      [ "${rss:-0}" -gt 12582912 ] && { echo "RSS over 12 GiB, stopping" >&2; kill "$pid"; }
      sleep 1; done ) &
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
  cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
  cpu_before=$(cpu_ticks)
  loadavg_before=$(cut -d' ' -f1 /proc/loadavg)
  load=$("$work/load_spans" --addr "127.0.0.1:$port" --spans "$spans" --conns "$conns" --ids-out "$work/ids")
  cpu_load=$(( $(cpu_ticks) - cpu_before ))
  loadavg_after=$(cut -d' ' -f1 /proc/loadavg)
  # Let the head flush and merges finish: no unflushed spans, and parts
  # unchanged over five samples 3 s apart (maintenance runs every 10 s).
  prev=""
  stable=0
  for _ in $(seq 1 200); do
    sleep 3
    m=$(curl -s "http://127.0.0.1:$port/metrics")
    cur=$(echo "$m" | grep -E '^vt_(storage_parts|data_size_bytes)' | tr '\n' ' ')
    head=$(echo "$m" | awk '/^vt_storage_head_spans/ {print $2}')
    if [ "$cur" = "$prev" ] && [ "$head" = "0" ]; then stable=$((stable + 1)); else stable=0; fi
    [ "$stable" -ge 4 ] && break
    prev="$cur"
  done
  # Server CPU (user + system) from the first span to the settled store:
  # decode, WAL, head, flushes and the merges the load caused.
  cpu_total=$(( $(cpu_ticks) - cpu_before ))
  hz=$(getconf CLK_TCK)
  parts=$(echo "$m" | awk '/^vt_storage_parts/ {print $2}')
  bytes=$(curl -s "http://127.0.0.1:$port/metrics" | awk '/^vt_data_size_bytes/ {print $2}')
  for id in $(head -2 "$work/ids"); do curl -s -o /dev/null "http://127.0.0.1:$port/select/jaeger/api/traces/$id"; done
  lookup_ms=$(sed -n 3,22p "$work/ids" | while read -r id; do
    curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$port/select/jaeger/api/traces/$id"
  done | median | awk '{printf "%.1f", $1*1000}')
  found=$(curl -s "http://127.0.0.1:$port/select/jaeger/api/traces/$(head -1 "$work/ids")" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"][0]["spans"]))')
  search_ms=$(for s in $(seq 0 9); do
    curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$port/select/jaeger/api/traces?service=svc-$s&limit=20"
  done | median | awk '{printf "%.1f", $1*1000}')
  kill "$pid"; wait "$pid" 2>/dev/null || true
  trap - EXIT
  peak_mb=$(( $(cat "$work/peak_rss_kb") / 1024 ))
  echo "{\"run\":$run,\"load\":$load,\"part_bytes\":$bytes,\"bytes_per_span\":$(awk "BEGIN{printf \"%.1f\", $bytes/$spans}"),\"parts\":$parts,\"lookup_ms\":$lookup_ms,\"spans_in_looked_up_trace\":$found,\"search_ms\":$search_ms,\"peak_rss_mb\":$peak_mb,\"cpu_us_per_span_during_load\":$(awk "BEGIN{printf \"%.2f\", $cpu_load*1e6/$hz/$spans}"),\"cpu_us_per_span_total\":$(awk "BEGIN{printf \"%.2f\", $cpu_total*1e6/$hz/$spans}"),\"loadavg_before\":$loadavg_before,\"loadavg_after\":$loadavg_after}" | tee -a "$results"
done
python3 - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
med = lambda k: statistics.median(k(r) for r in rows)
print(f"median of {len(rows)}: {med(lambda r: r['load']['spans_per_s']):.0f} spans/s, "
      f"{med(lambda r: r['bytes_per_span']):.1f} bytes/span on disk, "
      f"traces/{{id}} {med(lambda r: r['lookup_ms']):.1f} ms, traces?service= {med(lambda r: r['search_ms']):.1f} ms, "
      f"peak RSS {med(lambda r: r['peak_rss_mb']):.0f} MiB, server CPU {med(lambda r: r['cpu_us_per_span_total']):.2f} us/span "
      f"({med(lambda r: r['cpu_us_per_span_during_load']):.2f} during the load), "
      f"load average {min(r['loadavg_before'] for r in rows)}-{max(r['loadavg_after'] for r in rows)}")
PY
