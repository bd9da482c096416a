"""Probe throughput: concurrent tcp_connect and http_2xx probes per second and
CPU per probe, Vigil's probe component vs Debian's prometheus-blackbox-exporter
0.23, one after the other, same blackbox.yml, same loopback targets.

The load comes from ApacheBench (`ab`, Debian apache2-utils) with keep-alive
connections to /probe; the tcp target is a Python accept loop, the http target
Vigil's ntp component's /health (a small fixed answer; the same for both
probers). CPU is the prober process's user+system time over the run.

    apt-get install -y apache2-utils
    /usr/bin/python3 bench/probe/run.py [--requests 20000] [--concurrency 32] [--reps 3]
"""

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "bench", "scrape"))
from run import free_port, stop_process, wait_http  # noqa: E402

VIGIL = os.path.join(REPO, "build", "release", "vigil")
BLACKBOX_YML = """modules:
  tcp_connect:
    prober: tcp
    timeout: 5s
  http_2xx:
    prober: http
    timeout: 5s
    http:
      preferred_ip_protocol: ip4
"""


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tcp_target():
    """A listening socket whose accept loop closes every connection."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(4096)

    def loop():
        while True:
            try:
                c, _ = s.accept()
                c.close()
            except OSError:
                return

    threading.Thread(target=loop, daemon=True).start()
    return s


def run_ab(url, requests, concurrency):
    out = subprocess.run(["ab", "-q", "-k", "-n", str(requests), "-c", str(concurrency), url],
                         capture_output=True, text=True, check=True).stdout
    # ab's "Failed requests" counts bodies whose length differs from the
    # first one (durations vary in digits); only non-2xx answers are failures.
    non2xx = re.search(r"Non-2xx responses:\s+(\d+)", out)
    rps = float(re.search(r"Requests per second:\s+([\d.]+)", out).group(1))
    return rps, int(non2xx.group(1)) if non2xx else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="vigil-bench-probe-")
    cfg = os.path.join(work, "blackbox.yml")
    with open(cfg, "w") as f:
        f.write(BLACKBOX_YML)
    tcp = tcp_target()
    tcp_addr = f"127.0.0.1:{tcp.getsockname()[1]}"
    http_port = free_port()
    http_target = subprocess.Popen([VIGIL, "serve", "--only", "ntp", "--data-dir", os.path.join(work, "t"),
                                    "--set", f"ntp.listen=127.0.0.1:{free_port()}",
                                    "--set", f"ntp.http_listen=127.0.0.1:{http_port}"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results = {}
    try:
        wait_http(f"http://127.0.0.1:{http_port}/health")
        targets = {"tcp_connect": tcp_addr, "http_2xx": f"http://127.0.0.1:{http_port}/health"}
        for system in ("vigil", "blackbox_exporter"):
            port = free_port()
            if system == "vigil":
                cmd = [VIGIL, "serve", "--only", "probe", "--data-dir", os.path.join(work, "v"),
                       "--set", f"probe.listen=127.0.0.1:{port}", "--set", f"probe.config_file={cfg}"]
            else:
                cmd = ["prometheus-blackbox-exporter", f"--config.file={cfg}", f"--web.listen-address=127.0.0.1:{port}"]
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                wait_http(f"http://127.0.0.1:{port}/metrics")
                for module, target in targets.items():
                    url = f"http://127.0.0.1:{port}/probe?module={module}&target={target}"
                    body = urllib.request.urlopen(url, timeout=10).read().decode()
                    assert "probe_success 1" in body, (system, module, body)
                    run_ab(url, 500, args.concurrency)  # warm-up
                    runs = []
                    for _ in range(args.reps):
                        c0 = cpu_seconds(proc.pid)
                        rps, bad = run_ab(url, args.requests, args.concurrency)
                        cpu_ms = (cpu_seconds(proc.pid) - c0) * 1000 / args.requests
                        runs.append((rps, cpu_ms, bad))
                    results[(system, module)] = (statistics.median(r[0] for r in runs),
                                                 statistics.median(r[1] for r in runs), max(r[2] for r in runs))
            finally:
                stop_process(proc)
    finally:
        stop_process(http_target)
        tcp.close()
        shutil.rmtree(work, ignore_errors=True)

    print(f"\n{args.requests} probes per run, {args.concurrency} concurrent, median of {args.reps}\n")
    print("| module | Vigil probes/s | blackbox_exporter probes/s | rate ratio | Vigil CPU ms/probe | blackbox CPU ms/probe | CPU ratio |")
    print("|---|---|---|---|---|---|---|")
    for module in ("tcp_connect", "http_2xx"):
        v, b = results[("vigil", module)], results[("blackbox_exporter", module)]
        print(f"| {module} | {v[0]:,.0f} | {b[0]:,.0f} | {v[0] / b[0]:.2f}x | {v[1]:.3f} | {b[1]:.3f} | {b[1] / v[1]:.2f}x less |"
              + (f" (failed: vigil {v[2]}, blackbox {b[2]})" if v[2] or b[2] else ""))


if __name__ == "__main__":
    main()
