#!/usr/bin/python3
"""CMDB benchmark: load and derive for a generated 1,000-host / 300-cluster
inventory, SQLite vs PostgreSQL, and Ansible reading the YAML directly vs
through `vigil inventory script`.

  bench/cmdb/run.py [--hosts 1000] [--clusters 300] [--runs 3] [--no-pg] [--no-ansible] [--dir /dev/shm]

Each number is the median wall time of --runs runs of the vigil command (a
fresh process each time, so it includes start-up and opening the store):
  load      `vigil cmdb load` into an empty store, derived files written
  reload    the same file again (read, compare, no write)
  list      `vigil inventory --list`
  derive    `vigil cmdb set` of one global var that changes every target file
PostgreSQL 15 runs from a temp dir on a free loopback port (fsync on)."""

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
VIGIL = os.environ.get("VIGIL_BIN", os.path.join(ROOT, "build", "release", "vigil"))
PG_BIN = "/usr/lib/postgresql/15/bin"
ARGS = None


def generate(hosts, clusters):
    """pg clusters of hosts/clusters members each (primary + replicas), every
    host also in one of a few node clusters with node vars, 3 etcd members,
    and a redis cluster on every 10th cluster."""
    lines = ["all:", "  children:"]
    per = max(1, hosts // clusters)
    ip = 0
    for c in range(clusters):
        n = per if c < clusters - 1 else hosts - per * (clusters - 1)
        lines += [f"    pg-c{c}:", "      hosts:"]
        for s in range(n):
            a, b = divmod(ip, 250)
            role = "primary" if s == 0 else "replica"
            lines.append(f"        10.{a // 250}.{a % 250}.{b + 1}: {{ pg_seq: {s + 1}, pg_role: {role} }}")
            ip += 1
        lines += ["      vars:", f"        pg_cluster: pg-c{c}",
                  f"        pg_users: [{{ name: u{c}, password: p{c}, pgbouncer: true, roles: [dbrole_admin] }}]",
                  f"        pg_databases: [{{ name: db{c} }}]",
                  "        pg_vip_enabled: true", f"        pg_vip_address: 10.200.{c // 250}.{c % 250 + 1}/24"]
    lines += ["    etcd:", "      hosts:"]
    for s in range(3):
        lines.append(f"        10.0.0.{s + 1}: {{ etcd_seq: {s + 1} }}")
    lines += ["      vars: { etcd_cluster: etcd }", "    infra:", "      hosts: { 10.0.0.1: { infra_seq: 1 } }",
              "  vars:", "    admin_ip: 10.0.0.1", "    version: v4.5.0", "    pg_version: 18",
              "    node_tune: oltp", "    infra_portal: { home: { domain: i.pigsty } }",
              "    node_etc_hosts: ['${admin_ip} i.pigsty sss.pigsty']"]
    for i in range(30):
        lines.append(f"    param_{i}: value-{i}")
    return "\n".join(lines) + "\n"


def timed(cmd, env=None):
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr}")
    return dt


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Postgres:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="vigil-bench-pg-")
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.prefix = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
            self.prefix = ["runuser", "-u", "postgres", "--"]
        data = os.path.join(self.dir, "data")
        run = lambda *a: subprocess.run([*self.prefix, *a], check=True, capture_output=True, cwd=self.dir)
        run(f"{PG_BIN}/initdb", "-D", data, "-U", "vigil", "--auth=trust", "--no-locale")
        run(f"{PG_BIN}/pg_ctl", "-D", data, "-l", os.path.join(self.dir, "log"), "-w",
            "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1", "start")
        self.data = data
        self.n = 0

    def fresh_url(self):
        self.n += 1
        subprocess.run([f"{PG_BIN}/psql", f"postgres://vigil@127.0.0.1:{self.port}/postgres", "-qc",
                        f"CREATE DATABASE b{self.n}"], check=True, capture_output=True)
        return f"postgres://vigil@127.0.0.1:{self.port}/b{self.n}"

    def stop(self):
        subprocess.run([*self.prefix, f"{PG_BIN}/pg_ctl", "-D", self.data, "-m", "fast", "stop"], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def bench_backend(name, inventory, runs, url_fn):
    results = {k: [] for k in ("load", "reload", "list", "derive")}
    for _ in range(runs):
        tmp = tempfile.mkdtemp(prefix="vigil-bench-cmdb-", dir=ARGS.dir)
        opts = ["--data-dir", os.path.join(tmp, "data"), "--config", os.path.join(tmp, "none.yml"),
                "--set", f"dns.hosts_dir=[{tmp}/hosts]", "--set", f"scrape.targets_dir={tmp}/targets"]
        open(os.path.join(tmp, "none.yml"), "w").close()
        if url_fn:
            opts += ["--set", f"cmdb.url={url_fn()}"]
        results["load"].append(timed([VIGIL, "cmdb", "load", inventory, *opts]))
        results["reload"].append(timed([VIGIL, "cmdb", "load", inventory, *opts]))
        results["list"].append(timed([VIGIL, "inventory", "--list", *opts]))
        results["derive"].append(timed([VIGIL, "cmdb", "set", "node_exporter_port", "19100", *opts]))
        shutil.rmtree(tmp, ignore_errors=True)
    return {k: statistics.median(v) for k, v in results.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hosts", type=int, default=1000)
    ap.add_argument("--clusters", type=int, default=300)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--no-ansible", action="store_true")
    ap.add_argument("--dir", default=None, help="where the data dir and derived files go (default: $TMPDIR)")
    args = ap.parse_args()
    global ARGS
    ARGS = args
    work = tempfile.mkdtemp(prefix="vigil-bench-inv-")
    inventory = os.path.join(work, "pigsty.yml")
    with open(inventory, "w") as f:
        f.write(generate(args.hosts, args.clusters))
    print(f"inventory: {args.hosts} hosts, {args.clusters} pg clusters (+etcd, infra), "
          f"{os.path.getsize(inventory)} bytes; median of {args.runs}")
    rows = {"sqlite": bench_backend("sqlite", inventory, args.runs, None)}
    if not args.no_pg:
        pg = Postgres()
        try:
            rows["postgres"] = bench_backend("postgres", inventory, args.runs, pg.fresh_url)
        finally:
            pg.stop()
    print(f"{'backend':10} {'load+derive':>12} {'reload':>8} {'list':>8} {'set+derive':>11}")
    for name, r in rows.items():
        print(f"{name:10} {r['load']:11.3f}s {r['reload']:7.3f}s {r['list']:7.3f}s {r['derive']:10.3f}s")
    if not args.no_ansible and shutil.which("ansible-inventory"):
        tmp = tempfile.mkdtemp(prefix="vigil-bench-ans-")
        opts = ["--data-dir", os.path.join(tmp, "data"), "--set", f"dns.hosts_dir=[{tmp}/hosts]",
                "--set", f"scrape.targets_dir={tmp}/targets"]
        subprocess.run([VIGIL, "cmdb", "load", inventory, *opts], check=True, capture_output=True)
        script = os.path.join(tmp, "inventory.sh")
        subprocess.run([VIGIL, "inventory", "script", script, *opts], check=True, capture_output=True)
        env = dict(os.environ, ANSIBLE_INVENTORY_ENABLED="script,yaml", HOME=tmp)
        yml = statistics.median(timed(["ansible-inventory", "-i", inventory, "--list"], env) for _ in range(args.runs))
        scr = statistics.median(timed(["ansible-inventory", "-i", script, "--list"], env) for _ in range(args.runs))
        print(f"ansible-inventory --list: -i pigsty.yml {yml:.3f}s, -i vigil script {scr:.3f}s "
              f"(ratio {yml / scr:.2f}x)")
        shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
