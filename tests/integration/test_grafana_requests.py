"""Grafana's Prometheus datasource against Vigil: the requests Grafana 9/10
sends (health check, metric and label browsers, series, metadata, range and
instant queries as form POSTs, exemplars, buildinfo) replayed against Vigil
and against Debian's Prometheus 2.42 scraping the same exporter. Grafana is
not packaged in Debian, so its requests are reproduced here as it sends them
(paths, methods, form encoding, parameters)."""

import shutil
import subprocess
import tempfile
import time

import pytest
import requests

from conftest import Vigil, free_port
from test_scrape import Exporter, wait_for

pytestmark = pytest.mark.skipif(not shutil.which("prometheus"), reason="needs Debian's prometheus")

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def grafana_requests(now):
    start, end = now - 60, now
    return [
        # Datasource health check ("Save & test") and version detection.
        ("GET", "/api/v1/query", {"query": "1+1", "time": now}, None),
        ("GET", "/api/v1/status/buildinfo", {}, None),
        # Metric browser and label pickers.
        ("GET", "/api/v1/label/__name__/values", {"start": start, "end": end}, None),
        ("GET", "/api/v1/labels", {"start": start, "end": end}, None),
        ("GET", "/api/v1/labels", {"match[]": 'demo_gauge{job="demo"}', "start": start, "end": end}, None),
        ("GET", "/api/v1/label/kind/values", {"match[]": "demo_gauge", "start": start, "end": end}, None),
        ("GET", "/api/v1/series", {"match[]": "demo_gauge", "start": start, "end": end}, None),
        ("GET", "/api/v1/metadata", {"metric": "demo_gauge"}, None),
        # Panels: range and instant queries are form POSTs.
        ("POST", "/api/v1/query_range", None,
         {"query": "sum by (job) (demo_gauge)", "start": start, "end": end, "step": 15}),
        ("POST", "/api/v1/query_range", None,
         {"query": "rate(demo_counter_total[1m])", "start": start, "end": end, "step": "15s"}),
        ("POST", "/api/v1/query", None, {"query": "demo_gauge * 2", "time": now}),
        ("POST", "/api/v1/query", None, {"query": "topk(1, demo_gauge)", "time": now}),
        # Annotations from alerts, and exemplars.
        ("POST", "/api/v1/query_range", None,
         {"query": 'ALERTS{alertstate="firing"}', "start": start, "end": end, "step": 60}),
        ("GET", "/api/v1/query_exemplars", {"query": "demo_gauge", "start": start, "end": end}, None),
        # Errors Grafana shows to the user.
        ("POST", "/api/v1/query", None, {"query": "sum(", "time": now}),
        ("POST", "/api/v1/query_range", None, {"query": "up", "start": end, "end": start, "step": 15}),
    ]


def normalise(path, body):
    """What must agree: status, resultType and result (values, labels), with
    timestamps dropped where the two servers evaluate at different moments."""
    if body.get("status") != "success":
        return ("error", body.get("errorType"))
    data = body["data"]
    if path == "/api/v1/status/buildinfo":
        return sorted(data)  # the field names Grafana reads
    if isinstance(data, dict) and "resultType" in data:
        result = data["result"]
        if data["resultType"] == "scalar":
            return ("scalar", result[1])
        if data["resultType"] == "vector":
            return ("vector", sorted((tuple(sorted(s["metric"].items())), s["value"][1]) for s in result))
        return ("matrix", sorted(tuple(sorted(s["metric"].items())) for s in result))
    if isinstance(data, list) and data and isinstance(data[0], dict):
        return sorted(tuple(sorted(d.items())) for d in data)
    return data


def test_grafana_datasource_requests_answer_like_prometheus():
    tmp = tempfile.mkdtemp(prefix="vigil-grafana-")
    with Exporter() as ex:
        cfg = f"{tmp}/prometheus.yml"
        with open(cfg, "w") as f:
            f.write(f"global: {{scrape_interval: 1s}}\nscrape_configs:\n  - job_name: demo\n    metrics_path: /ok\n"
                    f"    static_configs: [{{targets: ['{ex.address}']}}]\n")
        prom_port = free_port()
        prom = subprocess.Popen(["prometheus", f"--config.file={cfg}", f"--storage.tsdb.path={tmp}/data",
                                 f"--web.listen-address=127.0.0.1:{prom_port}"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        peer = f"http://127.0.0.1:{prom_port}"
        try:
            with Vigil(only=["metrics"], extra_args=["--set", f"scrape.config_file={cfg}"]) as v:
                ours = v.url("metrics", "")

                def has_data(url):
                    try:
                        r = requests.get(url + "/api/v1/query", params={"query": "count_over_time(demo_gauge[1m])"},
                                         timeout=5).json()
                        return r["data"]["result"] and float(r["data"]["result"][0]["value"][1]) >= 5
                    except (requests.RequestException, KeyError, ValueError):
                        return False

                wait_for(lambda: has_data(ours), 60)
                wait_for(lambda: has_data(peer), 60)
                now = time.time()
                for method, path, params, form in grafana_requests(now):
                    answers = []
                    for base in (ours, peer):
                        r = requests.request(method, base + path, params=params, data=form,
                                             headers=FORM if form else None, timeout=10)
                        assert r.headers["Content-Type"].startswith("application/json"), (base, path)
                        answers.append((r.status_code, normalise(path, r.json())))
                    assert answers[0] == answers[1], (method, path, params, form, answers)
        finally:
            prom.terminate()
            prom.wait(timeout=30)
            shutil.rmtree(tmp, ignore_errors=True)
