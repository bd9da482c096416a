"""Side-by-side scraping benchmark: Vigil vs Debian's prometheus (and
victoria-metrics, whose scraper Vigil replaces) scraping the same simulated
fleet (bench/scrape/fleet.py) with the same scrape config, one system at a
time. For each system and run: start it with a fresh data dir, let it warm
up for one interval plus `--warmup` seconds, then measure CPU seconds
(utime + stime from /proc) over `--window` seconds, peak RSS (VmHWM) and the
samples it stored. Prints a Markdown table of medians and ratios.

    /usr/bin/python3 bench/scrape/run.py [--targets 500] [--series 1000]
        [--interval 15] [--window 60] [--runs 3] [--systems vigil,prometheus,vm]
"""

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def stop_process(proc):
    """SIGTERM, wait up to 60 s, then SIGKILL."""
    proc.terminate()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def get_json(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read())


def wait_http(url, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} not up after {timeout}s")


def write_config(path, fleet_port, targets, interval):
    with open(path, "w") as f:
        f.write(f"global:\n  scrape_interval: {interval}s\n  scrape_timeout: {min(interval, 10)}s\n")
        f.write("scrape_configs:\n  - job_name: fleet\n    static_configs:\n")
        for i in range(targets):
            f.write(f"      - targets: ['127.0.0.1:{fleet_port}']\n"
                    f"        labels: {{__metrics_path__: /metrics/{i}, instance: 'node-{i}'}}\n")


def start(system, cfg, data, port, vigil_bin):
    if system == "vigil":
        with open(os.path.join(data, "vigil.yml"), "w") as f:
            f.write(f"scrape:\n  config_file: {cfg}\n  self_scrape: false\n")
        cmd = [vigil_bin, "serve", "--config", os.path.join(data, "vigil.yml"), "--data-dir", data,
               "--only", "metrics", "--set", f"metrics.listen=127.0.0.1:{port}"]
    elif system == "prometheus":
        cmd = ["prometheus", f"--config.file={cfg}", f"--storage.tsdb.path={data}",
               f"--web.listen-address=127.0.0.1:{port}"]
    else:
        cmd = ["victoria-metrics", f"-promscrape.config={cfg}", f"-storageDataPath={data}",
               f"-httpListenAddr=127.0.0.1:{port}", "-search.latencyOffset=0s", "-search.disableCache",
               "-search.maxUniqueTimeseries=10000000", "-search.maxSamplesPerQuery=2000000000"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stored_samples(system, port, window):
    q = f'sum(count_over_time({{__name__=~"bench_.*",job="fleet"}}[{int(window)}s]))'
    r = get_json(f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": q}))
    res = r["data"]["result"]
    return float(res[0]["value"][1]) if res else 0.0


def run_one(system, args, fleet_port, cfg, vigil_bin):
    data = tempfile.mkdtemp(prefix=f"bench-scrape-{system}-")
    port = free_port()
    proc = start(system, cfg, data, port, vigil_bin)
    try:
        wait_http(f"http://127.0.0.1:{port}/api/v1/query?query=1")
        time.sleep(args.interval + args.warmup)
        c0 = cpu_seconds(proc.pid)
        time.sleep(args.window)
        c1 = cpu_seconds(proc.pid)
        rss = peak_rss_mib(proc.pid)
        time.sleep(2)  # let the last appends land before counting
        try:
            samples = stored_samples(system, port, args.window)
        except OSError as e:  # a peer's query limits; the count is only a sanity check
            print(f"{system}: cannot count stored samples: {e}", file=sys.stderr)
            samples = float("nan")
        return {"system": system, "cpu_s_per_min": (c1 - c0) * 60 / args.window, "peak_rss_mib": rss,
                "samples_in_window": samples}
    finally:
        stop_process(proc)
        shutil.rmtree(data, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--targets", type=int, default=500)
    ap.add_argument("--series", type=int, default=1000)
    ap.add_argument("--interval", type=int, default=15)
    ap.add_argument("--window", type=int, default=60)
    ap.add_argument("--warmup", type=int, default=15)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--systems", default="vigil,prometheus,vm")
    ap.add_argument("--vigil", default=os.path.join(REPO, "build", "release", "vigil"))
    args = ap.parse_args()
    systems = [s for s in args.systems.split(",") if s]

    tmp = tempfile.mkdtemp(prefix="bench-scrape-")
    fleet_port = free_port()
    fleet = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__), "fleet.py"),
                              "--port", str(fleet_port), "--targets", str(args.targets),
                              "--series", str(args.series)], stdout=subprocess.PIPE, text=True)
    results = []
    try:
        assert fleet.stdout.readline().strip() == "ready"
        cfg = os.path.join(tmp, "prometheus.yml")
        write_config(cfg, fleet_port, args.targets, args.interval)
        for run in range(args.runs):
            for system in systems:
                r = run_one(system, args, fleet_port, cfg, args.vigil)
                r["run"] = run
                print(json.dumps(r), flush=True)
                results.append(r)
    finally:
        fleet.terminate()
        fleet.wait()
        shutil.rmtree(tmp, ignore_errors=True)

    def med(system, key):
        return statistics.median(r[key] for r in results if r["system"] == system)

    print(f"\n{args.targets} targets x {args.series} series every {args.interval}s, "
          f"{args.window}s window, median of {args.runs}\n")
    print("| system | CPU s per minute | peak RSS MiB | samples stored in window | CPU vs vigil | RSS vs vigil |")
    print("|---|---|---|---|---|---|")
    for s in systems:
        cpu, rss = med(s, "cpu_s_per_min"), med(s, "peak_rss_mib")
        print(f"| {s} | {cpu:.2f} | {rss:.0f} | {med(s, 'samples_in_window'):.0f} | "
              f"{cpu / med('vigil', 'cpu_s_per_min'):.2f}x | {rss / med('vigil', 'peak_rss_mib'):.2f}x |")


if __name__ == "__main__":
    main()
