#!/usr/bin/python3
"""Side-by-side Alertmanager benchmark: Vigil's alertmanager component vs
Debian's prometheus-alertmanager (0.25), one after the other, same
alertmanager.yml.

  ingest   alerts accepted per second through POST /api/v2/alerts: 10,000
           distinct alerts in 50 groups, batches of 100, re-posted in a
           cycle (re-posting is what Prometheus does every resend) by
           --clients keep-alive connections. The client is wrk (C, Lua
           script cycling through the 100 bodies) for --seconds; with
           --client python, Python threads post every batch --rounds times
           (the client then limits the measurement on 2 cores)
  latency  time from POSTing one alert of a new group to its webhook
           arriving at a local sink (group_wait 0s), median of 20
  rss      peak resident set size (VmHWM) after both

Usage: bench/alertmanager/run.py [--runs 3] [--seconds 10] [--clients 4] [--client wrk|python] [--vigil build/release/vigil]
"""

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    def __init__(self):
        self.arrivals = {}
        sink = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                sink.arrivals.setdefault(body["groupLabels"].get("group"), time.time())
                self.send_response(200)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def config(url):
    return f"""route:
  receiver: hook
  group_by: [group]
  group_wait: 0s
  group_interval: 1m
  repeat_interval: 4h
receivers:
  - name: hook
    webhook_configs: [ {{url: '{url}', send_resolved: true}} ]
"""


def start(system, vigil_bin, workdir, am_file, port):
    if system == "vigil":
        cfg = os.path.join(workdir, "vigil.yml")
        with open(cfg, "w") as f:
            f.write(f"alertmanager:\n  config_file: {am_file}\n  listen: 127.0.0.1:{port}\n")
        cmd = [vigil_bin, "serve", "--config", cfg, "--data-dir", os.path.join(workdir, "data"),
               "--only", "alertmanager"]
    else:
        cmd = ["prometheus-alertmanager", f"--config.file={am_file}",
               f"--storage.path={os.path.join(workdir, 'data')}", f"--web.listen-address=127.0.0.1:{port}",
               "--cluster.listen-address="]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/-/ready", timeout=1).status_code == 200:
                return proc
        except requests.RequestException:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"{system} did not start")


def batches(prefix):
    out = []
    for b in range(100):
        alerts = []
        for i in range(100):
            n = b * 100 + i
            alerts.append({"labels": {"alertname": f"{prefix}Bench", "group": f"g{n % 50}", "instance": f"i{n}",
                                      "job": "node"},
                           "annotations": {"summary": f"alert {n} is firing"},
                           "generatorURL": "http://prometheus:9090/graph"})
        out.append(json.dumps(alerts).encode())
    return out


def ingest(port, bodies, rounds, clients):
    work = [b for _ in range(rounds) for b in bodies]
    lock = threading.Lock()
    errors = []

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                if not work:
                    break
                body = work.pop()
            conn.request("POST", "/api/v2/alerts", body, {"Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            if r.status != 200:
                errors.append(r.status)
        conn.close()

    t0 = time.time()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - t0
    assert not errors, errors[:5]
    return len(bodies) * 100 * rounds / elapsed


WRK_SCRIPT = """
local bodies = {}
local next_body = 0
function init(args)
  for n = 0, 99 do
    local f = assert(io.open(args[1] .. "/b" .. n .. ".json", "rb"))
    bodies[#bodies + 1] = f:read("*a")
    f:close()
  end
  next_body = math.random(#bodies)
end
function request()
  next_body = next_body % #bodies + 1
  return wrk.format("POST", "/api/v2/alerts", {["Content-Type"] = "application/json"}, bodies[next_body])
end
"""


def ingest_wrk(port, bodies, seconds, clients, workdir):
    body_dir = os.path.join(workdir, "bodies")
    os.makedirs(body_dir, exist_ok=True)
    for n, body in enumerate(bodies):
        with open(os.path.join(body_dir, f"b{n}.json"), "wb") as f:
            f.write(body)
    script = os.path.join(workdir, "post.lua")
    with open(script, "w") as f:
        f.write(WRK_SCRIPT)
    out = subprocess.run(["wrk", "-t", "2", "-c", str(clients), "-d", f"{seconds}s", "-s", script,
                          f"http://127.0.0.1:{port}", "--", body_dir],
                         capture_output=True, text=True, check=True).stdout
    assert "Non-2xx" not in out, out
    for line in out.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1]) * 100
    raise RuntimeError(out)


def latency(port, sink, n=20):
    out = []
    for i in range(n):
        group = f"lat{i}-{time.time()}"
        body = json.dumps([{"labels": {"alertname": "Latency", "group": group}}]).encode()
        t0 = time.time()
        requests.post(f"http://127.0.0.1:{port}/api/v2/alerts", data=body,
                      headers={"Content-Type": "application/json"}, timeout=10)
        deadline = t0 + 10
        while group not in sink.arrivals and time.time() < deadline:
            time.sleep(0.001)
        out.append((sink.arrivals.get(group, deadline) - t0) * 1000)
    return statistics.median(out)


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--client", choices=["wrk", "python"], default="wrk")
    ap.add_argument("--vigil", default="build/release/vigil")
    ap.add_argument("--systems", default="vigil alertmanager")
    args = ap.parse_args()
    sink = Sink()
    results = {s: {"ingest": [], "latency": [], "rss": []} for s in args.systems.split()}
    for run in range(args.runs):
        for system in args.systems.split():
            workdir = tempfile.mkdtemp(prefix=f"am-bench-{system}-")
            am_file = os.path.join(workdir, "alertmanager.yml")
            with open(am_file, "w") as f:
                f.write(config(sink.url))
            port = free_port()
            proc = start(system, os.path.abspath(args.vigil), workdir, am_file, port)
            try:
                if args.client == "wrk":
                    rate = ingest_wrk(port, batches(f"r{run}"), args.seconds, args.clients, workdir)
                else:
                    rate = ingest(port, batches(f"r{run}"), args.rounds, args.clients)
                lat = latency(port, sink)
                rss = peak_rss_mib(proc.pid)
            finally:
                proc.terminate()
                proc.wait(timeout=20)
                shutil.rmtree(workdir, ignore_errors=True)
            results[system]["ingest"].append(rate)
            results[system]["latency"].append(lat)
            results[system]["rss"].append(rss)
            print(f"run {run + 1} {system:13s} ingest {rate:10.0f} alerts/s  latency {lat:7.1f} ms  "
                  f"peak RSS {rss:6.1f} MiB", flush=True)
    print("\nmedians:")
    for system, r in results.items():
        print(f"{system:13s} ingest {statistics.median(r['ingest']):10.0f} alerts/s  "
              f"latency {statistics.median(r['latency']):7.1f} ms  peak RSS {statistics.median(r['rss']):6.1f} MiB")


if __name__ == "__main__":
    main()
