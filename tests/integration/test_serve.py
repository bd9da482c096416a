"""`vigil serve`: every component's port, self-metrics, signals, reload, limits."""

import gzip
import os
import signal
import socket
import subprocess
import time

import requests

from conftest import HTTP_COMPONENTS, VIGIL_BIN, Vigil, free_port


def test_every_component_answers_health(vigil):
    for comp in HTTP_COMPONENTS:
        for path in ("/health", "/-/healthy", "/-/ready"):
            r = requests.get(vigil.url(comp, path), timeout=5)
            assert r.status_code == 200, (comp, path)
            assert r.text == "OK"
        r = requests.head(vigil.url(comp, "/health"), timeout=5)
        assert r.status_code == 200 and r.text == ""


def test_metrics_pass_promtool_on_every_port(vigil):
    for comp in HTTP_COMPONENTS:
        requests.get(vigil.url(comp, "/health"), timeout=5)
        r = requests.get(vigil.url(comp, "/metrics"), timeout=5)
        assert r.status_code == 200
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        body = r.text
        for name in ("vigil_build_info", "process_cpu_seconds_total", "process_resident_memory_bytes",
                     "process_open_fds", "process_start_time_seconds", "vigil_http_requests_total",
                     "vigil_http_request_duration_seconds_bucket"):
            assert name in body, (comp, name)
        assert f'component="{comp}"' in body
        check = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True, text=True)
        assert check.returncode == 0, (comp, check.stdout, check.stderr)
        assert check.stdout.strip() == "" and check.stderr.strip() == "", (comp, check.stdout, check.stderr)


def test_request_counter_counts_by_route_and_code(vigil):
    for _ in range(3):
        requests.get(vigil.url("metrics", "/health"), timeout=5)
    requests.get(vigil.url("metrics", "/no/such/page"), timeout=5)
    body = requests.get(vigil.url("metrics", "/metrics"), timeout=5).text
    line = [l for l in body.splitlines()
            if l.startswith("vigil_http_requests_total{") and 'path="/health"' in l and 'code="200"' in l]
    assert line and float(line[0].split()[-1]) >= 3
    assert any('path="other"' in l and 'code="404"' in l for l in body.splitlines())


def test_404_and_405(vigil):
    r = requests.get(vigil.url("logs", "/nope"), timeout=5)
    assert r.status_code == 404
    r = requests.delete(vigil.url("logs", "/metrics"), timeout=5)
    assert r.status_code == 405
    assert "GET" in r.headers["Allow"]
    r = requests.options(vigil.url("logs", "/metrics"), timeout=5)
    assert r.status_code == 204 and "GET" in r.headers["Allow"]


def test_gzip_response_when_accepted(vigil):
    r = requests.get(vigil.url("metrics", "/metrics"), headers={"Accept-Encoding": "gzip"}, timeout=5, stream=True)
    assert r.headers.get("Content-Encoding") == "gzip"
    raw = r.raw.read()
    assert b"vigil_build_info" in gzip.decompress(raw)
    r = requests.get(vigil.url("metrics", "/metrics"), headers={"Accept-Encoding": "identity"}, timeout=5)
    assert "Content-Encoding" not in r.headers


def test_compressed_request_bodies_are_decoded(vigil):
    body = gzip.compress(b"x" * 1000)
    r = requests.post(vigil.url("metrics", "/-/reload"), data=body, headers={"Content-Encoding": "gzip"}, timeout=5)
    assert r.status_code == 200, r.text
    r = requests.post(vigil.url("metrics", "/-/reload"), data=b"not gzip at all",
                      headers={"Content-Encoding": "gzip"}, timeout=5)
    assert r.status_code == 400
    assert "gzip" in r.text
    r = requests.post(vigil.url("metrics", "/-/reload"), data=b"abc", headers={"Content-Encoding": "br"},
                      timeout=5)
    assert r.status_code == 415


def test_body_over_limit_gets_413():
    with Vigil(extra_args=["--set", "metrics.max_body_size=1KiB"], only=["metrics"]) as v:
        r = requests.post(v.url("metrics", "/-/reload"), data=b"y" * 5000, timeout=5)
        assert r.status_code == 413
        assert "limit" in r.text
        # a gzip bomb: small on the wire, too big decoded
        bomb = gzip.compress(b"\0" * 100000)
        assert len(bomb) < 1024
        r = requests.post(v.url("metrics", "/-/reload"), data=bomb, headers={"Content-Encoding": "gzip"},
                          timeout=5)
        assert r.status_code == 413
        # the server is unharmed
        assert requests.get(v.url("metrics", "/health"), timeout=5).text == "OK"


def test_sigterm_stops_gracefully_within_10s():
    v = Vigil(only=["metrics", "logs"]).start()
    try:
        # an idle keep-alive connection must not hold the shutdown up
        s = requests.Session()
        s.get(v.url("metrics", "/health"), timeout=5)
        rc, took = v.stop()
        assert rc == 0, v.read_log()
        assert took < 10
        assert "vigil stopped" in v.read_log()
    finally:
        v.__exit__(None, None, None)


def test_sigint_also_stops():
    v = Vigil(only=["ui"]).start()
    try:
        v.signal(signal.SIGINT)
        assert v.proc.wait(timeout=10) == 0
    finally:
        v.__exit__(None, None, None)


def test_sighup_with_bad_config_keeps_old():
    with Vigil(only=["metrics"]) as v:
        with open(v.config_path, "w") as f:
            f.write("metrics:\n  retention: [not, a, duration]\n")
        v.signal(signal.SIGHUP)
        deadline = time.time() + 10
        while "reload failed" not in v.read_log() and time.time() < deadline:
            time.sleep(0.05)
        log = v.read_log()
        assert "reload failed" in log
        assert ":2:14:" in log
        assert requests.get(v.url("metrics", "/health"), timeout=5).text == "OK"
        # a good config reloads
        with open(v.config_path, "w") as f:
            f.write("log: { level: debug }\n")
        v.signal(signal.SIGHUP)
        deadline = time.time() + 10
        while "config reloaded" not in v.read_log() and time.time() < deadline:
            time.sleep(0.05)
        assert "config reloaded" in v.read_log()


def test_http_reload_endpoint_reports_errors():
    with Vigil(only=["metrics"]) as v:
        assert requests.post(v.url("metrics", "/-/reload"), timeout=5).status_code == 200
        with open(v.config_path, "w") as f:
            f.write("nosuchsection: 1\n")
        r = requests.post(v.url("metrics", "/-/reload"), timeout=5)
        assert r.status_code == 400
        assert "nosuchsection" in r.text
        assert requests.get(v.url("metrics", "/health"), timeout=5).text == "OK"


def test_port_in_use_names_component_address_reason_and_key():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        v = Vigil(only=["metrics"], extra_args=["--set", f"metrics.listen=127.0.0.1:{port}"])
        v.start(wait=False)
        try:
            rc = v.proc.wait(timeout=15)
            assert rc != 0
            lines = [l for l in v.read_log().splitlines() if "cannot start" in l]
            assert len(lines) == 1
            line = lines[0]
            assert "metrics" in line and f"127.0.0.1:{port}" in line
            assert "in use" in line.lower()
            assert "metrics.listen" in line
        finally:
            v.__exit__(None, None, None)


def test_only_runs_the_named_components():
    with Vigil(only=["logs"]) as v:
        assert requests.get(v.url("logs", "/health"), timeout=5).text == "OK"
        log = v.read_log()
        assert "component=logs" in log
        assert "component=metrics" not in log


def test_bad_config_at_start_exits_2():
    v = Vigil(config_text="metrics:\n  enabled: 3\n")
    v.start(wait=False)
    try:
        assert v.proc.wait(timeout=15) == 2
        assert "vigil.yml:2:12" in v.read_log()
    finally:
        v.__exit__(None, None, None)
