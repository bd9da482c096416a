"""Log store benchmark: a generated Pigsty-shaped corpus (syslog, PostgreSQL
CSV log and Nginx access lines; 200 streams with job/ins/ip; one day) sent to
Vigil's /insert/jsonline as Pigsty's Vector sends it (VL-* headers, gzip off),
then LogsQL query latency.

Grafana Loki is not in Debian (Debian's `loki` package is a genetics tool) and
nothing else can be downloaded here, so the side-by-side baseline is the raw
corpus itself: its size as text and gzip -6 (what a log rotation keeps), and
`grep -c` / `zcat | grep -c` over it for the rare-word search.

    /usr/bin/python3 bench/logs/run.py [--lines 1000000] [--reps 5]

Prints a Markdown table; numbers are medians.
"""

import argparse
import gzip
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "bench", "scrape"))
from run import free_port, stop_process, wait_http  # noqa: E402

DAY_NS = 86400 * 10**9
RARE = "xyzzyrareword"


def corpus(lines, start_ns, seed=7):
    """Yields (json_line, raw_text_line) pairs spread evenly over one day."""
    rnd = random.Random(seed)
    streams = []
    for i in range(200):
        job = ("syslog", "pgsql", "nginx")[i % 3]
        streams.append((job, f"{job}-{i // 3}", f"10.10.{i // 250}.{i % 250}"))
    users = ["dbuser_meta", "dbuser_view", "replicator", "dbuser_dba"]
    paths = ["/ui/", "/vmetrics/api/v1/query", "/pigsty/repodata/repomd.xml", "/alertmgr/", "/ca.crt"]
    for n in range(lines):
        job, ins, ip = streams[rnd.randrange(len(streams))]
        t = start_ns + n * (DAY_NS // lines)
        if job == "syslog":
            msg = (f"sshd[{rnd.randrange(1, 65535)}]: Accepted publickey for admin from 10.10.10.{rnd.randrange(256)} "
                   f"port {rnd.randrange(1024, 65535)} ssh2")
            if rnd.random() < 0.2:
                msg = f"systemd[1]: Started Session {rnd.randrange(100000)} of user {rnd.choice(users)}."
        elif job == "pgsql":
            dur = rnd.random() * 2000
            msg = (f'2026-11-27 10:00:00.{rnd.randrange(1000):03d} UTC,"{rnd.choice(users)}","meta",{rnd.randrange(1, 99999)},'
                   f'"10.10.10.{rnd.randrange(256)}:5432",65f,1,"SELECT",2026-11-27 10:00:00 UTC,3/1,0,LOG,00000,'
                   f'"duration: {dur:.3f} ms  statement: SELECT * FROM pgbench_accounts WHERE aid = {rnd.randrange(10**6)}"')
        else:
            msg = (f'10.10.10.{rnd.randrange(256)} - - [27/Nov/2026:10:00:00 +0000] "GET {rnd.choice(paths)} HTTP/1.1" '
                   f'{rnd.choice((200, 200, 200, 304, 404, 502))} {rnd.randrange(100, 100000)} "-" "Mozilla/5.0"')
        if n == lines // 2:
            msg += " " + RARE
        doc = {"message": msg, "_time": str(t), "job": job, "ins": ins, "ip": ip, "level": rnd.choice(("info", "warn", "error"))}
        yield json.dumps(doc, separators=(",", ":")), msg


def dir_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass
    return total


def rss_peak_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def timed(fn, reps):
    fn()  # warm-up
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--batch", type=int, default=10_000)
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="vigil-bench-logs-")
    start_ns = (time.time_ns() - DAY_NS - 3600 * 10**9) // DAY_NS * DAY_NS
    bodies, raw_path = [], os.path.join(work, "corpus.log")
    batch = []
    raw_bytes = 0
    with open(raw_path, "w") as raw:
        for j, text in corpus(args.lines, start_ns):
            batch.append(j)
            raw.write(text + "\n")
            raw_bytes += len(text) + 1
            if len(batch) == args.batch:
                bodies.append(("\n".join(batch) + "\n").encode())
                batch = []
    if batch:
        bodies.append(("\n".join(batch) + "\n").encode())
    json_bytes = sum(len(b) for b in bodies)
    subprocess.run(["gzip", "-6", "-k", raw_path], check=True)
    gz_bytes = os.path.getsize(raw_path + ".gz")

    port = free_port()
    data = os.path.join(work, "data")
    proc = subprocess.Popen([os.path.join(REPO, "build", "release", "vigil"), "serve", "--only", "logs",
                             "--data-dir", data, "--set", f"logs.listen=127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/health")
        headers = {"VL-Stream-Fields": "job,ins,ip", "VL-Msg-Field": "message", "VL-Time-Field": "_time"}
        queue = list(bodies)
        lock = threading.Lock()

        def sender():
            while True:
                with lock:
                    if not queue:
                        return
                    body = queue.pop()
                req = urllib.request.Request(base + "/insert/jsonline", data=body, headers=headers)
                urllib.request.urlopen(req, timeout=120).read()

        t0 = time.perf_counter()
        threads = [threading.Thread(target=sender) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        ingest_s = time.perf_counter() - t0
        time.sleep(3)  # let the head flush to parts
        rss = rss_peak_kib(proc.pid)
        disk = dir_bytes(os.path.join(data, "logs"))

        def q(text):
            def run():
                body = urllib.parse.urlencode({"query": text, "start": str(start_ns), "end": str(start_ns + DAY_NS)}).encode()
                return urllib.request.urlopen(base + "/select/logsql/query", data=body, timeout=300).read()
            return run

        queries = [
            ("rare word over the whole day", RARE),
            ("field filter", "level:error duration"),
            ("stream filter + word", '{job="nginx",ins="nginx-10"} 502'),
            ("stats by (_time:5m) count()", "* | stats by (_time:5m) count() as n"),
        ]
        results = [(name, text, timed(q(text), args.reps)) for name, text in queries]
        grep_s = timed(lambda: subprocess.run(["grep", "-c", RARE, raw_path], stdout=subprocess.DEVNULL), args.reps)
        zgrep_s = timed(lambda: subprocess.run(f"zcat {raw_path}.gz | grep -c {RARE}", shell=True,
                                               stdout=subprocess.DEVNULL), args.reps)
    finally:
        stop_process(proc)
        shutil.rmtree(work, ignore_errors=True)

    n = args.lines
    print(f"| corpus | {n:,} lines, 200 streams, 1 day; raw text {raw_bytes / 1e6:.1f} MB, JSON sent {json_bytes / 1e6:.1f} MB |")
    print("|---|---|")
    print(f"| ingest rate | {n / ingest_s:,.0f} lines/s, {json_bytes / ingest_s / 1e6:.1f} MB/s of JSON (2 senders) |")
    print(f"| on disk | {disk / n:.1f} bytes/line (raw text {raw_bytes / n:.1f}, gzip -6 {gz_bytes / n:.1f}) |")
    print(f"| peak RSS | {rss / 1024:.0f} MiB |")
    for name, text, s in results:
        print(f"| `{text}` ({name}) | {s * 1000:.1f} ms |")
    print(f"| baseline: `grep -c {RARE}` raw file | {grep_s * 1000:.1f} ms |")
    print(f"| baseline: `zcat | grep -c` gzip file | {zgrep_s * 1000:.1f} ms |")


if __name__ == "__main__":
    main()
