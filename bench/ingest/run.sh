#!/usr/bin/env bash
# Side-by-side remote_write ingestion benchmark: Vigil vs Debian's
# victoria-metrics and prometheus, one system at a time, same request bytes.
#
#   bench/ingest/run.sh [--series 2000] [--hours 24] [--runs 3] [--batch 10000]
#                       [--shards 4] [--systems "vigil vm prometheus"]
#                       [--work DIR] [--no-build]
#
# Steps: installs missing packages (bench/ingest/setup), builds the release
# vigil binary and the two standalone tools, generates the data set once
# (cached in the work dir, regenerated when older than two days), then for
# each run and each system: fresh data dir, start on a free 127.0.0.1 port,
# replay all requests, flush, read peak RSS, verify a sample of series and
# the total sample count, stop, measure the data dir. Results go to
# WORK/results-sN-hH.jsonl (one line per system run) and WORK/report-sN-hH.md
# (medians and ratios, also printed). See bench/README.md and docs/benchmarks.md.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
series=2000
hours=24
runs=3
batch=10000
shards=4
systems="vigil vm prometheus"
work="$repo/build/bench-ingest"
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --series) series="$2"; shift 2 ;;
    --hours) hours="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    --shards) shards="$2"; shift 2 ;;
    --systems) systems="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# ---- prerequisites ----
if ! command -v victoria-metrics >/dev/null || ! command -v prometheus >/dev/null ||
   ! [ -e /usr/include/snappy.h ] || ! python3 -c 'import requests' 2>/dev/null; then
  "$here/setup"
fi
vigil="$repo/build/release/vigil"
if [ "$build" = 1 ]; then
  log "building release vigil"
  mkdir -p "$work"
  if ! { [ -f "$repo/build/release/build.ninja" ] || (cd "$repo" && cmake --preset release); } >"$work/build.log" 2>&1 ||
     ! (cd "$repo" && cmake --build --preset release -j2 --target vigil) >>"$work/build.log" 2>&1; then
    tail -20 "$work/build.log" >&2
    echo "run.sh: building vigil failed; full log in $work/build.log" >&2
    exit 1
  fi
fi
[ -x "$vigil" ] || { echo "run.sh: $vigil missing (build it or drop --no-build)" >&2; exit 1; }

mkdir -p "$work/bin"
compile() {  # compile OUT SRC FLAGS...
  local out="$1" src="$2"; shift 2
  if [ ! -x "$out" ] || [ "$src" -nt "$out" ]; then
    g++ -O2 -std=c++20 -Wall -Wextra -pthread "$src" "$@" -o "$out"
  fi
}
compile "$work/bin/gen_remote_write" "$here/gen_remote_write.cc" -lsnappy
compile "$work/bin/load_remote_write" "$here/load_remote_write.cc"

# ---- data set ----
data="$work/data-s${series}-h${hours}-b${batch}-x${shards}"
now_ms=$(( $(date +%s) * 1000 ))
if [ -f "$data/manifest.json" ] && [ "$data/manifest.json" -nt "$here/gen_remote_write.cc" ]; then
  max_ts=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["max_ts"])' "$data/manifest.json")
  if [ $(( now_ms - max_ts )) -gt $(( 2 * 86400 * 1000 )) ]; then rm -rf "$data"; fi
else
  rm -rf "$data"
fi
if [ ! -f "$data/manifest.json" ]; then
  log "generating data set: $series series x ${hours}h"
  mkdir -p "$data"
  rm -f "$data/manifest.json"
  "$work/bin/gen_remote_write" --out "$data" --series "$series" --hours "$hours" \
    --batch "$batch" --shards "$shards"
fi
samples=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["samples"])' "$data/manifest.json")

# ---- process helpers ----
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do
    [ -n "$p" ] && kill -TERM "$p" 2>/dev/null || true
  done
  for p in "${pids[@]:-}"; do
    [ -n "$p" ] && wait "$p" 2>/dev/null || true
  done
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_http() {  # wait_http URL PID: until URL answers 200 or the process dies
  for _ in $(seq 1 600); do
    kill -0 "$2" 2>/dev/null || return 1
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)" = 200 ] && return 0
    sleep 0.1
  done
  return 1
}
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
stop_pid() {  # stop_pid PID SIGNAL: signal and wait for exit
  kill "-$2" "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  local keep=()
  for p in "${pids[@]:-}"; do [ "$p" != "$1" ] && keep+=("$p"); done
  pids=("${keep[@]:-}")
}
metric() {  # metric URL REGEX: sum of matching self-metric lines
  curl -s "$1/metrics" | awk -v rx="^($2)" '$0 ~ rx && $1 !~ /^#/ {s += $NF} END {printf "%d\n", s}'
}
du_b() { du -sb "$1" | awk '{print $1}'; }

start_system() {  # start_system SYS DIR PORT LOG: sets $pid and $ready_url
  local sys="$1" dir="$2" port="$3" logf="$4"
  case "$sys" in
    vigil)
      # No self-scrape: every stored sample must come from the data set.
      "$vigil" serve --only metrics --data-dir "$dir" \
        --set "metrics.listen=127.0.0.1:$port" --set scrape.self_scrape=false >>"$logf" 2>&1 &
      pid=$!; ready_url="http://127.0.0.1:$port/metrics" ;;
    vm)
      victoria-metrics -storageDataPath "$dir" -httpListenAddr "127.0.0.1:$port" \
        -retentionPeriod 1 >>"$logf" 2>&1 &
      pid=$!; ready_url="http://127.0.0.1:$port/health" ;;
    prometheus)
      printf 'global:\n  scrape_interval: 15s\n' >"$work/prometheus.yml"
      prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$dir" \
        --web.listen-address="127.0.0.1:$port" --web.enable-remote-write-receiver \
        --web.enable-admin-api >>"$logf" 2>&1 &
      pid=$!; ready_url="http://127.0.0.1:$port/-/ready" ;;
  esac
  pids+=("$pid")
  wait_http "$ready_url" "$pid" || { echo "run.sh: $sys did not start; see $logf" >&2; tail -5 "$logf" >&2; exit 1; }
}

vm_wait_merges() {  # until no merge is active and nothing is pending, 3 polls in a row
  local url="$1" quiet=0
  for _ in $(seq 1 600); do
    local busy
    busy=$(metric "$url" 'vm_active_merges\{|vm_pending_rows\{')
    if [ "$busy" = 0 ]; then quiet=$((quiet + 1)); else quiet=0; fi
    [ "$quiet" -ge 3 ] && return 0
    sleep 1
  done
}

# ---- one system run: prints one JSON line ----
run_one() {
  local sys="$1" run="$2"
  local dir="$work/run/$sys-$run" logf="$work/run/$sys-$run.log"
  rm -rf "$dir" "$logf"; mkdir -p "$dir"
  local port; port=$(free_port)
  local url="http://127.0.0.1:$port"
  log "$sys run $run: starting on $url"
  start_system "$sys" "$dir" "$port" "$logf"
  sleep 1
  local load1 cpu0 cpu1 load_json
  load1=$(cut -d' ' -f1 /proc/loadavg)
  cpu0=$(cpu_ticks "$pid")
  log "$sys run $run: loading $samples samples"
  load_json=$("$work/bin/load_remote_write" --addr "127.0.0.1:$port" --file "$data/requests.bin") || {
    echo "run.sh: load failed: $load_json" >&2; exit 1; }
  cpu1=$(cpu_ticks "$pid")
  log "$sys run $run: $(python3 -c 'import json,sys; print("%.0f samples/s" % json.loads(sys.argv[1])["samples_per_s"])' "$load_json")"

  local live_bytes="null" stop_bytes merged_bytes hwm verify_json restart_hwm="null" flush_s
  local t0; t0=$(date +%s.%N)
  case "$sys" in
    vigil)
      hwm=$(hwm_kb "$pid")
      stop_pid "$pid" TERM
      stop_bytes=$(du_b "$dir")
      # A stop flushes sealed head chunks into a part; reopening replays the
      # WAL's checkpoint of the rest, then a clean stop: the compacted form.
      start_system vigil "$dir" "$port" "$logf"
      restart_hwm=$(hwm_kb "$pid")
      verify_json=$(python3 "$here/verify.py" --system vigil --url "$url" --manifest "$data/manifest.json" || true)
      # The restarted process holds nothing new; its counter starts at zero,
      # so check the per-series sample on the reopened data and the total on
      # the head gauge instead.
      verify_json=$(python3 - "$verify_json" "$(metric "$url" 'vigil_tsdb_head_samples\{|vigil_tsdb_part_samples\{')" "$samples" <<'EOF'
import json, sys
v = json.loads(sys.argv[1]); got = int(sys.argv[2]); want = int(sys.argv[3])
v["failures"] = [f for f in v["failures"] if "total_samples" not in f]
v["total_samples_stored"] = got
if got != want:
    v["failures"].append({"total_samples": {"want": want, "got": got}})
v["ok"] = not v["failures"]
print(json.dumps(v))
EOF
)
      stop_pid "$pid" TERM
      merged_bytes=$(du_b "$dir") ;;
    vm)
      curl -s "$url/internal/force_flush" >/dev/null
      vm_wait_merges "$url"
      live_bytes=$(du_b "$dir")
      curl -s "$url/internal/force_merge" >/dev/null
      sleep 1
      vm_wait_merges "$url"
      hwm=$(hwm_kb "$pid")
      verify_json=$(python3 "$here/verify.py" --system vm --url "$url" --manifest "$data/manifest.json" || true)
      merged_bytes=$(du_b "$dir")
      stop_pid "$pid" INT
      stop_bytes=$(du_b "$dir") ;;
    prometheus)
      hwm=$(hwm_kb "$pid")
      verify_json=$(python3 "$here/verify.py" --system prometheus --url "$url" --manifest "$data/manifest.json" || true)
      # A snapshot writes the head into a block next to hard links of the
      # existing blocks: the size of all data as compacted blocks.
      local snap
      snap=$(curl -s -XPOST "$url/api/v1/admin/tsdb/snapshot" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["name"])')
      merged_bytes=$(du_b "$dir/snapshots/$snap")
      stop_pid "$pid" TERM
      rm -rf "$dir/snapshots"
      stop_bytes=$(du_b "$dir") ;;
  esac
  flush_s=$(python3 -c "import time; print('%.1f' % (time.time() - $t0))")
  local ticks; ticks=$(getconf CLK_TCK)
  python3 - "$sys" "$run" "$load_json" "$verify_json" "$hwm" "$restart_hwm" "$live_bytes" \
    "$stop_bytes" "$merged_bytes" "$(( cpu1 - cpu0 ))" "$ticks" "$load1" "$flush_s" "$samples" <<'EOF'
import json, sys
(sys_, run, load, verify, hwm, rhwm, live, stop, merged, cpu, tck, load1, flush_s, samples) = sys.argv[1:]
load = json.loads(load)
samples = int(samples)
def num(x):
    return None if x == "null" else int(x)
out = {
    "system": sys_, "run": int(run), "samples": samples,
    "samples_per_s": load["samples_per_s"], "wall_s": load["wall_s"],
    "failed_requests": load["failed_requests"], "retries": load["retries"],
    "server_cpu_s": int(cpu) / int(tck),
    "peak_rss_bytes": int(hwm) * 1024,
    "restart_peak_rss_bytes": None if rhwm == "null" else int(rhwm) * 1024,
    "bytes_live_after_flush": num(live),
    "bytes_after_stop": num(stop),
    "bytes_compacted": num(merged),
    "loadavg1_before": float(load1),
    "post_load_s": float(flush_s),
    "verify": json.loads(verify) if verify else None,
}
print(json.dumps(out))
EOF
  rm -rf "$dir"
}

results="$work/results-s${series}-h${hours}.jsonl"
: >"$results"
echo "{\"meta\": {\"nproc\": $(nproc), \"cpu\": \"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')\", \"mem_kb\": $(awk '/MemTotal/ {print $2}' /proc/meminfo), \"series\": $series, \"hours\": $hours, \"runs\": $runs, \"data\": \"$data\", \"vigil_commit\": \"$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)\", \"vigil_binary_mtime\": \"$(date -u -r "$vigil" +%FT%TZ)\", \"victoria_metrics\": \"$(dpkg-query -W -f='${Version}' victoria-metrics)\", \"prometheus\": \"$(dpkg-query -W -f='${Version}' prometheus)\"}}" >>"$results"
mkdir -p "$work/run"
# Systems are interleaved run by run, so slow drift of the machine's load
# spreads over all of them.
for run in $(seq 1 "$runs"); do
  for sys in $systems; do
    # Not in a pipeline: run_one must run in this shell so that the EXIT
    # trap sees the servers it started.
    run_one "$sys" "$run" >"$work/run/last.json"
    tee -a "$results" <"$work/run/last.json"
  done
done
python3 "$here/report.py" --manifest "$data/manifest.json" "$results" |
  tee "$work/report-s${series}-h${hours}.md"
