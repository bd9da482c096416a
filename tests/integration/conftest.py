"""Harness for black-box tests: start the real `vigil` binary on free loopback
ports with a temporary data dir, wait for every component's /health, stop it.

The binary comes from $VIGIL_BIN (set by CTest), else build/release/vigil."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest
import requests

SOURCE_DIR = os.environ.get("VIGIL_SOURCE_DIR",
                            os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
VIGIL_BIN = os.environ.get("VIGIL_BIN", os.path.join(SOURCE_DIR, "build", "release", "vigil"))

# Components with an HTTP port of their own, and the key that sets it.
HTTP_COMPONENTS = {
    "portal": "listen",
    "metrics": "listen",
    "rules": "listen",
    "alertmanager": "listen",
    "logs": "listen",
    "traces": "listen",
    "probe": "listen",
    "ui": "listen",
    "cmdb": "listen",
    "dns": "http_listen",
    "ntp": "http_listen",
}


_handed_out = set()


def free_port(kind=socket.SOCK_STREAM):
    """A port that is free on 127.0.0.1 right now (TCP by default), never the
    same one twice in this test process: the kernel may offer a just-closed
    port again, and two components must not be given the same one."""
    while True:
        with socket.socket(socket.AF_INET, kind) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port


def free_udp_tcp_port():
    """A port free for both UDP and TCP on 127.0.0.1 right now (DNS binds
    both on one port), never handed out before in this test process."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                    t.bind(("127.0.0.1", port))
            except OSError:
                continue
        if port not in _handed_out:
            _handed_out.add(port)
            return port


def run_vigil(*args, timeout=30):
    """Runs a one-shot vigil command; returns CompletedProcess with text output."""
    return subprocess.run([VIGIL_BIN, *args], capture_output=True, text=True, timeout=timeout)


class Vigil:
    """One running `vigil serve` on loopback ports. Use as a context manager."""

    def __init__(self, extra_args=(), config_text=None, only=None, self_scrape=False):
        """self_scrape=False (the default here, not in vigil.yml) keeps the
        scraper from storing Vigil's own metrics, so that tests which count
        stored series see only what they wrote."""
        self.tmp = tempfile.TemporaryDirectory(prefix="vigil-it-")
        self.data_dir = os.path.join(self.tmp.name, "data")
        self.ports = {}
        self.args = ["serve", "--data-dir", self.data_dir]
        self.config_path = os.path.join(self.tmp.name, "vigil.yml")
        with open(self.config_path, "w") as f:
            f.write(config_text if config_text is not None else "# test config\n")
        self.args += ["--config", self.config_path]
        for comp, key in HTTP_COMPONENTS.items():
            port = free_port()
            self.ports[comp] = port
            self.args += ["--set", f"{comp}.{key}=127.0.0.1:{port}"]
        # Main protocol ports of non-HTTP components and the portal's TLS port.
        self.args += ["--set", f"dns.listen=127.0.0.1:{free_udp_tcp_port()}",
                      "--set", f"ntp.listen=127.0.0.1:{free_port(socket.SOCK_DGRAM)}",
                      "--set", f"portal.listen_https=127.0.0.1:{free_port()}"]
        if not self_scrape:
            self.args += ["--set", "scrape.self_scrape=false"]
        if only:
            self.args += ["--only", ",".join(only)]
            self.ports = {c: p for c, p in self.ports.items() if c in only}
        self.args += list(extra_args)
        self.log_path = os.path.join(self.tmp.name, "vigil.log")
        self.proc = None

    def url(self, component, path="/"):
        return f"http://127.0.0.1:{self.ports[component]}{path}"

    def start(self, wait=True):
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([VIGIL_BIN, *self.args], stdout=self.log, stderr=subprocess.STDOUT)
        if wait:
            self.wait_healthy()
        return self

    def wait_healthy(self, timeout=20):
        deadline = time.time() + timeout
        pending = dict(self.ports)
        while pending and time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"vigil exited with {self.proc.returncode}:\n{self.read_log()}")
            for comp, port in list(pending.items()):
                try:
                    r = requests.get(f"http://127.0.0.1:{port}/health", timeout=1)
                    if r.status_code == 200 and r.text == "OK":
                        del pending[comp]
                except requests.RequestException:
                    pass
            time.sleep(0.05)
        if pending:
            raise RuntimeError(f"not healthy after {timeout}s: {sorted(pending)}\n{self.read_log()}")

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=15):
        """SIGTERM and wait; returns (exit code, seconds taken)."""
        if self.proc is None or self.proc.poll() is not None:
            return (self.proc.returncode if self.proc else None, 0.0)
        t0 = time.time()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        return rc, time.time() - t0

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        self.log.close()
        self.tmp.cleanup()


@pytest.fixture
def vigil():
    """A running vigil with every component on free loopback ports."""
    with Vigil() as v:
        yield v


OTEL_JS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "otel-js")


@pytest.fixture(scope="session")
def otel_js():
    """The OpenTelemetry JavaScript SDK from npm (otel-js/), installed from its
    lockfile when a package it pins is missing; returns its directory."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node/npm not installed")
    modules = os.path.join(OTEL_JS, "node_modules", "@opentelemetry")
    if not all(os.path.isdir(os.path.join(modules, p)) for p in ("sdk-trace-base", "exporter-logs-otlp-proto")):
        r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=OTEL_JS, capture_output=True, text=True,
                           timeout=600)
        assert r.returncode == 0, r.stdout + r.stderr
    return OTEL_JS
