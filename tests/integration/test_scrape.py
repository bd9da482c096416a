"""Scraping: Vigil's scraper against real exporters and, side by side, Debian's
Prometheus 2.42 on the same scrape configuration."""

import http.server
import os
import shutil
import signal
import socketserver
import subprocess
import tempfile
import threading
import time

import pytest
import requests

from conftest import Vigil, free_port

HAVE_PROMETHEUS = shutil.which("prometheus") and os.path.exists("/usr/bin/prometheus-node-exporter")


def wait_for(fn, timeout=20, interval=0.2):
    """Polls fn() until it returns a truthy value; returns it or fails."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met in {timeout}s; last value: {last!r}")


def targets(base_url, **params):
    r = requests.get(base_url + "/api/v1/targets", params=params, timeout=10)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "success"
    return body["data"]


def query(base_url, q, **params):
    r = requests.get(base_url + "/api/v1/query", params={"query": q, **params}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["data"]["result"]


class Exporter:
    """A loopback HTTP server with one path per behaviour: /ok, /many (10
    series), /status500, /garbage, /slow (answers after 3 s), /auth (needs
    Bearer secret)."""

    def __init__(self):
        exporter = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                exporter.requests.append((self.path, dict(self.headers)))
                path = self.path.split("?")[0]
                if path == "/ok":
                    self.reply(200, "# TYPE demo_gauge gauge\ndemo_gauge{kind=\"a\"} 42\ndemo_counter_total 7\n")
                elif path == "/many":
                    self.reply(200, "".join(f"many_series{{i=\"{i}\"}} {i}\n" for i in range(10)))
                elif path == "/status500":
                    self.reply(500, "boom\n")
                elif path == "/garbage":
                    self.reply(200, "this is { not metrics\n")
                elif path == "/slow":
                    time.sleep(3)
                    self.reply(200, "late 1\n")
                elif path == "/auth":
                    if self.headers.get("Authorization") == "Bearer s3cret":
                        self.reply(200, "authed 1\n")
                    else:
                        self.reply(401, "no\n")
                else:
                    self.reply(404, "not found\n")

            def reply(self, status, text):
                body = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True

        self.requests = []
        self.port = free_port()
        self.server = Server(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_self_scrape_stores_up_for_every_component():
    with Vigil(only=["metrics", "logs"], self_scrape=True,
               extra_args=["--set", "scrape.scrape_interval=1s", "--set", "scrape.scrape_timeout=1s"]) as v:
        base = v.url("metrics", "")
        data = wait_for(lambda: (lambda d: d if len(d["activeTargets"]) == 2 and
                                 all(t["health"] == "up" for t in d["activeTargets"]) else None)(targets(base)))
        assert {t["scrapePool"] for t in data["activeTargets"]} == {"vigil"}
        instances = {t["labels"]["instance"] for t in data["activeTargets"]}
        assert instances == {f"127.0.0.1:{v.ports['metrics']}", f"127.0.0.1:{v.ports['logs']}"}
        result = wait_for(lambda: query(base, 'up{job="vigil"} == 1'))
        assert len(result) == 2
        # The scraped process metrics are queryable under the component's instance.
        assert wait_for(lambda: query(base, 'process_resident_memory_bytes{job="vigil"}'))
        html = requests.get(base + "/targets", timeout=10)
        assert html.status_code == 200 and "text/html" in html.headers["Content-Type"]
        assert "2 of 2 targets up" in html.text


def test_failing_targets_are_down_with_clear_errors_and_do_not_disturb_others():
    with Exporter() as ex:
        config = f"""
scrape:
  scrape_interval: 1s
  scrape_timeout: 1s
  scrape_configs:
    - job_name: fine
      metrics_path: /ok
      static_configs: [{{targets: ["{ex.address}"]}}]
    - job_name: broken500
      metrics_path: /status500
      static_configs: [{{targets: ["{ex.address}"]}}]
    - job_name: garbage
      metrics_path: /garbage
      static_configs: [{{targets: ["{ex.address}"]}}]
    - job_name: slow
      metrics_path: /slow
      scrape_timeout: 500ms
      static_configs: [{{targets: ["{ex.address}"]}}]
    - job_name: limited
      metrics_path: /many
      sample_limit: 5
      static_configs: [{{targets: ["{ex.address}"]}}]
    - job_name: closed
      static_configs: [{{targets: ["127.0.0.1:{free_port()}"]}}]
    - job_name: secret
      metrics_path: /auth
      authorization: {{credentials: s3cret}}
      static_configs: [{{targets: ["{ex.address}"]}}]
"""
        with Vigil(only=["metrics"], config_text=config) as v:
            base = v.url("metrics", "")

            def all_scraped():
                d = targets(base)
                by_pool = {t["scrapePool"]: t for t in d["activeTargets"]}
                return by_pool if len(by_pool) == 7 and all(t["health"] != "unknown" for t in by_pool.values()) \
                    else None

            by_pool = wait_for(all_scraped)
            assert by_pool["fine"]["health"] == "up" and by_pool["fine"]["lastError"] == ""
            assert by_pool["secret"]["health"] == "up", by_pool["secret"]
            assert by_pool["broken500"]["lastError"] == "server returned HTTP status 500 Internal Server Error"
            assert by_pool["garbage"]["health"] == "down" and by_pool["garbage"]["lastError"]
            assert "timeout" in by_pool["slow"]["lastError"]
            assert by_pool["limited"]["lastError"] == "sample limit exceeded"
            assert "refused" in by_pool["closed"]["lastError"].lower()
            ups = {r["metric"]["job"]: r["value"][1] for r in query(base, "up")}
            assert ups == {"fine": "1", "secret": "1", "broken500": "0", "garbage": "0", "slow": "0",
                           "limited": "0", "closed": "0"}
            # Nothing of the failed scrapes was stored; the good one was.
            assert query(base, "many_series") == []
            got = query(base, 'demo_gauge{job="fine"}')
            assert got[0]["metric"] == {"__name__": "demo_gauge", "job": "fine", "kind": "a",
                                        "instance": ex.address}
            assert got[0]["value"][1] == "42"
            samples = {r["metric"]["__name__"]: r["value"][1] for r in query(base, '{job="fine",__name__=~"scrape_.*"}')}
            assert samples["scrape_samples_scraped"] == "2"
            assert samples["scrape_samples_post_metric_relabeling"] == "2"
            # Scrape requests carry Prometheus' headers.
            path, headers = next(r for r in ex.requests if r[0] == "/ok")
            assert headers["X-Prometheus-Scrape-Timeout-Seconds"] == "1"
            assert "application/openmetrics-text" in headers["Accept"]


def test_file_sd_in_pigsty_layout_is_picked_up_live_and_removal_goes_stale():
    with Exporter() as ex:
        v = Vigil(only=["metrics"], extra_args=["--set", "scrape.scrape_interval=1s",
                                                "--set", "scrape.scrape_timeout=1s"])
        targets_dir = os.path.join(v.data_dir, "targets", "infra")
        os.makedirs(targets_dir)
        with v:
            base = v.url("metrics", "")
            # Pigsty's infra job reads <targets_dir>/infra/*.yml with /metrics;
            # point a target at our exporter's /ok through __metrics_path__.
            with open(os.path.join(targets_dir, "10.10.10.10.yml"), "w") as f:
                f.write(f"- labels: {{ip: 10.10.10.10, ins: infra-1, __metrics_path__: /ok}}\n"
                        f"  targets: [{ex.address}]\n")
            t = wait_for(lambda: [x for x in targets(base)["activeTargets"]
                                  if x["scrapePool"] == "infra" and x["health"] == "up"])[0]
            assert t["labels"] == {"instance": ex.address, "ip": "10.10.10.10", "ins": "infra-1", "job": "infra"}
            assert t["discoveredLabels"]["__meta_filepath"].endswith("/infra/10.10.10.10.yml")
            assert wait_for(lambda: query(base, 'demo_gauge{job="infra",ins="infra-1"}'))
            os.remove(os.path.join(targets_dir, "10.10.10.10.yml"))
            wait_for(lambda: not [x for x in targets(base)["activeTargets"] if x["scrapePool"] == "infra"])
            # The removed target's series were marked stale: gone from instant queries at once.
            wait_for(lambda: query(base, 'demo_gauge{job="infra"}') == [], timeout=5)
            wait_for(lambda: query(base, 'up{job="infra"}') == [], timeout=5)


def test_reload_keeps_unchanged_targets_and_applies_new_jobs():
    with Exporter() as ex:
        job = f"""    - job_name: keep
      metrics_path: /ok
      static_configs: [{{targets: ["{ex.address}"]}}]
"""
        config = "scrape:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  scrape_configs:\n" + job
        with Vigil(only=["metrics"], config_text=config) as v:
            base = v.url("metrics", "")
            before = wait_for(lambda: [t for t in targets(base)["activeTargets"] if t["health"] == "up"])[0]
            with open(v.config_path, "w") as f:
                f.write(config + f"""    - job_name: added
      metrics_path: /many
      static_configs: [{{targets: ["{ex.address}"]}}]
""")
            v.signal(signal.SIGHUP)
            pools = wait_for(lambda: (lambda d: d if len(d) == 2 else None)(
                {t["scrapePool"]: t for t in targets(base)["activeTargets"]}))
            # The unchanged target kept its loop: it was never reset to "unknown".
            assert pools["keep"]["health"] == "up"
            assert pools["keep"]["lastScrape"] >= before["lastScrape"]
            wait_for(lambda: query(base, 'count(many_series{job="added"}) == 10'))
            # No stale marker cut the unchanged series: every step from the
            # first scrape to now has a value.
            time.sleep(2)
            exported = requests.get(base + "/api/v1/export", params={"match[]": 'demo_gauge{job="keep"}'},
                                    timeout=10).json()
            stamps = exported["timestamps"]
            assert all(b - a < 1500 for a, b in zip(stamps, stamps[1:])), stamps
            start, end = stamps[0] / 1000 + 0.01, time.time()
            r = requests.get(base + "/api/v1/query_range",
                             params={"query": 'demo_gauge{job="keep"}', "start": start, "end": end, "step": "0.25"},
                             timeout=10).json()
            steps = int((end - start) / 0.25) + 1
            values = r["data"]["result"][0]["values"] if r["data"]["result"] else []
            assert len(values) == steps, (steps, values, stamps)


def test_invalid_scrape_config_is_refused_by_check_config():
    from conftest import run_vigil
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "vigil.yml")
        with open(path, "w") as f:
            f.write("scrape:\n  scrape_configs:\n    - job_name: a\n      scrape_interval: 5s\n"
                    "      scrape_timeout: 6s\n")
        r = run_vigil("check-config", "--config", path)
        assert r.returncode != 0
        assert "scrape timeout greater than scrape interval" in r.stdout + r.stderr


RELABEL_JOB = """  - job_name: node
    scrape_interval: 1s
    scrape_timeout: 1s
    params: {{'collect[]': [cpu, meminfo, loadavg, uname]}}
    static_configs:
      - targets: ["{ne}"]
        labels: {{cls: pg-meta, ins: pg-meta-1, __tmp_env: prod}}
      - targets: ["{ne_name}"]
        labels: {{cls: pg-test}}
    relabel_configs:
      - {{source_labels: [__address__], regex: '([^:]+):\\d+', target_label: ip, replacement: '$1'}}
      - {{source_labels: [__tmp_env], target_label: env}}
      - {{source_labels: [cls], regex: pg-test, action: drop}}
      - {{source_labels: [ins], target_label: shard, modulus: 4, action: hashmod}}
      - {{action: labelmap, regex: 'c(l)s', replacement: 'cluster_$1'}}
      - {{source_labels: [ins], target_label: INS_UPPER, action: uppercase}}
    metric_relabel_configs:
      - {{source_labels: [__name__], regex: 'go_.*', action: drop}}
      - {{source_labels: [__name__], regex: 'node_cpu_seconds_total', target_label: kind, replacement: cpu}}
"""


@pytest.mark.skipif(not HAVE_PROMETHEUS, reason="needs Debian's prometheus and prometheus-node-exporter")
def test_same_scrape_config_as_prometheus_gives_same_targets_and_series():
    tmp = tempfile.mkdtemp(prefix="vigil-scrape-diff-")
    ne_port, prom_port = free_port(), free_port()
    ne = subprocess.Popen(["/usr/bin/prometheus-node-exporter", f"--web.listen-address=127.0.0.1:{ne_port}",
                           "--collector.disable-defaults", "--collector.cpu", "--collector.meminfo",
                           "--collector.loadavg", "--collector.uname"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cfg = os.path.join(tmp, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n" +
                RELABEL_JOB.format(ne=f"127.0.0.1:{ne_port}", ne_name=f"localhost:{ne_port}"))
    prom = subprocess.Popen(["prometheus", f"--config.file={cfg}", f"--storage.tsdb.path={tmp}/data",
                             f"--web.listen-address=127.0.0.1:{prom_port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    prom_url = f"http://127.0.0.1:{prom_port}"
    try:
        with Vigil(only=["metrics"], extra_args=["--set", f"scrape.config_file={cfg}"]) as v:
            base = v.url("metrics", "")

            def up_targets(url):
                try:
                    d = targets(url)
                except (requests.RequestException, AssertionError):
                    return None
                return d if d["activeTargets"] and all(t["health"] == "up" for t in d["activeTargets"]) else None

            ours, theirs = wait_for(lambda: up_targets(base), 30), wait_for(lambda: up_targets(prom_url), 60)
            assert len(ours["activeTargets"]) == len(theirs["activeTargets"]) == 1
            a, b = ours["activeTargets"][0], theirs["activeTargets"][0]
            assert a["labels"] == b["labels"]
            assert a["discoveredLabels"] == b["discoveredLabels"]
            assert a["scrapeUrl"] == b["scrapeUrl"]
            assert (a["scrapeInterval"], a["scrapeTimeout"]) == (b["scrapeInterval"], b["scrapeTimeout"])
            dropped = lambda d: sorted(str(sorted(x["discoveredLabels"].items())) for x in d["droppedTargets"])
            assert dropped(ours) == dropped(theirs)

            time.sleep(4)  # a few intervals on both sides

            def series(url):
                r = requests.get(url + "/api/v1/series", params={"match[]": '{job="node"}',
                                                                 "start": time.time() - 3, "end": time.time()},
                                 timeout=10).json()
                return {tuple(sorted(s.items())) for s in r["data"]}

            ours_s, theirs_s = series(base), series(prom_url)
            assert len(theirs_s) > 20
            assert ours_s == theirs_s, (sorted(ours_s - theirs_s)[:5], sorted(theirs_s - ours_s)[:5])
            # Values of series that do not move agree.
            for q in ['node_memory_MemTotal_bytes', 'node_uname_info', 'up', 'scrape_samples_scraped',
                      'scrape_samples_post_metric_relabeling', 'count(node_cpu_seconds_total)']:
                mine = sorted((tuple(sorted(r["metric"].items())), r["value"][1]) for r in query(base, q))
                peer = sorted((tuple(sorted(r["metric"].items())), r["value"][1]) for r in query(prom_url, q))
                assert mine == peer, q
    finally:
        prom.terminate()
        ne.terminate()
        prom.wait(timeout=30)
        ne.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


def test_pigsty_ping_job_probes_targets_through_the_probe_component():
    """End to end as Pigsty runs it: a node IP in <targets_dir>/ping/*.yml is
    probed by the built-in `ping` job through the probe component's /probe
    (module icmp) and the result is queryable in metrics."""
    v = Vigil(only=["metrics", "probe"], extra_args=["--set", "scrape.scrape_interval=1s",
                                                     "--set", "scrape.scrape_timeout=1s"])
    ping_dir = os.path.join(v.data_dir, "targets", "ping")
    os.makedirs(ping_dir)
    with open(os.path.join(ping_dir, "10.10.10.10.yml"), "w") as f:
        f.write("- labels: {ip: 127.0.0.1, ins: meta-1, cls: meta}\n  targets: [127.0.0.1]\n")
    with v:
        base = v.url("metrics", "")
        t = wait_for(lambda: [x for x in targets(base)["activeTargets"]
                              if x["scrapePool"] == "ping" and x["health"] == "up"], 20)[0]
        assert t["labels"]["instance"] == "127.0.0.1"
        assert t["scrapeUrl"] == f"http://127.0.0.1:{v.ports['probe']}/probe?module=icmp&target=127.0.0.1"
        got = wait_for(lambda: query(base, 'probe_success{job="ping",ins="meta-1"}'), 20)
        assert got[0]["value"][1] == "1"
