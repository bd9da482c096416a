"""Portal throughput: Vigil's portal vs nginx 1.22 configured alike
(tests/integration/nginx_peer.py), with wrk at 50 keep-alive connections.

Scenarios, the same for both: reverse proxy of `GET /` on vhost u.pigsty to
one loopback upstream (a third process, an nginx answering a fixed 15-byte
body, with an upstream keep-alive pool on both proxies), and the static files
/1k.bin and /1m.bin of the default vhost. Both write an access log. Runs are
interleaved (Vigil, nginx, Vigil, ...) so that load drift on the shared
machine spreads over both; the table gives the median of the runs.

    apt-get install -y nginx wrk
    cmake --preset release && ninja -C build/release vigil
    /usr/bin/python3 bench/portal/run.py [--duration 10] [--reps 3] [--only proxy]
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
from nginx_peer import NGINX_BIN, NginxPeer, free_port  # noqa: E402

VIGIL = os.environ.get("VIGIL_BIN", os.path.join(REPO, "build", "release", "vigil"))
USER_US = [0.0]  # user-mode CPU per request of the last wrk run (the part the server's own code costs)
VIGIL_STDERR = [""]  # Vigil's stderr file, shown if it dies during a run

UPSTREAM_CONF = """
{user}
worker_processes 1;
daemon off;
pid {prefix}/up.pid;
error_log {prefix}/up-error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path {prefix}/cb; proxy_temp_path {prefix}/px; fastcgi_temp_path {prefix}/fc;
  uwsgi_temp_path {prefix}/uw; scgi_temp_path {prefix}/sc;
  server {{ listen 127.0.0.1:{port}; location / {{ return 200 "hello upstream\\n"; }} }}
}}
"""

VIGIL_CONF = """
log: {{ level: warn }}
portal:
  www: {www}
  listen_https: ""
  log_dir: {logs}
infra_portal:
  home: {{ domain: i.pigsty }}
  up: {{ domain: u.pigsty, endpoint: "127.0.0.1:{up}" }}
"""

SCENARIOS = [("proxy", "u.pigsty", "/"), ("static 1 KiB", "i.pigsty", "/1k.bin"),
             ("static 1 MiB", "i.pigsty", "/1m.bin")]


def wait_port(port, timeout=10):
    import socket
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def cpu_seconds(pid, user_only=False):
    """User+system (or user) CPU of `pid` and its children processes (nginx workers)."""
    pids = [pid] + [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True,
                                                   text=True).stdout.split()]
    total = 0
    for p in pids:
        with open(f"/proc/{p}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + (0 if user_only else int(fields[12]))
    return total / os.sysconf("SC_CLK_TCK")


def wrk(port, host, path, duration, pid=None):
    cpu0 = cpu_seconds(pid) if pid else 0
    user0 = cpu_seconds(pid, user_only=True) if pid else 0
    for attempt in range(3):
        run = subprocess.run(["wrk", "-c50", "-t2", f"-d{duration}s", "--latency", "-H", f"Host: {host}",
                              f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True)
        if run.returncode == 0:
            break
        print(f"wrk failed ({run.returncode}): {run.stdout} {run.stderr}", file=sys.stderr)
        time.sleep(1)
    if run.returncode != 0 and pid:
        try:
            with open(f"/proc/{pid}/stat") as f:
                alive = f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            alive = False
        print(f"wrk gave up on port {port}; server pid {pid} {'alive' if alive else 'gone'}", file=sys.stderr)
        if not alive and os.path.exists(VIGIL_STDERR[0]):
            with open(VIGIL_STDERR[0]) as f:
                print(f.read()[-4000:], file=sys.stderr)
    run.check_returncode()
    out = run.stdout
    cpu = cpu_seconds(pid) - cpu0 if pid else 0
    user = cpu_seconds(pid, user_only=True) - user0 if pid else 0
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    p99 = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors or "Socket errors" in out:
        print(out, file=sys.stderr)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    USER_US[0] = user * 1e6 / max(total, 1)
    return rps, p99, cpu * 1e6 / max(total, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--only", default="", help="comma-separated scenario prefixes to run, e.g. 'proxy' or "
                    "'proxy,static 1 KiB' (default: all)")
    args = ap.parse_args()
    global SCENARIOS
    if args.only:
        wanted = [w.strip() for w in args.only.split(",") if w.strip()]
        SCENARIOS = [s for s in SCENARIOS if any(s[0].startswith(w) for w in wanted)]
    results = {(s[0], sys_): [] for s in SCENARIOS for sys_ in ("vigil", "nginx")}
    with tempfile.TemporaryDirectory(prefix="vigil-bench-portal-") as tmp:
        www = os.path.join(tmp, "www")
        os.makedirs(www)
        with open(os.path.join(www, "1k.bin"), "wb") as f:
            f.write(os.urandom(1024))
        with open(os.path.join(www, "1m.bin"), "wb") as f:
            f.write(os.urandom(1 << 20))
        up_port = free_port()
        with open(os.path.join(tmp, "up.conf"), "w") as f:
            f.write(UPSTREAM_CONF.format(user="user root;" if os.geteuid() == 0 else "", prefix=tmp, port=up_port))
        for d in ("cb", "px", "fc", "uw", "sc"):
            os.makedirs(os.path.join(tmp, d))
        upstream = subprocess.Popen([NGINX_BIN, "-p", tmp, "-c", os.path.join(tmp, "up.conf")])
        vigil_port = free_port()
        VIGIL_STDERR[0] = os.path.join(tmp, "vigil.stderr")
        conf = os.path.join(tmp, "vigil.yml")
        with open(conf, "w") as f:
            f.write(VIGIL_CONF.format(www=www, up=up_port, logs=os.path.join(tmp, "vigil-logs")))
        vigil = subprocess.Popen([VIGIL, "serve", "--only", "portal", "--config", conf, "--data-dir",
                                  os.path.join(tmp, "data"), "--set", f"portal.listen=127.0.0.1:{vigil_port}"],
                                 stdout=subprocess.DEVNULL, stderr=open(VIGIL_STDERR[0], "w"))
        try:
            wait_port(up_port)
            wait_port(vigil_port)
            with NginxPeer(www, up_port, max_body="400m", workers=2) as nginx:
                ports = {"vigil": vigil_port, "nginx": nginx.port}
                pids = {"vigil": vigil.pid, "nginx": nginx.proc.pid}
                for name, host, path in SCENARIOS:  # warm both
                    for p in ports.values():
                        wrk(p, host, path, 1)
                for rep in range(args.reps):
                    load = os.getloadavg()[0]
                    for name, host, path in SCENARIOS:
                        for sys_ in ("vigil", "nginx") if rep % 2 == 0 else ("nginx", "vigil"):
                            rps, p99, cpu_us = wrk(ports[sys_], host, path, args.duration, pids[sys_])
                            results[(name, sys_)].append((rps, p99, cpu_us))
                            print(f"rep {rep} load {load:.1f} {name:13s} {sys_:5s} {rps:10.0f} req/s  p99 {p99:.2f} ms"
                                  f"  server CPU {cpu_us:.1f} us/req (user {USER_US[0]:.1f})", flush=True)
        finally:
            vigil.terminate()
            upstream.terminate()
            vigil.wait()
            upstream.wait()
    print()
    print("| scenario | server | req/s (runs) | median req/s | median p99 ms | median server CPU us/req |"
          " Vigil/nginx req/s | Vigil/nginx CPU/req |")
    print("|---|---|---|---|---|---|---|---|")
    for name, _, _ in SCENARIOS:
        med, cpu = {}, {}
        for sys_ in ("vigil", "nginx"):
            runs = results[(name, sys_)]
            med[sys_] = statistics.median(r for r, _, _ in runs)
            cpu[sys_] = statistics.median(c for _, _, c in runs)
            ratio = (f"{med['vigil'] / med['nginx']:.2f}x | {cpu['vigil'] / cpu['nginx']:.2f}x" if sys_ == "nginx"
                     else " | ")
            print(f"| {name} | {sys_} | {', '.join(f'{r:.0f}' for r, _, _ in runs)} | {med[sys_]:.0f} | "
                  f"{statistics.median(p for _, p, _ in runs):.2f} | {cpu[sys_]:.1f} | {ratio} |")


if __name__ == "__main__":
    main()
