"""The logs component (VictoriaLogs' role): the same Pigsty-shaped logs sent
through /insert/jsonline (as Pigsty's Vector sends them), the Elasticsearch
bulk API and the Loki push API (JSON and protobuf+snappy) read back as the
same rows; LogsQL queries and the other /select/logsql endpoints; durability
across restarts and kill -9; bad input."""

import datetime
import gzip
import json
import signal
import subprocess
import threading
import time

import pytest
import requests
import snappy

from conftest import Vigil, run_vigil

NOW_NS = time.time_ns() // 1_000_000_000 * 1_000_000_000

# Pigsty-shaped lines: syslog, PostgreSQL CSV log, Nginx access; streams job,ins,ip.
LINES = [
    ("syslog", "node-1", "10.10.10.10", "sshd[811]: Accepted publickey for admin from 10.10.10.1 port 52330"),
    ("syslog", "node-1", "10.10.10.10", "kernel: Out of memory: Killed process 4242 (postgres)"),
    ("pgsql", "pg-meta-1", "10.10.10.10",
     '2026-11-27 10:00:00.123 UTC,"dbuser_meta","meta",1234,"10.10.10.1:5432",65f,1,"SELECT",'
     '2026-11-27 10:00:00 UTC,3/1,0,LOG,00000,"duration: 1002.5 ms  statement: select pg_sleep(1)"'),
    ("pgsql", "pg-test-1", "10.10.10.11", "ERROR:  relation \"missing_table\" does not exist"),
    ("nginx", "infra-1", "10.10.10.10",
     '10.10.10.1 - - [27/Nov/2026:10:00:00 +0000] "GET /ui/ HTTP/1.1" 200 512 "-" "curl/7.88"'),
]


def docs():
    """The lines as Vector's JSON documents, one nanosecond apart."""
    out = []
    for i, (job, ins, ip, msg) in enumerate(LINES):
        out.append({"message": msg, "_time": str(NOW_NS + i), "job": job, "ins": ins, "ip": ip,
                    "timestamp": "dropped", "file": "/var/log/x", "seq": str(i)})
    return out


PIGSTY_HEADERS = {"VL-Stream-Fields": "job,ins,ip", "VL-Msg-Field": "message", "VL-Time-Field": "_time",
                  "VL-Ignore-Fields": "timestamp,file", "AccountID": "0", "ProjectID": "0"}


def query(v, q, **params):
    r = requests.post(v.url("logs", "/select/logsql/query"), data={"query": q, **params}, timeout=30)
    assert r.status_code == 200, r.text
    return [json.loads(line) for line in r.text.splitlines()]


def rows_by_seq(rows):
    """Rows keyed by `seq`, without the ingestion-dependent fields."""
    return {r["seq"]: {k: v for k, v in r.items() if k not in ("_stream_id",)} for r in rows}


def send_jsonline(v, documents):
    body = gzip.compress("".join(json.dumps(d) + "\n" for d in documents).encode())
    r = requests.post(v.url("logs", "/insert/jsonline"), data=body,
                      headers={**PIGSTY_HEADERS, "Content-Encoding": "gzip"}, timeout=10)
    assert r.status_code == 200, r.text


def send_bulk(v, documents):
    body = "".join(json.dumps({"create": {"_index": "logs"}}) + "\n" + json.dumps(d) + "\n" for d in documents)
    r = requests.post(v.url("logs", "/insert/elasticsearch/_bulk"), data=body, params={
        "_stream_fields": "job,ins,ip", "_msg_field": "message", "_time_field": "_time",
        "ignore_fields": "timestamp,file"}, timeout=10)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["errors"] is False and len(answer["items"]) == len(documents)


def loki_streams(documents):
    streams = {}
    for d in documents:
        labels = {"job": d["job"], "ins": d["ins"], "ip": d["ip"]}
        streams.setdefault(tuple(sorted(labels.items())), []).append(d)
    return streams


def send_loki_json(v, documents):
    body = {"streams": [{"stream": dict(k), "values": [[d["_time"], d["message"], {"seq": d["seq"]}] for d in ds]}
                        for k, ds in loki_streams(documents).items()]}
    r = requests.post(v.url("logs", "/insert/loki/api/v1/push"), json=body, timeout=10)
    assert r.status_code == 204, r.text


def pb_varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def pb_bytes(field, payload):
    if isinstance(payload, str):
        payload = payload.encode()
    return pb_varint(field << 3 | 2) + pb_varint(len(payload)) + payload


def send_loki_protobuf(v, documents):
    """A Loki PushRequest as promtail sends it: protobuf, snappy block, no Content-Encoding."""
    body = b""
    for k, ds in loki_streams(documents).items():
        labels = "{" + ", ".join(f'{n}="{val}"' for n, val in k) + "}"
        stream = pb_bytes(1, labels)
        for d in ds:
            ts = int(d["_time"])
            stamp = pb_varint(1 << 3) + pb_varint(ts // 10**9) + pb_varint(2 << 3) + pb_varint(ts % 10**9)
            entry = pb_bytes(1, stamp) + pb_bytes(2, d["message"]) + pb_bytes(3, pb_bytes(1, "seq") + pb_bytes(2, d["seq"]))
            stream += pb_bytes(2, entry)
        body += pb_bytes(1, stream)
    r = requests.post(v.url("logs", "/insert/loki/api/v1/push"), data=snappy.compress(body),
                      headers={"Content-Type": "application/x-protobuf"}, timeout=10)
    assert r.status_code == 204, r.text


@pytest.fixture
def logs():
    with Vigil(only=["logs"]) as v:
        yield v


@pytest.mark.parametrize("sender", [send_jsonline, send_bulk, send_loki_json, send_loki_protobuf])
def test_every_ingestion_api_stores_the_same_rows(logs, sender):
    sender(logs, docs())
    got = rows_by_seq(query(logs, "*"))
    assert sorted(got) == [str(i) for i in range(len(LINES))]
    for i, (job, ins, ip, msg) in enumerate(LINES):
        row = got[str(i)]
        assert row["_msg"] == msg
        assert row["_stream"] == f'{{ins="{ins}",ip="{ip}",job="{job}"}}'
        assert row["job"] == job and row["ins"] == ins and row["ip"] == ip
        ns = NOW_NS + i
        frac = f".{ns % 10**9:09d}".rstrip("0").rstrip(".")
        assert row["_time"] == time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 10**9)) + frac + "Z"
        assert "timestamp" not in row and "file" not in row and "message" not in row


def test_logsql_filters_pipes_and_select_endpoints(logs):
    send_jsonline(logs, docs())
    assert [r["seq"] for r in query(logs, "publickey")] == ["0"]
    assert sorted(r["seq"] for r in query(logs, '_stream:{job="pgsql"}')) == ["2", "3"]
    assert sorted(r["seq"] for r in query(logs, '{job=~"sys.*|nginx"} -kernel')) == ["0", "4"]
    assert [r["seq"] for r in query(logs, '"does not exist" ins:pg-test-1')] == ["3"]
    assert [r["seq"] for r in query(logs, "*", limit=1)] == ["4"]  # the newest
    counts = query(logs, "* | stats by (job) count() as n | sort by (job)")
    assert counts == [{"job": "nginx", "n": "1"}, {"job": "pgsql", "n": "2"}, {"job": "syslog", "n": "2"}]
    extracted = query(logs, 'duration | extract "duration: <ms> ms" | fields ms')
    assert extracted == [{"ms": "1002.5"}]

    base = logs.url("logs", "/select/logsql")
    hits = requests.get(base + "/hits", params={"query": "*", "step": "1h", "field": "job"}, timeout=10).json()
    assert sorted((h["fields"]["job"], h["total"]) for h in hits["hits"]) == [("nginx", 1), ("pgsql", 2), ("syslog", 2)]
    values = requests.get(base + "/field_values", params={"query": "*", "field": "job"}, timeout=10).json()
    assert values["values"][0] == {"value": "pgsql", "hits": 2} or values["values"][0] == {"value": "syslog", "hits": 2}
    names = {v["value"] for v in requests.get(base + "/field_names", params={"query": "*"}, timeout=10).json()["values"]}
    assert {"_msg", "_time", "_stream", "job", "ins", "ip", "seq"} <= names
    streams = requests.get(base + "/streams", params={"query": "*"}, timeout=10).json()["values"]
    assert len(streams) == 4
    sfn = requests.get(base + "/stream_field_names", params={"query": "*"}, timeout=10).json()["values"]
    assert sorted(v["value"] for v in sfn) == ["ins", "ip", "job"]
    sfv = requests.get(base + "/stream_field_values", params={"query": "*", "field": "job"}, timeout=10).json()
    assert {v["value"]: v["hits"] for v in sfv["values"]} == {"syslog": 2, "pgsql": 2, "nginx": 1}
    stats = requests.get(base + "/stats_query", params={"query": "* | stats by (job) count() as logs"}, timeout=10).json()
    assert stats["status"] == "success" and stats["data"]["resultType"] == "vector"
    assert {r["metric"]["job"]: r["value"][1] for r in stats["data"]["result"]} == {"syslog": "2", "pgsql": "2", "nginx": "1"}
    assert all(r["metric"]["__name__"] == "logs" for r in stats["data"]["result"])
    rng = requests.get(base + "/stats_query_range", params={"query": "* | stats count() as logs", "start": "1h",
                                                            "step": "1h"}, timeout=10).json()
    assert rng["data"]["resultType"] == "matrix"
    assert sum(int(v[1]) for v in rng["data"]["result"][0]["values"]) == 5


def test_bad_queries_and_bodies_get_clear_errors(logs):
    r = requests.get(logs.url("logs", "/select/logsql/query"), params={"query": "foo and ("}, timeout=10)
    assert r.status_code == 400 and "position" in r.text
    r = requests.get(logs.url("logs", "/select/logsql/query"), timeout=10)
    assert r.status_code == 400 and "query" in r.text
    r = requests.get(logs.url("logs", "/select/logsql/stats_query"), params={"query": "*"}, timeout=10)
    assert r.status_code == 400 and "stats" in r.text
    r = requests.post(logs.url("logs", "/insert/jsonline"), data=b"not gzip", headers={"Content-Encoding": "gzip"}, timeout=10)
    assert r.status_code == 400
    r = requests.post(logs.url("logs", "/insert/loki/api/v1/push"), data=b"\x00garbage",
                      headers={"Content-Type": "application/x-protobuf"}, timeout=10)
    assert r.status_code == 400
    # A bad line and an overlong line are skipped; the good ones are stored and counted.
    body = '{"_msg":"good one"}\nnot json\n{"_msg":"' + "x" * (1 << 20) + '"}\n{"_msg":"good two"}\n'
    r = requests.post(logs.url("logs", "/insert/jsonline"), data=body, timeout=10)
    assert r.status_code == 200
    assert sorted(row["_msg"] for row in query(logs, "good")) == ["good one", "good two"]
    metrics = requests.get(logs.url("logs", "/metrics"), timeout=10).text
    assert 'vl_rows_dropped_total{component="logs",reason="bad_line"} 1' in metrics
    assert 'vl_rows_dropped_total{component="logs",reason="too_long"} 1' in metrics


def test_opentelemetry_sdk_logs_get_victorialogs_field_names(logs, otel_js):
    url = logs.url("logs", "/insert/opentelemetry/v1/logs")
    r = subprocess.run(["node", "send_logs.js", url], cwd=otel_js, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    sent = json.loads(r.stdout)
    rows = {row["severity_text"]: row for row in query(logs, "scope.name:shop-lib")}
    assert sorted(rows) == ["ERROR", "INFO", "WARN"]
    warn = rows["WARN"]
    assert warn["_msg"] == "payment retried" and warn["severity_number"] == "13"
    t0 = datetime.datetime.fromtimestamp(sent["t0"] // 1000, datetime.timezone.utc)
    fraction = f"{sent['t0'] % 1000:03d}".rstrip("0")  # RFC 3339 with trailing zeros trimmed, as VictoriaLogs
    assert warn["_time"] == t0.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if fraction else "") + "Z"
    # The resource is the stream; the scope and the attributes are fields, maps flattened, arrays as JSON.
    assert 'host.name="node-1"' in warn["_stream"] and 'service.name="checkout"' in warn["_stream"]
    assert warn["scope.version"] == "1.2.3" and warn["order.id"] == "o-17" and warn["attempt"] == "2"
    assert warn["ratio"] == "0.5" and warn["final"] == "false" and warn["http.method"] == "POST"
    assert json.loads(warn["tags"]) == ["a", "b"]
    # A map body becomes fields; the record then has no message, as in VictoriaLogs.
    assert rows["INFO"]["message"] == "cart saved" and rows["INFO"]["items"] == "3"
    assert rows["INFO"]["_msg"].startswith("missing _msg field")
    assert rows["ERROR"]["trace_id"] == sent["traceId"] and rows["ERROR"]["span_id"] == sent["spanId"]
    # VL-Msg-Field names the message of map bodies; VL-Stream-Fields replaces the resource as the stream.
    # (The SDK drops a query string from the URL; Vector and the collector send these headers too.)
    headers = json.dumps({"VL-Msg-Field": "message", "VL-Stream-Fields": "host.name"})
    r = subprocess.run(["node", "send_logs.js", url, headers], cwd=otel_js, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    again = query(logs, 'scope.name:shop-lib _stream:{host.name="node-1"} "cart saved"')
    assert len(again) == 1 and again[0]["_msg"] == "cart saved" and again[0]["_stream"] == '{host.name="node-1"}'
    # OTLP/JSON is refused as VictoriaLogs refuses it; an undecodable body is a 400 naming the problem.
    r = requests.post(url, data=b"{}", headers={"Content-Type": "application/json"}, timeout=10)
    assert r.status_code == 400 and "json encoding isn't supported" in r.text
    r = requests.post(url, data=b"\x0a\x05\x12", headers={"Content-Type": "application/x-protobuf"}, timeout=10)
    assert r.status_code == 400 and "cannot read OpenTelemetry protocol data" in r.text


def test_elasticsearch_clients_version_probe(logs):
    r = requests.get(logs.url("logs", "/insert/elasticsearch/"), timeout=10)
    assert r.status_code == 200 and r.json()["version"]["number"].startswith("8.")


def test_rows_survive_restart_and_kill_9():
    v = Vigil(only=["logs"])
    v.start()
    try:
        send_jsonline(v, docs())
        v.stop()
        v.start()
        assert len(query(v, "*")) == len(LINES)
        # kill -9 while a writer streams batches: every acknowledged batch survives.
        acked = []
        stop = threading.Event()

        def writer():
            i = 0
            while not stop.is_set():
                doc = {"_msg": f"batch {i}", "_time": str(NOW_NS + 1000 + i), "w": "kill"}
                try:
                    r = requests.post(v.url("logs", "/insert/jsonline"), data=json.dumps(doc), timeout=5)
                    if r.status_code == 200:
                        acked.append(i)
                except requests.RequestException:
                    return
                i += 1

        t = threading.Thread(target=writer)
        t.start()
        time.sleep(1.5)
        v.proc.send_signal(signal.SIGKILL)
        v.proc.wait()
        stop.set()
        t.join()
        assert len(acked) > 10
        v.start()
        got = {r["_msg"] for r in query(v, "w:kill")}
        missing = [i for i in acked if f"batch {i}" not in got]
        assert not missing, missing[:10]
        assert len(query(v, "-w:kill")) == len(LINES)
    finally:
        v.__exit__(None, None, None)


def test_vigil_logs_query_command_prints_rows(logs):
    send_jsonline(logs, docs())
    r = run_vigil("logs", "query", "--url", logs.url("logs", ""), "kernel")
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [row["seq"] for row in rows] == ["1"]
    r = run_vigil("logs", "query", "--url", logs.url("logs", ""), "bad (")
    assert r.returncode == 1 and "position" in r.stderr


def test_syslog_ng_ships_a_file_like_vector_does(tmp_path):
    """A real shipper: syslog-ng's http() destination posts batches of JSON
    lines to /insert/jsonline with VL-* headers, as Pigsty's Vector sink does."""
    source = tmp_path / "in.log"
    source.write_text("")
    with Vigil(only=["logs"]) as v:
        conf = tmp_path / "syslog-ng.conf"
        conf.write_text(f"""@version: 3.38
options {{ stats_freq(0); }};
source s_in {{ file("{source}" flags(no-parse) follow-freq(0.2)); }};
destination d_vl {{
  http(url("{v.url('logs', '/insert/jsonline')}") method("POST")
       headers("VL-Stream-Fields: job,ins", "VL-Msg-Field: message")
       body("$(format-json message=$MSG job=syslog ins=node-1)")
       batch-lines(50) batch-timeout(200));
}};
log {{ source(s_in); destination(d_vl); }};
""")
        shipper = subprocess.Popen(["syslog-ng", "-F", "-f", str(conf), f"--persist-file={tmp_path}/persist",
                                    f"--pidfile={tmp_path}/pid", f"--control={tmp_path}/ctl", "--no-caps"],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            time.sleep(1)
            with open(source, "a") as f:
                for i in range(200):
                    f.write(f"sshd[{i}]: Accepted publickey for admin line {i:03d}\n")
            deadline = time.time() + 20
            rows = []
            while time.time() < deadline:
                rows = query(v, "publickey")
                if len(rows) == 200:
                    break
                time.sleep(0.3)
            assert len(rows) == 200, (len(rows), shipper.poll())
            assert {r["_stream"] for r in rows} == {'{ins="node-1",job="syslog"}'}
            assert sorted(r["_msg"] for r in rows)[0] == "sshd[0]: Accepted publickey for admin line 000"
        finally:
            shipper.terminate()
            shipper.wait(timeout=10)


def test_live_tail_streams_new_rows_as_they_arrive(logs):
    """/select/logsql/tail: a chunked body that delivers rows ingested after it started."""
    send_jsonline(logs, [{"message": "before the tail", "_time": str(time.time_ns() - 60 * 10**9)}])
    r = requests.get(logs.url("logs", "/select/logsql/tail"),
                     params={"query": "tailme", "offset": "0s", "refresh_interval": "200ms", "start_offset": "1s"},
                     stream=True, timeout=20)
    assert r.status_code == 200 and r.headers.get("Transfer-Encoding") == "chunked"
    got = []

    def reader():
        for line in r.iter_lines():
            if line:
                got.append(json.loads(line))
            if len(got) >= 3:
                return

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    for i in range(3):
        time.sleep(0.3)
        requests.post(logs.url("logs", "/insert/jsonline"), data=json.dumps({"_msg": f"tailme {i}"}), timeout=10)
    t.join(timeout=15)
    r.close()
    assert [row["_msg"] for row in got] == ["tailme 0", "tailme 1", "tailme 2"]
    bad = requests.get(logs.url("logs", "/select/logsql/tail"), params={"query": "* | stats count()"}, timeout=10)
    assert bad.status_code == 400 and "tail" in bad.text


def test_large_query_answers_are_streamed_and_small_ones_sent_whole(logs):
    docs_ = [{"_msg": f"bulk row {i} " + "x" * 100, "n": str(i)} for i in range(20000)]
    r = requests.post(logs.url("logs", "/insert/jsonline"), data="\n".join(json.dumps(d) for d in docs_), timeout=30)
    assert r.status_code == 200
    big = requests.get(logs.url("logs", "/select/logsql/query"), params={"query": "bulk"}, stream=True, timeout=60)
    assert big.status_code == 200 and big.headers.get("Transfer-Encoding") == "chunked"
    rows = [json.loads(line) for line in big.iter_lines() if line]
    assert len(rows) == 20000 and len({r["n"] for r in rows}) == 20000
    printed = run_vigil("logs", "query", "--url", logs.url("logs", ""), "bulk", timeout=60)
    assert printed.returncode == 0, printed.stderr
    assert len(printed.stdout.splitlines()) == 20000
    small = requests.get(logs.url("logs", "/select/logsql/query"), params={"query": "bulk", "limit": "3"}, timeout=10)
    assert small.status_code == 200 and small.headers.get("Content-Length") and len(small.text.splitlines()) == 3
