"""Query latency benchmark: typical dashboard PromQL over the ingestion
benchmark's data set (bench/ingest: node_exporter-like hosts, 24 h at 15 s),
Vigil vs Debian's victoria-metrics and prometheus, one system at a time.

Each system starts with a fresh data dir, receives the same remote_write
request bytes (bench/ingest's load_remote_write), and then answers every
query `--reps` times after one warm-up; the median wall-clock latency of the
HTTP request per query is reported (VictoriaMetrics' result cache is off).
Needs the data set and tools that `bench/ingest/run.sh` builds into
build/bench-ingest (run it once first).

    /usr/bin/python3 bench/query/run.py [--data build/bench-ingest/data-s2000-h24-b10000-x4]
        [--reps 15] [--systems vigil,vm,prometheus]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "bench", "scrape"))
from run import free_port, stop_process, wait_http  # noqa: E402

QUERIES = [
    ("rate over all series", "instant", "rate(node_cpu_seconds_total[5m])"),
    ("sum by instance of rate", "instant", "sum by (instance) (rate(node_network_receive_bytes_total[5m]))"),
    ("histogram_quantile", "instant",
     "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))"),
    ("topk", "instant", "topk(10, rate(node_disk_read_bytes_total[5m]))"),
    ("24 h range, 60 s step", "range24h", 'sum by (instance) (rate(node_cpu_seconds_total{mode!="idle"}[5m]))'),
    ("regex selector, 1 h range", "range1h", 'sum by (instance) ({__name__=~"node_(disk|network)_.*_total"})'),
]


def start(system, data, port, workdir):
    if system == "vigil":
        cmd = [os.path.join(REPO, "build", "release", "vigil"), "serve", "--only", "metrics", "--data-dir", data,
               "--set", f"metrics.listen=127.0.0.1:{port}", "--set", "scrape.enabled=false"]
        ready = f"http://127.0.0.1:{port}/-/ready"
    elif system == "vm":
        cmd = ["victoria-metrics", "-storageDataPath", data, "-httpListenAddr", f"127.0.0.1:{port}",
               "-retentionPeriod", "1", "-search.disableCache", "-search.latencyOffset", "0s"]
        ready = f"http://127.0.0.1:{port}/health"
    else:
        cfg = os.path.join(workdir, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 15s\n")
        cmd = ["prometheus", f"--config.file={cfg}", f"--storage.tsdb.path={data}",
               f"--web.listen-address=127.0.0.1:{port}", "--web.enable-remote-write-receiver"]
        ready = f"http://127.0.0.1:{port}/-/ready"
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_http(ready, 120)
    return proc


def timed_query(base, kind, expr, end_s):
    if kind == "instant":
        path, params = "/api/v1/query", {"query": expr, "time": f"{end_s:.3f}"}
    else:
        span = 86400 - 600 if kind == "range24h" else 3600
        path, params = "/api/v1/query_range", {"query": expr, "start": f"{end_s - span:.3f}",
                                                "end": f"{end_s:.3f}", "step": "60"}
    url = base + path + "?" + urllib.parse.urlencode(params)
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as r:
        body = json.loads(r.read())
    elapsed = time.perf_counter() - t0
    assert body["status"] == "success", body
    return elapsed, len(body["data"]["result"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(REPO, "build", "bench-ingest", "data-s2000-h24-b10000-x4"))
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--systems", default="vigil,vm,prometheus")
    args = ap.parse_args()
    loader = os.path.join(os.path.dirname(args.data), "bin", "load_remote_write")
    manifest = json.load(open(os.path.join(args.data, "manifest.json")))
    end_s = manifest["max_ts"] / 1000 - 60
    results = {}
    for system in args.systems.split(","):
        work = tempfile.mkdtemp(prefix=f"bench-query-{system}-")
        port = free_port()
        proc = start(system, os.path.join(work, "data"), port, work)
        base = f"http://127.0.0.1:{port}"
        try:
            subprocess.run([loader, "--addr", f"127.0.0.1:{port}", "--file", os.path.join(args.data, "requests.bin")],
                           check=True, stdout=subprocess.DEVNULL)
            if system == "vm":
                urllib.request.urlopen(base + "/internal/force_flush", timeout=60).read()
                time.sleep(2)
            for name, kind, expr in QUERIES:
                _, series = timed_query(base, kind, expr, end_s)  # warm-up
                times = [timed_query(base, kind, expr, end_s)[0] for _ in range(args.reps)]
                results[(system, name)] = (statistics.median(times), series)
                print(json.dumps({"system": system, "query": name, "median_ms": statistics.median(times) * 1000,
                                  "series": series}), flush=True)
        finally:
            stop_process(proc)
            shutil.rmtree(work, ignore_errors=True)

    systems = args.systems.split(",")
    print(f"\nmedian latency (ms) of {args.reps} runs per query; {manifest['active_series']} active series, "
          f"{manifest['samples']} samples over {manifest['hours']} h\n")
    print("| query | " + " | ".join(systems) + " | " + " | ".join(f"vigil/{s}" for s in systems if s != "vigil") + " |")
    print("|---" * (1 + len(systems) + len(systems) - 1) + "|")
    for name, _, _ in QUERIES:
        row = [f"{results[(s, name)][0] * 1000:.1f}" for s in systems]
        ratios = [f"{results[('vigil', name)][0] / results[(s, name)][0]:.2f}x" for s in systems if s != "vigil"]
        print(f"| {name} | " + " | ".join(row) + " | " + " | ".join(ratios) + " |")


if __name__ == "__main__":
    main()
