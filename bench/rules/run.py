"""Rule evaluation benchmark: Pigsty's rule files (node, pgsql, infra) over a
simulated fleet of node_exporters, Vigil vs Debian's prometheus 2.42, one
system at a time. The fleet (bench/scrape/fleet.py) serves a page captured
from Debian's prometheus-node-exporter to every target, each target with
Pigsty's identity labels (cls, ins, ip). For each system and run the script
measures, over `--window` seconds after a warm-up:
  - CPU seconds of the whole process with the rules and without them (scrape
    only); their difference per evaluation round is the rules' CPU;
  - the slowest group's last evaluation time and the summed evaluation time
    of all groups (from /api/v1/rules);
  - missed iterations (vigil_rules_group_iterations_missed_total,
    prometheus_rule_group_iterations_missed_total).
Prints a Markdown table of medians.

    /usr/bin/python3 bench/rules/run.py [--nodes 50] [--interval 10] [--window 60] [--runs 3]
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
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "bench", "scrape"))
from run import cpu_seconds, free_port, get_json, stop_process, wait_http  # noqa: E402

PIGSTY_RULES = os.path.abspath(os.path.join(REPO, "..", "shared", "pigsty", "files", "victoria", "rules"))
RULE_FILES = ["node.yml", "pgsql.yml", "infra.yml"]


def capture_node_exporter(path):
    port = free_port()
    ne = subprocess.Popen(["/usr/bin/prometheus-node-exporter", f"--web.listen-address=127.0.0.1:{port}"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(f"http://127.0.0.1:{port}/metrics")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as r, open(path, "wb") as f:
            f.write(r.read())
    finally:
        ne.terminate()
        ne.wait()


def write_config(path, fleet_port, nodes, interval, rules):
    with open(path, "w") as f:
        f.write(f"global:\n  scrape_interval: {interval}s\n  scrape_timeout: {min(interval, 8)}s\n"
                f"  evaluation_interval: {interval}s\n")
        if rules:
            f.write("rule_files:\n" + "".join(f"  - {r}\n" for r in rules))
        f.write("scrape_configs:\n  - job_name: node\n    static_configs:\n")
        for i in range(nodes):
            f.write(f"      - targets: ['127.0.0.1:{fleet_port}']\n"
                    f"        labels: {{__metrics_path__: /metrics/{i}, instance: '10.0.{i // 250}.{i % 250}:9100',"
                    f" ip: '10.0.{i // 250}.{i % 250}', ins: 'node-{i}', cls: 'node-cls-{i % 5}'}}\n")


def start(system, cfg, rules, data, port, vigil_bin):
    if system == "vigil":
        conf = os.path.join(data, "vigil.yml")
        with open(conf, "w") as f:
            f.write(f"scrape:\n  config_file: {cfg}\n  self_scrape: false\n")
            f.write("rules:\n  files: [" + ", ".join(rules) + "]\n")
        rules_port = free_port()
        cmd = [vigil_bin, "serve", "--config", conf, "--data-dir", data, "--only", "metrics,rules",
               "--set", f"metrics.listen=127.0.0.1:{port}", "--set", f"rules.listen=127.0.0.1:{rules_port}"]
        return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), rules_port
    cmd = ["prometheus", f"--config.file={cfg}", f"--storage.tsdb.path={data}", f"--web.listen-address=127.0.0.1:{port}"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), port


def missed(system, port):
    name = "vigil_rules_group_iterations_missed_total" if system == "vigil" else \
        "prometheus_rule_group_iterations_missed_total"
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as r:
        total = 0.0
        for line in r.read().decode().splitlines():
            if line.startswith(name):
                total += float(line.rsplit(" ", 1)[1])
        return total


def run_one(system, args, cfg_rules, cfg_plain, rules, with_rules, vigil_bin):
    data = tempfile.mkdtemp(prefix=f"bench-rules-{system}-")
    port = free_port()
    proc, api_port = start(system, cfg_rules if with_rules else cfg_plain, rules if with_rules else [], data, port,
                           vigil_bin)
    try:
        wait_http(f"http://127.0.0.1:{port}/api/v1/query?query=1")
        time.sleep(args.warmup)
        c0 = cpu_seconds(proc.pid)
        m0 = missed(system, api_port) if with_rules else 0
        time.sleep(args.window)
        c1 = cpu_seconds(proc.pid)
        result = {"system": system, "rules": with_rules, "cpu_s": c1 - c0}
        if with_rules:
            groups = get_json(f"http://127.0.0.1:{api_port}/api/v1/rules")["data"]["groups"]
            times = [g["evaluationTime"] for g in groups]
            result.update({"groups": len(groups), "slowest_group_s": max(times), "sum_groups_s": sum(times),
                           "unhealthy": sum(r["health"] != "ok" for g in groups for r in g["rules"]),
                           "missed": missed(system, api_port) - m0})
        return result
    finally:
        stop_process(proc)
        shutil.rmtree(data, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, default=50)
    ap.add_argument("--interval", type=int, default=10)
    ap.add_argument("--window", type=int, default=60)
    ap.add_argument("--warmup", type=int, default=40)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--systems", default="vigil,prometheus")
    ap.add_argument("--vigil", default=os.path.join(REPO, "build", "release", "vigil"))
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench-rules-")
    rules = []
    for name in RULE_FILES:
        shutil.copy(os.path.join(PIGSTY_RULES, name), os.path.join(tmp, name))
        rules.append(os.path.join(tmp, name))
    body = os.path.join(tmp, "node.txt")
    capture_node_exporter(body)
    fleet_port = free_port()
    fleet = subprocess.Popen([sys.executable, os.path.join(REPO, "bench", "scrape", "fleet.py"), "--port",
                              str(fleet_port), "--targets", str(args.nodes), "--body-file", body],
                             stdout=subprocess.PIPE, text=True)
    results = []
    try:
        assert fleet.stdout.readline().strip() == "ready"
        cfg_rules, cfg_plain = os.path.join(tmp, "with_rules.yml"), os.path.join(tmp, "plain.yml")
        write_config(cfg_rules, fleet_port, args.nodes, args.interval, rules)
        write_config(cfg_plain, fleet_port, args.nodes, args.interval, [])
        for run in range(args.runs):
            for system in args.systems.split(","):
                for with_rules in (True, False):
                    r = run_one(system, args, cfg_rules, cfg_plain, rules, with_rules, args.vigil)
                    r["run"] = run
                    print(json.dumps(r), flush=True)
                    results.append(r)
    finally:
        fleet.terminate()
        fleet.wait()
        shutil.rmtree(tmp, ignore_errors=True)

    rounds = args.window / args.interval
    print(f"\nPigsty rules {', '.join(RULE_FILES)} over {args.nodes} node_exporters every {args.interval}s, "
          f"{args.window}s window, median of {args.runs}\n")
    print("| system | rules CPU s per round | slowest group s | all groups s per round | missed | unhealthy rules |")
    print("|---|---|---|---|---|---|")
    for s in args.systems.split(","):
        def med(key, with_rules=True):
            return statistics.median(r[key] for r in results if r["system"] == s and r["rules"] == with_rules)
        cpu = (med("cpu_s") - med("cpu_s", False)) / rounds
        print(f"| {s} | {cpu:.3f} | {med('slowest_group_s'):.3f} | {med('sum_groups_s'):.3f} | "
              f"{med('missed'):.0f} | {med('unhealthy'):.0f} |")


if __name__ == "__main__":
    main()
