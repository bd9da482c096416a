"""The traces component (VictoriaTraces' role): the OpenTelemetry JavaScript
SDK sends a known span tree over OTLP/HTTP protobuf and JSON, and the Jaeger
query API gives the same tree back; bad bodies are refused in OTLP's format;
PostgreSQL's duration log lines, shipped into the logs component, come out as
spans."""

import datetime
import gzip
import json
import os
import re
import subprocess
import time

import pytest
import requests

from conftest import Vigil
from test_cmdb import PG_BIN, Postgres

API = "/select/jaeger/api"


@pytest.fixture(scope="module")
def traces():
    with Vigil(only=["traces"]) as v:
        yield v


def send_tree(otel_js, url, encoding):
    r = subprocess.run(["node", "send_spans.js", url, encoding], cwd=otel_js, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def get(v, path, **params):
    r = requests.get(v.url("traces", API + path), params=params, timeout=10)
    return r


def tags_of(span):
    return {t["key"]: t["value"] for t in span["tags"]}


def assert_same_tree(trace, sent):
    spans = {s["spanID"]: s for s in trace["spans"]}
    assert set(spans) == {s["spanId"] for s in sent}
    for want in sent:
        got = spans[want["spanId"]]
        assert got["traceID"] == want["traceId"]
        assert got["operationName"] == want["name"]
        assert trace["processes"][got["processID"]]["serviceName"] == want["service"]
        process_tags = {t["key"]: t["value"] for t in trace["processes"][got["processID"]]["tags"]}
        assert process_tags["host.name"] == "node-1" and process_tags["deployment.env"] == "test"
        assert got["startTime"] == want["startMs"] * 1000
        assert got["duration"] == want["durationMs"] * 1000
        parents = [r for r in got["references"] if r["refType"] == "CHILD_OF"]
        if want["parent"]:
            assert parents == [{"refType": "CHILD_OF", "traceID": want["traceId"], "spanID": want["parent"]}]
        else:
            assert parents == []
        tags = tags_of(got)
        for k, val in want["attributes"].items():
            assert tags[k] == val, (k, tags)
        assert tags["span.kind"] == want["kind"]
        if "error" in want:
            assert tags["error"] == "true"
            assert tags["otel.status_description"] == want["error"]
        else:
            assert "error" not in tags
        if "event" in want:
            (log,) = got["logs"]
            assert log["timestamp"] == want["event"]["timeMs"] * 1000
            fields = {f["key"]: f["value"] for f in log["fields"]}
            assert fields == {"event": want["event"]["name"], "key": want["event"]["key"]}
        if "link" in want:
            follows = [r for r in got["references"] if r["refType"] == "FOLLOWS_FROM"]
            assert [r["spanID"] for r in follows] == [want["link"]]


@pytest.mark.parametrize("encoding,path", [("proto", "/insert/opentelemetry/v1/traces"), ("json", "/v1/traces")])
def test_js_sdk_span_tree_comes_back_from_the_jaeger_api_unchanged(traces, otel_js, encoding, path):
    sent = send_tree(otel_js, traces.url("traces", path), encoding)
    trace_id = sent[0]["traceId"]
    r = get(traces, f"/traces/{trace_id}")
    assert r.status_code == 200, r.text
    (trace,) = r.json()["data"]
    assert trace["traceID"] == trace_id
    assert_same_tree(trace, sent)
    # The same after the head is flushed into a part (about once a second).
    time.sleep(1.5)
    (trace,) = get(traces, f"/traces/{trace_id.upper()}").json()["data"]
    assert_same_tree(trace, sent)

    services = get(traces, "/services").json()
    assert {f"shop-{encoding}", f"stock-{encoding}"} <= set(services["data"])
    assert services["total"] == len(services["data"])
    ops = get(traces, f"/services/shop-{encoding}/operations").json()["data"]
    assert ops == ["checkout", "db.query", "render"]
    kinds = get(traces, "/operations", service=f"shop-{encoding}", spanKind="client").json()["data"]
    assert kinds == [{"name": "db.query", "spanKind": "client"}]


def test_search_filters_by_operation_duration_and_tags(traces, otel_js):
    sent = send_tree(otel_js, traces.url("traces", "/v1/traces"), "json")
    trace_id = sent[0]["traceId"]
    now_us = int(time.time() * 1e6)
    window = {"start": now_us - 600_000_000, "end": now_us + 1_000_000}

    def ids(**params):
        r = get(traces, "/traces", **{**window, **params})
        assert r.status_code == 200, r.text
        return [t["traceID"] for t in r.json()["data"]]

    assert trace_id in ids(service="shop-json")
    assert trace_id in ids(service="shop-json", operation="db.query", minDuration="250ms", maxDuration="1s")
    assert trace_id not in ids(service="shop-json", operation="db.query", minDuration="301ms")
    assert trace_id in ids(service="shop-json", tags=json.dumps({"db.system": "postgresql", "db.rows": "42"}))
    assert trace_id not in ids(service="shop-json", tags=json.dumps({"db.system": "mysql"}))
    assert trace_id in ids(service="stock-json", tags=json.dumps({"error": "true"}))
    assert trace_id not in ids(service="shop-json", tags=json.dumps({"error": "true"}))
    assert trace_id in ids(service="shop-json", tags=json.dumps({"deployment.env": "test"}))  # a resource attribute
    # A search returns whole traces: the stock service's span is in the shop search result.
    r = get(traces, "/traces", service="shop-json", operation="render", **window).json()
    (found,) = [t for t in r["data"] if t["traceID"] == trace_id]
    assert len(found["spans"]) == 4
    assert ids(service="shop-json", limit=1) == [ids(service="shop-json")[0]]
    # Outside the time window: nothing.
    assert trace_id not in ids(service="shop-json", start=1, end=2)

    deps = get(traces, "/dependencies", endTs=int(time.time() * 1000), lookback=3600_000).json()["data"]
    assert {"parent": "shop-json", "child": "stock-json", "callCount": deps[0]["callCount"]} in deps
    assert all(d["callCount"] >= 1 for d in deps)


def test_unknown_trace_is_404_and_bad_parameters_are_400(traces):
    r = get(traces, "/traces/0123456789abcdef0123456789abcdef")
    assert r.status_code == 404
    assert r.json()["errors"][0]["msg"] == "trace not found"
    assert get(traces, "/traces/not-hex").status_code == 400
    r = get(traces, "/traces")
    assert r.status_code == 400 and "service" in r.json()["errors"][0]["msg"]
    assert get(traces, "/traces", service="x", minDuration="fast").status_code == 400
    assert get(traces, "/traces", service="x", tags="{not json").status_code == 400


def now_ns():
    return time.time_ns()


def json_span(trace_id, span_id, name="op"):
    return {"traceId": trace_id, "spanId": span_id, "name": name,
            "startTimeUnixNano": str(now_ns() - 1000), "endTimeUnixNano": str(now_ns())}


def otlp_json(spans, service="bad-input"):
    return {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name",
                                                              "value": {"stringValue": service}}]},
                               "scopeSpans": [{"spans": spans}]}]}


def metric(v, name, label):
    """The value of the series of `name` that has `label` (k="v") among its labels."""
    text = requests.get(v.url("traces", "/metrics"), timeout=5).text
    m = re.search(rf"^{re.escape(name)}{{[^}}]*{re.escape(label)}[^}}]*}} (\S+)$", text, re.M)
    return float(m.group(1)) if m else 0.0


def test_malformed_bodies_get_400_in_the_request_encoding(traces):
    url = traces.url("traces", "/v1/traces")
    r = requests.post(url, data=b"\x0a\xff\xff\xff", headers={"Content-Type": "application/x-protobuf"}, timeout=5)
    assert r.status_code == 400
    assert r.headers["Content-Type"] == "application/x-protobuf"
    assert b"cannot unmarshal OTLP ExportTraceServiceRequest" in r.content
    r = requests.post(url, data=b'{"resourceSpans": [', headers={"Content-Type": "application/json"}, timeout=5)
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == 3 and "cannot parse OTLP/JSON" in body["message"]
    r = requests.post(url, data=b"x", headers={"Content-Type": "text/plain"}, timeout=5)
    assert r.status_code == 415


def test_spans_with_missing_ids_are_rejected_counted_and_the_rest_stored(traces):
    before = metric(traces, "vt_spans_rejected_total", 'reason="invalid"')
    good = "ab" * 16
    body = otlp_json([json_span(good, "cd" * 8), {"spanId": "01" * 8, "name": "no-trace"},
                      json_span("00" * 16, "02" * 8), json_span(good, "")])
    raw = gzip.compress(json.dumps(body).encode())
    r = requests.post(traces.url("traces", "/insert/opentelemetry/v1/traces"), data=raw,
                      headers={"Content-Type": "application/json", "Content-Encoding": "gzip"}, timeout=5)
    assert r.status_code == 200, r.text
    partial = r.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "3"
    assert "span without trace_id" in partial["errorMessage"]
    assert metric(traces, "vt_spans_rejected_total", 'reason="invalid"') == before + 3
    (trace,) = get(traces, f"/traces/{good}").json()["data"]
    assert [s["spanID"] for s in trace["spans"]] == ["cd" * 8]
    # A fully accepted request answers an empty ExportTraceServiceResponse.
    r = requests.post(traces.url("traces", "/v1/traces"), json=otlp_json([json_span("ef" * 16, "12" * 8)]),
                      timeout=5)
    assert r.status_code == 200 and r.json() == {}


# ------------------------------------------------------------- slow SQL

class LoggingPostgres(Postgres):
    """PostgreSQL logging every statement's duration to its log file."""

    def start(self):
        self.run(f"{PG_BIN}/initdb", "-D", self.data, "-U", "vigil", "--auth=trust", "-E", "UTF8", "--no-locale")
        self.log_path = os.path.join(self.dir, "log")
        self.run(f"{PG_BIN}/pg_ctl", "-D", self.data, "-l", self.log_path, "-w", "-t", "60",
                 "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                       "-c log_min_duration_statement=0 -c log_timezone=UTC", "start")
        return self


LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) UTC \[\d+\] (.*)$")


def ship_log(v, path):
    """What Vector does for Pigsty: each log line into the logs component,
    with its time and the instance label."""
    docs = []
    with open(path) as f:
        for line in f:
            m = LINE.match(line.rstrip("\n"))
            if not m:
                continue
            ts = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").replace(
                tzinfo=datetime.timezone.utc)
            docs.append(json.dumps({"_time": ts.isoformat(), "_msg": m.group(2), "ins": "pg-test-1",
                                    "db": "postgres", "user": "vigil"}))
    r = requests.post(v.url("logs", "/insert/jsonline"), params={"_stream_fields": "ins"},
                      data="\n".join(docs) + "\n", timeout=10)
    assert r.status_code == 200, r.text
    return len(docs)


def test_pg_sleep_statements_logged_by_postgres_appear_as_spans_with_their_durations():
    if not os.path.exists(f"{PG_BIN}/initdb"):
        pytest.skip("PostgreSQL 15 not installed (Debian package postgresql)")
    pg = LoggingPostgres().start()
    try:
        for sql in ["SELECT pg_sleep(0.25)", "select pg_sleep(0.6), 'x'"]:
            pg.psql(sql)
        time.sleep(0.2)
        with Vigil(only=["logs", "traces"], extra_args=["--set", "traces.slow_sql_from_logs=true"]) as v:
            assert ship_log(v, pg.log_path) > 0
            deadline = time.time() + 20
            ops = []
            while time.time() < deadline:
                r = get(v, "/services/postgres%2Fpg-test-1/operations")
                if r.status_code == 200:
                    ops = r.json()["data"]
                if "SELECT pg_sleep(?)" in ops and "select pg_sleep(?), ?" in ops:
                    break
                time.sleep(0.5)
            assert "SELECT pg_sleep(?)" in ops and "select pg_sleep(?), ?" in ops, (ops, v.read_log())
            assert "postgres/pg-test-1" in get(v, "/services").json()["data"]
            for op, seconds in [("SELECT pg_sleep(?)", 0.25), ("select pg_sleep(?), ?", 0.6)]:
                r = get(v, "/traces", service="postgres/pg-test-1", operation=op)
                (trace,) = r.json()["data"]
                (span,) = trace["spans"]
                tags = tags_of(span)
                # The span lasts what PostgreSQL measured (to the microsecond), at least the sleep.
                logged_ms = float(re.search(r"duration: ([\d.]+) ms", open(pg.log_path).read().split(
                    tags["db.statement"])[0].splitlines()[-1]).group(1))
                assert abs(span["duration"] - logged_ms * 1000) <= 1
                assert seconds * 1e6 <= span["duration"] < seconds * 1e6 + 500_000
                assert tags["db.system"] == "postgresql" and tags["db.user"] == "vigil" and tags["db.name"] == "postgres"
            # Rows are read once: a later poll adds no duplicates.
            time.sleep(2.5)
            r = get(v, "/traces", service="postgres/pg-test-1", operation="SELECT pg_sleep(?)")
            assert len(r.json()["data"]) == 1
    finally:
        pg.stop()
