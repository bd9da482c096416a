"""The metrics component (VictoriaMetrics' role): write, import, export,
federate, delete, status; durability across restarts and kill -9; and a real
Prometheus remote-writing what it scrapes from a real node_exporter."""

import json
import math
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import pytest
import requests
import snappy

from conftest import Vigil, free_port
from promwire import REMOTE_WRITE_HEADERS, snappy_write_request

NOW_MS = int(time.time() * 1000) // 1000 * 1000


def export(v, match='{__name__!=""}', **params):
    r = requests.get(v.url("metrics", "/api/v1/export"), params={"match[]": match, **params}, timeout=10)
    assert r.status_code == 200, r.text
    out = {}
    for line in r.text.splitlines():
        row = json.loads(line)
        key = tuple(sorted(row["metric"].items()))
        out[key] = list(zip(row["timestamps"], row["values"]))
    return out


def key(**labels):
    return tuple(sorted(labels.items()))


@pytest.fixture
def metrics():
    with Vigil(only=["metrics"]) as v:
        yield v


def test_remote_write_then_export(metrics):
    series = [
        ({"__name__": "node_load1", "instance": "a", "job": "node"}, [(NOW_MS - 2000, 0.5), (NOW_MS - 1000, 0.75)]),
        ({"__name__": "node_load1", "instance": "b", "job": "node"}, [(NOW_MS - 1000, 1e-300)]),
        ({"__name__": "weird", "v": 'quote" back\\ slash\nnl'}, [(NOW_MS, -0.0), (NOW_MS + 1, 12345678901234567890.0)]),
    ]
    r = requests.post(metrics.url("metrics", "/api/v1/write"), data=snappy_write_request(series),
                      headers=REMOTE_WRITE_HEADERS, timeout=10)
    assert r.status_code == 204, r.text
    got = export(metrics)
    assert got[key(__name__="node_load1", instance="a", job="node")] == [(NOW_MS - 2000, 0.5), (NOW_MS - 1000, 0.75)]
    assert got[key(__name__="node_load1", instance="b", job="node")] == [(NOW_MS - 1000, 1e-300)]
    assert got[key(__name__="weird", v='quote" back\\ slash\nnl')][1] == (NOW_MS + 1, 12345678901234567890.0)
    # the /prometheus prefix serves the same API
    r = requests.get(metrics.url("metrics", "/prometheus/api/v1/export"), params={"match[]": "node_load1"}, timeout=10)
    assert r.status_code == 200 and r.text.count("\n") == 2


def test_out_of_order_and_duplicate_samples(metrics):
    lab = {"__name__": "ooo", "job": "x"}
    for samples in ([(NOW_MS, 3.0)], [(NOW_MS - 2000, 1.0)], [(NOW_MS - 1000, 2.0), (NOW_MS, 99.0)]):
        r = requests.post(metrics.url("metrics", "/api/v1/write"), data=snappy_write_request([(lab, samples)]),
                          headers=REMOTE_WRITE_HEADERS, timeout=10)
        assert r.status_code == 204
    assert export(metrics)[key(**lab)] == [(NOW_MS - 2000, 1.0), (NOW_MS - 1000, 2.0), (NOW_MS, 3.0)]


def test_malformed_remote_write_is_400_and_stores_nothing(metrics):
    good = snappy_write_request([({"__name__": "kept", "a": "1"}, [(NOW_MS, 1.0)])])
    assert requests.post(metrics.url("metrics", "/api/v1/write"), data=good, headers=REMOTE_WRITE_HEADERS,
                         timeout=10).status_code == 204
    # snappy that does not decode
    r = requests.post(metrics.url("metrics", "/api/v1/write"), data=b"\x20\x0e\xff\xff\xff\xff garbage",
                      headers=REMOTE_WRITE_HEADERS, timeout=10)
    assert r.status_code == 400 and "snappy" in r.text
    # valid snappy, protobuf truncated in the middle of the second series
    body = snappy_write_request([({"__name__": "partial", "a": "1"}, [(NOW_MS, 1.0)]),
                                 ({"__name__": "partial", "a": "2"}, [(NOW_MS, 2.0)])])
    raw = snappy.decompress(body)[:-5]
    r = requests.post(metrics.url("metrics", "/api/v1/write"), data=snappy.compress(raw),
                      headers=REMOTE_WRITE_HEADERS, timeout=10)
    assert r.status_code == 400, r.text
    got = export(metrics)
    assert key(__name__="kept", a="1") in got
    assert not any(dict(k).get("__name__") == "partial" for k in got)


def test_import_json_lines_round_trip(metrics):
    lines = [
        {"metric": {"__name__": "imp", "job": "j", "instance": "i1"}, "values": [1, 2.5, 3],
         "timestamps": [NOW_MS - 2000, NOW_MS - 1000, NOW_MS]},
        {"metric": {"__name__": "imp", "job": "j", "instance": "i2"}, "values": [7], "timestamps": [NOW_MS]},
    ]
    body = "\n".join(json.dumps(l) for l in lines) + "\n"
    r = requests.post(metrics.url("metrics", "/api/v1/import"), data=body, timeout=10)
    assert r.status_code == 204, r.text
    got = export(metrics, match="imp")
    assert got[key(__name__="imp", job="j", instance="i1")] == [(NOW_MS - 2000, 1), (NOW_MS - 1000, 2.5), (NOW_MS, 3)]
    assert got[key(__name__="imp", job="j", instance="i2")] == [(NOW_MS, 7)]
    # export output can be imported again unchanged (same format)
    r = requests.get(metrics.url("metrics", "/api/v1/export"), params={"match[]": "imp"}, timeout=10)
    again = requests.post(metrics.url("metrics", "/api/v1/import"), data=r.text, timeout=10)
    assert again.status_code == 204
    assert export(metrics, match="imp") == got


def test_import_prometheus_text_with_extra_label(metrics):
    text = (f"# HELP t_total A counter.\n# TYPE t_total counter\n"
            f't_total{{code="200"}} 10 {NOW_MS}\nt_gauge 3.5\n')
    r = requests.post(metrics.url("metrics", "/api/v1/import/prometheus"), data=text,
                      params={"extra_label": "job=pushed", "timestamp": str(NOW_MS)}, timeout=10)
    assert r.status_code == 204, r.text
    got = export(metrics, match='{job="pushed"}')
    assert got[key(__name__="t_total", code="200", job="pushed")] == [(NOW_MS, 10)]
    assert got[key(__name__="t_gauge", job="pushed")] == [(NOW_MS, 3.5)]


def test_influx_line_protocol(metrics):
    body = (f"cpu,host=a,region=eu usage=1.5,idle=2i,ok=true,msg=\"skip me\" {NOW_MS * 1000000}\n"
            f"mem,host=a used=10 {NOW_MS * 1000000}\n")
    r = requests.post(metrics.url("metrics", "/write"), data=body, params={"db": "telegraf"}, timeout=10)
    assert r.status_code == 204, r.text
    got = export(metrics, match='{db="telegraf"}')
    assert got[key(__name__="cpu_usage", host="a", region="eu", db="telegraf")] == [(NOW_MS, 1.5)]
    assert got[key(__name__="cpu_idle", host="a", region="eu", db="telegraf")] == [(NOW_MS, 2)]
    assert got[key(__name__="cpu_ok", host="a", region="eu", db="telegraf")] == [(NOW_MS, 1)]
    assert got[key(__name__="mem_used", host="a", db="telegraf")] == [(NOW_MS, 10)]
    assert not any(dict(k).get("__name__") == "cpu_msg" for k in got)


def test_malformed_text_inputs_get_400_with_message(metrics):
    r = requests.post(metrics.url("metrics", "/write"), data="cpu,host=a usage=notanumber\n", timeout=10)
    assert r.status_code == 400 and r.text.strip()
    r = requests.post(metrics.url("metrics", "/api/v1/import"), data='{"metric":{"__name__":"x"},"values":[1]\n',
                      timeout=10)
    assert r.status_code == 400 and r.text.strip()
    r = requests.post(metrics.url("metrics", "/api/v1/import/prometheus"), data='bad{metric="x" 1\n', timeout=10)
    assert r.status_code == 400 and r.text.strip()


def test_federate_returns_latest_sample(metrics):
    now = int(time.time() * 1000)
    series = [({"__name__": "fed", "job": "x"}, [(now - 2000, 1.0), (now - 1000, 2.0)])]
    requests.post(metrics.url("metrics", "/api/v1/write"), data=snappy_write_request(series),
                  headers=REMOTE_WRITE_HEADERS, timeout=10)
    r = requests.get(metrics.url("metrics", "/federate"), params={"match[]": "fed"}, timeout=10)
    assert r.status_code == 200
    assert r.text == f'fed{{job="x"}} 2 {now - 1000}\n'


def test_labels_series_and_status(metrics):
    series = [({"__name__": "m1", "job": "a", "instance": str(i)}, [(NOW_MS, float(i))]) for i in range(5)]
    series.append(({"__name__": "m2", "job": "b"}, [(NOW_MS, 1.0)]))
    requests.post(metrics.url("metrics", "/api/v1/write"), data=snappy_write_request(series),
                  headers=REMOTE_WRITE_HEADERS, timeout=10)
    r = requests.get(metrics.url("metrics", "/api/v1/labels"), timeout=10).json()
    assert r["status"] == "success" and r["data"] == ["__name__", "instance", "job"]
    r = requests.get(metrics.url("metrics", "/api/v1/label/job/values"), timeout=10).json()
    assert r["data"] == ["a", "b"]
    r = requests.get(metrics.url("metrics", "/api/v1/series"), params={"match[]": "m2"}, timeout=10).json()
    assert r["data"] == [{"__name__": "m2", "job": "b"}]
    r = requests.get(metrics.url("metrics", "/api/v1/series"), params={"match[]": "m2{"}, timeout=10)
    assert r.status_code == 400 and r.json()["errorType"] == "bad_data"
    st = requests.get(metrics.url("metrics", "/api/v1/status/tsdb"), params={"topN": 1}, timeout=10).json()
    assert st["status"] == "success"
    assert st["data"]["totalSeries"] == 6
    assert st["data"]["seriesCountByMetricName"] == [{"name": "m1", "value": 5}]


def test_delete_series_survives_restart():
    v = Vigil(only=["metrics"]).start()
    try:
        series = [({"__name__": "del_me", "k": "1"}, [(NOW_MS, 1.0)]), ({"__name__": "keep_me"}, [(NOW_MS, 2.0)])]
        requests.post(v.url("metrics", "/api/v1/write"), data=snappy_write_request(series),
                      headers=REMOTE_WRITE_HEADERS, timeout=10)
        r = requests.post(v.url("metrics", "/api/v1/admin/tsdb/delete_series"), params={"match[]": "del_me"},
                          timeout=10)
        assert r.status_code == 204
        assert set(export(v)) == {key(__name__="keep_me")}
        rc, _ = v.stop()
        assert rc == 0
        v.start()
        assert set(export(v)) == {key(__name__="keep_me")}
    finally:
        v.__exit__(None, None, None)


def test_acknowledged_writes_survive_kill_9():
    v = Vigil(only=["metrics"]).start()
    try:
        acked = []
        stop = threading.Event()

        def writer():
            i = 0
            s = requests.Session()
            while not stop.is_set() and i < 100000:
                batch = [({"__name__": "load", "w": str(j)}, [(NOW_MS + i, float(i))]) for j in range(20)]
                try:
                    r = s.post(v.url("metrics", "/api/v1/write"), data=snappy_write_request(batch),
                               headers=REMOTE_WRITE_HEADERS, timeout=5)
                except requests.RequestException:
                    return
                if r.status_code == 204:
                    acked.append(i)
                i += 1

        t = threading.Thread(target=writer)
        t.start()
        time.sleep(2.0)
        v.proc.send_signal(signal.SIGKILL)
        v.proc.wait()
        stop.set()
        t.join()
        assert len(acked) > 10
        v.start()
        got = export(v, match="load")
        for j in range(20):
            ts = {t for t, _ in got[key(__name__="load", w=str(j))]}
            missing = [i for i in acked if NOW_MS + i not in ts]
            assert not missing, (j, missing[:10])
    finally:
        v.__exit__(None, None, None)


@pytest.mark.skipif(not shutil.which("prometheus") or not os.path.exists("/usr/bin/prometheus-node-exporter"),
                    reason="needs Debian's prometheus and prometheus-node-exporter")
def test_prometheus_remote_write_matches_prometheus_own_data(metrics):
    tmp = tempfile.mkdtemp(prefix="vigil-prom-")
    ne_port, prom_port = free_port(), free_port()
    ne = subprocess.Popen(["/usr/bin/prometheus-node-exporter", f"--web.listen-address=127.0.0.1:{ne_port}",
                           "--collector.disable-defaults", "--collector.cpu", "--collector.meminfo",
                           "--collector.loadavg", "--collector.filesystem", "--collector.netdev"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cfg = os.path.join(tmp, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write(f"""global:
  scrape_interval: 1s
scrape_configs:
  - job_name: node
    static_configs: [{{targets: ["127.0.0.1:{ne_port}"]}}]
remote_write:
  - url: {metrics.url("metrics", "/api/v1/write")}
    queue_config: {{batch_send_deadline: 1s, max_samples_per_send: 2000}}
""")
    prom = subprocess.Popen(["prometheus", f"--config.file={cfg}", f"--storage.tsdb.path={tmp}/data",
                             f"--web.listen-address=127.0.0.1:{prom_port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(15)
        # Prometheus' raw samples of every node-job series over the last minute.
        r = requests.get(f"http://127.0.0.1:{prom_port}/api/v1/query",
                         params={"query": '{job="node"}[1m]'}, timeout=10).json()
        assert r["status"] == "success"
        want = {}
        for s in r["data"]["result"]:
            want[tuple(sorted(s["metric"].items()))] = [(int(round(float(t) * 1000)), v) for t, v in s["values"]]
        assert len(want) > 50
        deadline = time.time() + 30
        while True:
            got = export(metrics, match='{job="node"}')
            missing = []
            for k, samples in want.items():
                have = dict(got.get(k, []))
                for t, val in samples:
                    if t not in have:
                        missing.append((k, t))
                    else:
                        g = have[t]
                        if val == "NaN":
                            assert g == "NaN" or (isinstance(g, float) and math.isnan(g))
                        else:
                            assert float(g) == float(val), (k, t, g, val)
            if not missing or time.time() > deadline:
                break
            time.sleep(1)
        assert not missing, missing[:5]
    finally:
        prom.terminate()
        ne.terminate()
        prom.wait(timeout=30)
        ne.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


def test_promql_query_and_query_range(metrics):
    base = NOW_MS - 600_000
    series = [({"__name__": "http_requests_total", "job": "api", "instance": str(i)},
               [(base + k * 15_000, float(k * 10 * (i + 1))) for k in range(41)]) for i in range(3)]
    r = requests.post(metrics.url("metrics", "/api/v1/write"), data=snappy_write_request(series),
                      headers=REMOTE_WRITE_HEADERS, timeout=10)
    assert r.status_code == 204
    t = (base + 40 * 15_000) / 1000
    r = requests.get(metrics.url("metrics", "/api/v1/query"),
                     params={"query": "sum by (job) (rate(http_requests_total[1m]))", "time": t}, timeout=10).json()
    assert r["status"] == "success" and r["data"]["resultType"] == "vector"
    (res,) = r["data"]["result"]
    assert res["metric"] == {"job": "api"}
    assert res["value"][0] == t
    assert abs(float(res["value"][1]) - (10 + 20 + 30) / 15) < 1e-9
    r = requests.post(metrics.url("metrics", "/api/v1/query_range"),
                      data={"query": 'http_requests_total{instance="0"}', "start": t - 60, "end": t, "step": "15s"},
                      timeout=10).json()
    assert r["data"]["resultType"] == "matrix"
    (res,) = r["data"]["result"]
    assert [float(v) for _, v in res["values"]] == [360.0, 370.0, 380.0, 390.0, 400.0]
    # errors in Prometheus' shape
    r = requests.get(metrics.url("metrics", "/api/v1/query"), params={"query": "sum(("}, timeout=10)
    assert r.status_code == 400 and r.json()["errorType"] == "bad_data"
    r = requests.get(metrics.url("metrics", "/api/v1/query_range"),
                     params={"query": "up", "start": 10, "end": 0, "step": 1}, timeout=10)
    assert r.status_code == 400 and "end timestamp must not be before start time" in r.json()["error"]
    r = requests.get(metrics.url("metrics", "/api/v1/query_range"),
                     params={"query": "up", "start": 0, "end": 100000, "step": 1}, timeout=10)
    assert r.status_code == 400 and "11,000 points" in r.json()["error"]


def test_query_api_extras_and_series_limit():
    with Vigil(only=["metrics"], extra_args=["--set", "metrics.max_query_series=2"]) as v:
        series = [({"__name__": "lim", "i": str(i)}, [(NOW_MS, float(i))]) for i in range(3)]
        requests.post(v.url("metrics", "/api/v1/write"), data=snappy_write_request(series),
                      headers=REMOTE_WRITE_HEADERS, timeout=10)
        r = requests.get(v.url("metrics", "/api/v1/query"), params={"query": "lim", "time": NOW_MS / 1000},
                         timeout=10)
        assert r.status_code == 422 and r.json()["errorType"] == "execution"
        assert "max_query_series" in r.json()["error"]
        r = requests.get(v.url("metrics", "/api/v1/query"), params={"query": "sum(lim)", "time": NOW_MS / 1000},
                         timeout=10).json()
        assert r["data"]["result"][0]["value"][1] == "3"
        r = requests.get(v.url("metrics", "/api/v1/format_query"), params={"query": "sum(rate(x{a='b'}[5m]))by(c)"},
                         timeout=10).json()
        assert r == {"status": "success", "data": 'sum by (c) (rate(x{a="b"}[5m]))'}
        assert requests.get(v.url("metrics", "/api/v1/metadata"), timeout=10).json() == {"status": "success",
                                                                                          "data": {}}
        assert requests.get(v.url("metrics", "/api/v1/query_exemplars"), params={"query": "lim"},
                            timeout=10).json() == {"status": "success", "data": []}
        r = requests.get(v.url("metrics", "/api/v1/status/buildinfo"), timeout=10).json()
        assert r["status"] == "success" and r["data"]["version"]
