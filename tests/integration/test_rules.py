"""The rules component (VMAlert's role): rule files checked like promtool,
recording rules compared with Debian's Prometheus 2.42 on the same data, and
alerts going pending -> firing -> resolved into Vigil's own Alertmanager and
into Debian's prometheus-alertmanager 0.25."""

import glob
import math
import os
import shutil
import subprocess
import tempfile
import textwrap
import time

import pytest
import requests
import yaml

from conftest import Vigil, free_port, run_vigil
from test_alertmanager import WebhookSink
from test_scrape import Exporter, query, wait_for

PIGSTY_RULES = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "pigsty",
                                            "files", "victoria", "rules"))
PROMTOOL = shutil.which("promtool")

BROKEN_RULE_FILES = {
    "bad_expr.yml": "groups:\n  - name: g\n    rules:\n      - record: r\n        expr: sum(\n",
    "bad_name.yml": "groups:\n  - name: g\n    rules:\n      - record: 'bad name'\n        expr: up\n",
    "bad_template.yml": "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n"
                        "        annotations: {summary: '{{ $labels.x '}\n",
    "dup_group.yml": "groups:\n  - name: g\n    rules: []\n  - name: g\n    rules: []\n",
    "both_kinds.yml": "groups:\n  - name: g\n    rules:\n      - record: r\n        alert: A\n        expr: up\n",
    "for_on_record.yml": "groups:\n  - name: g\n    rules:\n      - record: r\n        expr: up\n        for: 1m\n",
    "unknown_field.yml": "groups:\n  - name: g\n    rulez: []\n",
    "good.yml": "groups:\n  - name: g\n    rules:\n      - record: job:up:sum\n        expr: sum by (job) (up)\n"
                "      - alert: A\n        expr: up == 0\n        for: 1m\n"
                "        annotations: {summary: '{{ $labels.instance }} is {{ $value | humanize }}'}\n",
}


@pytest.mark.skipif(not PROMTOOL, reason="needs promtool (Debian prometheus)")
def test_rules_check_agrees_with_promtool():
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for name, text in BROKEN_RULE_FILES.items():
            path = os.path.join(tmp, name)
            with open(path, "w") as f:
                f.write(text)
            files.append(path)
        files += sorted(glob.glob(os.path.join(PIGSTY_RULES, "*.yml")))
        assert len(files) > len(BROKEN_RULE_FILES), "Pigsty's rule files are missing"
        for path in files:
            ours = run_vigil("rules", "check", path)
            theirs = subprocess.run([PROMTOOL, "check", "rules", path], capture_output=True, text=True)
            assert (ours.returncode == 0) == (theirs.returncode == 0), (path, ours.stderr, theirs.stdout)
            if ours.returncode != 0:
                assert os.path.basename(path) in ours.stderr  # file:line messages
            else:
                assert "SUCCESS" in ours.stdout


DIFF_RULES = textwrap.dedent("""\
    groups:
      - name: diff
        interval: 1s
        rules:
          - record: test:demo_gauge:sum
            expr: sum by (job) (demo_gauge)
          - record: test:demo_gauge:ratio
            expr: demo_gauge / ignoring(kind) group_left sum without (kind) (demo_gauge)
          - record: test:demo_counter:max
            expr: max by (instance) (demo_counter_total) * 2
          - record: test:chained
            expr: test:demo_gauge:sum + 1
            labels: {level: "1"}
          - record: test:scalar
            expr: scalar(count(demo_gauge))
    """)


@pytest.mark.skipif(not shutil.which("prometheus"), reason="needs Debian's prometheus")
def test_recording_rules_match_prometheus_on_the_same_data():
    tmp = tempfile.mkdtemp(prefix="vigil-rules-diff-")
    with Exporter() as ex:
        rules = os.path.join(tmp, "rules.yml")
        with open(rules, "w") as f:
            f.write(DIFF_RULES)
        prom_cfg = os.path.join(tmp, "prometheus.yml")
        with open(prom_cfg, "w") as f:
            f.write(f"global: {{scrape_interval: 1s, evaluation_interval: 1s}}\nrule_files: [{rules}]\n"
                    f"scrape_configs:\n  - job_name: demo\n    metrics_path: /ok\n"
                    f"    static_configs: [{{targets: ['{ex.address}']}}]\n")
        prom_port = free_port()
        prom = subprocess.Popen(["prometheus", f"--config.file={prom_cfg}", f"--storage.tsdb.path={tmp}/data",
                                 f"--web.listen-address=127.0.0.1:{prom_port}"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        prom_url = f"http://127.0.0.1:{prom_port}"
        try:
            with Vigil(only=["metrics", "rules"],
                       extra_args=["--set", f"scrape.config_file={prom_cfg}", "--set", f"rules.files=[{rules}]"]) as v:
                base = v.url("metrics", "")

                def recorded(url):
                    try:
                        got = query(url, '{__name__=~"test:.*"}')
                    except (requests.RequestException, AssertionError, KeyError):
                        return None
                    return sorted((tuple(sorted(r["metric"].items())), float(r["value"][1])) for r in got) \
                        if len(got) == 5 else None

                ours = wait_for(lambda: recorded(base), 30)
                theirs = wait_for(lambda: recorded(prom_url), 60)
                assert ours == theirs
                rules_api = requests.get(v.url("rules", "/api/v1/rules"), timeout=10).json()
                group = rules_api["data"]["groups"][0]
                assert group["name"] == "diff" and group["interval"] == 1
                assert all(r["health"] == "ok" for r in group["rules"]), group["rules"]
        finally:
            prom.terminate()
            prom.wait(timeout=30)
            shutil.rmtree(tmp, ignore_errors=True)


ALERT_RULES = textwrap.dedent("""\
    groups:
      - name: alerts
        interval: 1s
        rules:
          - alert: DemoHigh
            expr: demo_level > 5
            for: 2s
            labels: {severity: warn}
            annotations:
              summary: "{{ $labels.instance }} level {{ $value | printf \\"%.1f\\" }}"
    """)


def push_level(v, value):
    r = requests.post(v.url("metrics", "/api/v1/import/prometheus"), data=f'demo_level{{instance="h1"}} {value}\n',
                      timeout=10)
    assert r.status_code == 204, r.text


def rule_alert_state(v):
    alerts = requests.get(v.url("rules", "/api/v1/alerts"), timeout=10).json()["data"]["alerts"]
    return alerts[0]["state"] if alerts else "inactive"


def test_alert_lifecycle_reaches_vigils_alertmanager_and_its_webhook():
    with WebhookSink() as sink:
        tmp = tempfile.mkdtemp(prefix="vigil-rules-alert-")
        rules = os.path.join(tmp, "alerts.yml")
        with open(rules, "w") as f:
            f.write(ALERT_RULES)
        config = textwrap.dedent(f"""\
            rules:
              files: [{rules}]
              resend_delay: 1s
            alertmanager:
              config:
                route: {{receiver: hook, group_by: [alertname], group_wait: 0s, group_interval: 1s,
                         repeat_interval: 1h}}
                receivers: [{{name: hook, webhook_configs: [{{url: "{sink.url}/hook", send_resolved: true}}]}}]
            """)
        try:
            with Vigil(only=["metrics", "rules", "alertmanager"], config_text=config) as v:
                stop = False
                import threading

                def keep_pushing():  # a gauge that stays fresh for the lookback
                    while not stop:
                        push_level(v, level[0])
                        time.sleep(0.3)

                level = [9.0]
                pusher = threading.Thread(target=keep_pushing, daemon=True)
                pusher.start()
                wait_for(lambda: rule_alert_state(v) == "pending", 10)
                wait_for(lambda: rule_alert_state(v) == "firing", 10)
                # ALERTS series are recorded as Prometheus does.
                assert wait_for(lambda: query(v.url("metrics", ""), 'ALERTS{alertname="DemoHigh",alertstate="firing"}'))
                # Our Alertmanager received it and notified the webhook.
                am = wait_for(lambda: requests.get(v.url("alertmanager", "/api/v2/alerts"), timeout=10).json())
                assert am[0]["labels"] == {"alertname": "DemoHigh", "severity": "warn", "instance": "h1"}
                assert am[0]["annotations"]["summary"] == "h1 level 9.0"
                assert am[0]["generatorURL"].startswith("http://127.0.0.1:")
                firing = wait_for(lambda: [b for _, _, b in sink.received if b["status"] == "firing"], 15)
                assert firing[0]["alerts"][0]["labels"]["alertname"] == "DemoHigh"
                # Back to normal: the alert resolves and the receiver hears it.
                level[0] = 1.0
                wait_for(lambda: rule_alert_state(v) == "inactive", 10)
                wait_for(lambda: [b for _, _, b in sink.received if b["status"] == "resolved"], 20)
                stop = True
                pusher.join()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


@pytest.mark.skipif(not shutil.which("prometheus-alertmanager") or not shutil.which("amtool"),
                    reason="needs Debian's prometheus-alertmanager and amtool")
def test_alerts_reach_debians_alertmanager_even_when_it_starts_late():
    tmp = tempfile.mkdtemp(prefix="vigil-rules-am-")
    rules = os.path.join(tmp, "alerts.yml")
    with open(rules, "w") as f:
        f.write(ALERT_RULES.replace("for: 2s", "for: 0s"))
    am_port = free_port()
    am_cfg = os.path.join(tmp, "am.yml")
    with open(am_cfg, "w") as f:
        f.write("route: {receiver: blackhole}\nreceivers: [{name: blackhole}]\n")
    config = f"rules:\n  files: [{rules}]\n  resend_delay: 1s\n  notifiers: ['http://127.0.0.1:{am_port}']\n"
    am = None
    try:
        with Vigil(only=["metrics", "rules"], config_text=config) as v:
            push_level(v, 9)
            wait_for(lambda: rule_alert_state(v) == "firing", 10)
            time.sleep(1.5)  # the receiver is down: sends fail and are retried
            am = subprocess.Popen(["prometheus-alertmanager", f"--config.file={am_cfg}",
                                   f"--storage.path={tmp}/am", f"--web.listen-address=127.0.0.1:{am_port}",
                                   "--cluster.listen-address="],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

            def amtool_sees_it():
                push_level(v, 9)
                r = subprocess.run(["amtool", "alert", "query", "--alertmanager.url", f"http://127.0.0.1:{am_port}",
                                    "-o", "extended"], capture_output=True, text=True)
                return r.stdout if "DemoHigh" in r.stdout else None

            out = wait_for(amtool_sees_it, 40, interval=1)
            assert 'severity="warn"' in out and 'instance="h1"' in out
            errors = requests.get(v.url("rules", "/metrics"), timeout=10).text
            assert "vigil_rules_notification_errors_total" in errors
    finally:
        if am:
            am.terminate()
            am.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


def test_rule_file_errors_are_reported_and_good_files_keep_running():
    tmp = tempfile.mkdtemp(prefix="vigil-rules-bad-")
    try:
        for name in ("good.yml", "bad_expr.yml"):
            with open(os.path.join(tmp, name), "w") as f:
                f.write(BROKEN_RULE_FILES[name].replace("name: g", "name: " + name.split(".")[0]))
        with Vigil(only=["metrics", "rules"], extra_args=["--set", f"rules.files=[{tmp}/*.yml]"]) as v:
            groups = requests.get(v.url("rules", "/api/v1/rules"), timeout=10).json()["data"]["groups"]
            assert [g["name"] for g in groups] == ["good"]
            assert "bad_expr.yml:4" in v.read_log()
            # A new rule file is picked up without a restart.
            with open(os.path.join(tmp, "more.yml"), "w") as f:
                f.write("groups:\n  - name: more\n    rules:\n      - record: x:one\n        expr: vector(1)\n")
            wait_for(lambda: len(requests.get(v.url("rules", "/api/v1/rules"), timeout=10)
                                 .json()["data"]["groups"]) == 2, 10)
            html = requests.get(v.url("rules", "/vmalert/groups"), timeout=10)
            assert html.status_code == 200 and "<h2>more</h2>" in html.text
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_for_state_survives_a_restart():
    """An alert pending for part of its `for` before a restart fires after the
    rest of it, not after a whole new `for` (ALERTS_FOR_STATE is restored)."""
    tmp = tempfile.mkdtemp(prefix="vigil-rules-restore-")
    rules = os.path.join(tmp, "alerts.yml")
    with open(rules, "w") as f:
        f.write(ALERT_RULES.replace("for: 2s", "for: 20s"))
    config = f"rules:\n  files: [{rules}]\n  for_grace_period: 1s\n"
    v = Vigil(only=["metrics", "rules"], config_text=config).start()
    try:
        push_level(v, 9)
        wait_for(lambda: rule_alert_state(v) == "pending", 10)
        for _ in range(24):  # ~12 s of the 20 s spent pending
            push_level(v, 9)
            time.sleep(0.5)
        assert rule_alert_state(v) == "pending"
        rc, _ = v.stop()
        assert rc == 0
        v.start()
        restarted = time.time()

        def firing():
            push_level(v, 9)
            return rule_alert_state(v) == "firing"

        wait_for(firing, 30, interval=0.5)
        # Without the restore it would take the whole 20 s again.
        assert time.time() - restarted < 15
    finally:
        v.__exit__(None, None, None)
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.mark.skipif(not shutil.which("prometheus"), reason="needs Debian's prometheus")
def test_rules_against_a_remote_prometheus_datasource():
    """`rules.datasource_url`: the same rules evaluated against a real
    Prometheus, results written back to it with remote_write."""
    tmp = tempfile.mkdtemp(prefix="vigil-rules-remote-")
    with Exporter() as ex:
        prom_cfg = os.path.join(tmp, "prometheus.yml")
        with open(prom_cfg, "w") as f:
            f.write(f"global: {{scrape_interval: 1s}}\nscrape_configs:\n  - job_name: demo\n    metrics_path: /ok\n"
                    f"    static_configs: [{{targets: ['{ex.address}']}}]\n")
        rules = os.path.join(tmp, "rules.yml")
        with open(rules, "w") as f:
            f.write(DIFF_RULES)
        prom_port = free_port()
        prom = subprocess.Popen(["prometheus", f"--config.file={prom_cfg}", f"--storage.tsdb.path={tmp}/data",
                                 f"--web.listen-address=127.0.0.1:{prom_port}", "--web.enable-remote-write-receiver"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        prom_url = f"http://127.0.0.1:{prom_port}"
        try:
            wait_for(lambda: _prom_has(prom_url, "demo_gauge"), 60)
            config = f"rules:\n  files: [{rules}]\n  datasource_url: {prom_url}\n"
            with Vigil(only=["rules"], config_text=config) as v:
                got = wait_for(lambda: _prom_has(prom_url, 'test:chained{level="1"}'), 30)
                assert float(got[0]["value"][1]) == 43.0  # sum(demo_gauge) + 1
                groups = requests.get(v.url("rules", "/api/v1/rules"), timeout=10).json()["data"]["groups"]
                assert all(r["health"] == "ok" for r in groups[0]["rules"]), groups[0]["rules"]
        finally:
            prom.terminate()
            prom.wait(timeout=30)
            shutil.rmtree(tmp, ignore_errors=True)


def _prom_has(url, q):
    try:
        return query(url, q) or None
    except (requests.RequestException, AssertionError, KeyError):
        return None


@pytest.mark.skipif(not shutil.which("prometheus") or not os.path.exists("/usr/bin/prometheus-node-exporter"),
                    reason="needs Debian's prometheus and prometheus-node-exporter")
def test_pigsty_node_rules_record_what_prometheus_records():
    """Pigsty's node.yml, unchanged, over the same node_exporter data: every
    series Vigil records equals Prometheus 2.42's (names, labels, values
    within 1e-9). The exporters serve one captured page, so the data do not
    move between the two servers' scrapes."""
    import importlib.util
    import sys
    spec = importlib.util.spec_from_file_location(
        "bench_rules_run", os.path.join(os.path.dirname(__file__), "..", "..", "bench", "rules", "run.py"))
    bench = importlib.util.module_from_spec(spec)  # capture_node_exporter, write_config
    spec.loader.exec_module(bench)
    node_rules = os.path.join(PIGSTY_RULES, "node.yml")
    if not os.path.exists(node_rules):
        pytest.skip("Pigsty's rule files are not beside the repository")
    tmp = tempfile.mkdtemp(prefix="vigil-rules-pigsty-")
    body = os.path.join(tmp, "node.txt")
    bench.capture_node_exporter(body)
    fleet_port = free_port()
    fleet = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__), "..", "..", "bench", "scrape",
                                                           "fleet.py"),
                              "--port", str(fleet_port), "--targets", "3", "--body-file", body],
                             stdout=subprocess.PIPE, text=True)
    prom = None
    try:
        assert fleet.stdout.readline().strip() == "ready"
        rules = os.path.join(tmp, "node.yml")
        shutil.copy(node_rules, rules)
        cfg = os.path.join(tmp, "prometheus.yml")
        bench.write_config(cfg, fleet_port, 3, 1, [rules])
        prom_port = free_port()
        prom = subprocess.Popen(["prometheus", f"--config.file={cfg}", f"--storage.tsdb.path={tmp}/data",
                                 f"--web.listen-address=127.0.0.1:{prom_port}"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        peer = f"http://127.0.0.1:{prom_port}"
        config = f"scrape:\n  config_file: {cfg}\n  self_scrape: false\nrules:\n  files: [{rules}]\n" \
                 "  evaluation_interval: 1s\n"
        with Vigil(only=["metrics", "rules"], config_text=config) as v:
            ours = v.url("metrics", "")

            def recorded(url):
                try:
                    got = query(url, '{__name__=~"node:.*"}')
                except (requests.RequestException, AssertionError, KeyError):
                    return None
                return {tuple(sorted(r["metric"].items())): float(r["value"][1]) for r in got}

            # Let both run several rounds (rates need two scrapes in their window).
            time.sleep(8)
            mine = wait_for(lambda: (lambda d: d if d and len(d) > 50 else None)(recorded(ours)), 30)
            theirs = wait_for(lambda: (lambda d: d if d and len(d) > 50 else None)(recorded(peer)), 60)
            assert set(mine) == set(theirs), (sorted(set(mine) - set(theirs))[:5], sorted(set(theirs) - set(mine))[:5])
            # Rules on time() depend on the moment each server evaluates.
            with open(node_rules) as f:
                clock_rules = {r["record"] for g in yaml.safe_load(f)["groups"] for r in g["rules"]
                               if "record" in r and "time()" in r["expr"]}
            assert clock_rules
            for k, want in theirs.items():
                if dict(k)["__name__"] in clock_rules:
                    continue
                got = mine[k]
                same_nan = math.isnan(got) and math.isnan(want)
                assert same_nan or got == want or abs(got - want) <= 1e-9 * max(abs(want), 1.0), (k, got, want)
    finally:
        if prom:
            prom.terminate()
            prom.wait(timeout=30)
        fleet.terminate()
        fleet.wait()
        shutil.rmtree(tmp, ignore_errors=True)
