"""probe component: /probe against Debian's prometheus-blackbox-exporter 0.23
with the same blackbox.yml (Pigsty's modules plus a few more) over loopback
targets this test starts: HTTP 200/500/redirect/endless redirect, HTTPS with a
certificate generated here, a closed port, a TCP banner server, 127.0.0.1 and
::1 for ICMP, and a DNS server over UDP and TCP."""

import http.server
import os
import shutil
import socket
import socketserver
import ssl
import struct
import subprocess
import tempfile
import threading
import time

import pytest
import requests

from conftest import Vigil, free_port, free_udp_tcp_port, run_vigil

BLACKBOX = shutil.which("prometheus-blackbox-exporter")
PIGSTY_BLACKBOX = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "pigsty", "roles", "infra",
                               "templates", "prometheus", "blackbox.yml")

EXTRA_MODULES = """
  http_no_redirect:
    prober: http
    http:
      follow_redirects: false
  http_body_regex:
    prober: http
    http:
      fail_if_body_not_matches_regexp: ["hello"]
  http_header_regex:
    prober: http
    http:
      fail_if_header_not_matches:
        - header: X-Probe
          regexp: "^yes$"
  http_tls:
    prober: http
    http:
      fail_if_not_ssl: true
      tls_config:
        ca_file: {ca}
  http_tls_untrusted:
    prober: http
  tcp_banner:
    prober: tcp
    timeout: 3s
    tcp:
      query_response:
        - expect: "^SSH-2.0-([a-z]+)"
        - send: "HELLO ${{1}}"
        - expect: "^OK"
  tcp_tls:
    prober: tcp
    tcp:
      tls: true
      tls_config:
        ca_file: {ca}
  dns_udp:
    prober: dns
    dns:
      query_name: example.test
      query_type: A
      preferred_ip_protocol: ip4
      validate_answer_rrs:
        fail_if_not_matches_regexp: ["example\\\\.test\\\\.\\t300\\tIN\\tA\\t10\\\\.0\\\\.0\\\\.1"]
  dns_tcp:
    prober: dns
    dns:
      query_name: example.test
      query_type: A
      transport_protocol: tcp
      preferred_ip_protocol: ip4
  dns_nxdomain:
    prober: dns
    dns:
      query_name: missing.test
      query_type: A
      preferred_ip_protocol: ip4
"""

pytestmark = pytest.mark.skipif(BLACKBOX is None, reason="prometheus-blackbox-exporter not installed")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _reply(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        if self.path.startswith("/ok"):
            self._reply(200, b"hello probe\n", [("X-Probe", "yes")])
        elif self.path.startswith("/err"):
            self._reply(500, b"broken\n")
        elif self.path.startswith("/redirect"):
            self._reply(302, b"", [("Location", "/ok")])
        elif self.path.startswith("/loop"):
            self._reply(302, b"", [("Location", "/loop")])
        else:
            self._reply(404, b"nope\n")

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        self.do_GET()


class ThreadedHTTP(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(server):
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    return server


class Banner(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(b"SSH-2.0-vigiltest\r\n")
        line = self.rfile.readline(1024)
        if line.strip() == b"HELLO vigiltest":
            self.wfile.write(b"OK\n")
        else:
            self.wfile.write(b"BAD\n")


class ThreadedTCP(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def dns_answer(query):
    """A reply to `query`: example.test A 10.0.0.1, NXDOMAIN for other names."""
    qid, _flags = struct.unpack(">HH", query[:4])
    i = 12
    labels = []
    while query[i] != 0:
        labels.append(query[i + 1:i + 1 + query[i]].decode())
        i += query[i] + 1
    question = query[12:i + 5]
    name = ".".join(labels).lower()
    if name == "example.test":
        answer = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 300, 4) + bytes([10, 0, 0, 1])
        return struct.pack(">HHHHHH", qid, 0x8580, 1, 1, 0, 0) + question + answer
    return struct.pack(">HHHHHH", qid, 0x8583, 1, 0, 0, 0) + question


class DnsUdp(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        sock.sendto(dns_answer(data), self.client_address)


class DnsTcp(socketserver.StreamRequestHandler):
    def handle(self):
        length = struct.unpack(">H", self.rfile.read(2))[0]
        reply = dns_answer(self.rfile.read(length))
        self.wfile.write(struct.pack(">H", len(reply)) + reply)


class ThreadedUDP(socketserver.ThreadingMixIn, socketserver.UDPServer):
    daemon_threads = True
    allow_reuse_address = True


def make_cert(directory):
    ca_key, ca = os.path.join(directory, "ca.key"), os.path.join(directory, "ca.pem")
    key, csr, cert = (os.path.join(directory, n) for n in ("srv.key", "srv.csr", "srv.pem"))
    ext = os.path.join(directory, "ext.cnf")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run = lambda *a: subprocess.run(a, check=True, capture_output=True)  # noqa: E731
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca, "-days", "2",
        "-subj", "/CN=vigil probe test CA")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=localhost")
    run("openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", cert,
        "-days", "2", "-extfile", ext)
    return ca, cert, key


@pytest.fixture(scope="module")
def world():
    tmp = tempfile.TemporaryDirectory(prefix="vigil-probe-")
    ca, cert, key = make_cert(tmp.name)
    servers = []
    plain = serve(ThreadedHTTP(("127.0.0.1", 0), Handler))
    tls = ThreadedHTTP(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    tls.socket = context.wrap_socket(tls.socket, server_side=True)
    serve(tls)
    banner = serve(ThreadedTCP(("127.0.0.1", 0), Banner))
    dns_port = free_udp_tcp_port()
    dns_udp = serve(ThreadedUDP(("127.0.0.1", dns_port), DnsUdp))
    dns_tcp = serve(ThreadedTCP(("127.0.0.1", dns_port), DnsTcp))
    servers += [plain, tls, banner, dns_udp, dns_tcp]
    with open(PIGSTY_BLACKBOX) as f:
        # Pigsty's file ends its YAML document with "...": append before it.
        pigsty = f.read().rstrip("\n")
        if pigsty.endswith("\n..."):
            pigsty = pigsty[:-4]
        config = pigsty + "\n" + EXTRA_MODULES.format(ca=ca)
    config_path = os.path.join(tmp.name, "blackbox.yml")
    with open(config_path, "w") as f:
        f.write(config)

    bb_port = free_port()
    bb_log = open(os.path.join(tmp.name, "blackbox.log"), "w")
    bb = subprocess.Popen([BLACKBOX, f"--config.file={config_path}", f"--web.listen-address=127.0.0.1:{bb_port}"],
                          stdout=bb_log, stderr=subprocess.STDOUT)
    v = Vigil(extra_args=["--set", f"probe.config_file={config_path}"], only=["probe"]).start()
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{bb_port}/-/healthy", timeout=1)
            break
        except requests.RequestException:
            time.sleep(0.05)
    w = {
        "http": f"127.0.0.1:{plain.server_address[1]}",
        "https": f"https://127.0.0.1:{tls.server_address[1]}",
        "tls_hostport": f"127.0.0.1:{tls.server_address[1]}",
        "banner": f"127.0.0.1:{banner.server_address[1]}",
        "closed": f"127.0.0.1:{free_port()}",
        "dns": f"127.0.0.1:{dns_port}",
        "blackbox": f"http://127.0.0.1:{bb_port}",
        "vigil": v,
        "config": config_path,
    }
    yield w
    v.stop()
    bb.terminate()
    bb.wait(timeout=10)
    bb_log.close()
    for s in servers:
        s.shutdown()
        s.server_close()
    tmp.cleanup()


def parse(text):
    """{(name, labels-without-values-for-info, label items): value}"""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        series, value = line.rsplit(" ", 1)
        if "{" in series:
            name, rest = series.split("{", 1)
            labels = []
            for part in rest.rstrip("}").split('",'):
                k, v = part.split("=", 1)
                labels.append((k, v.strip('"')))
        else:
            name, labels = series, []
        # Certificate details are formatted differently by Go and OpenSSL:
        # compare the label names of the leaf info, the values elsewhere.
        if name == "probe_ssl_last_chain_info":
            labels = [(k, "") for k, _ in labels]
        out[(name, tuple(sorted(labels)))] = float(value)
    return out


# Metrics whose values must agree, not just exist.
EXACT = {"probe_success", "probe_http_status_code", "probe_http_redirects", "probe_http_ssl", "probe_ip_protocol",
         "probe_ip_addr_hash", "probe_failed_due_to_regex", "probe_http_version", "probe_dns_answer_rrs",
         "probe_dns_authority_rrs", "probe_dns_query_succeeded", "probe_icmp_reply_hop_limit",
         "probe_http_uncompressed_body_length", "probe_ssl_earliest_cert_expiry"}

CASES = [
    # (module, target key or literal, path suffix)
    ("http_2xx", "http", "/ok"),
    ("http_2xx", "http", "/err"),
    ("http_2xx", "http", "/redirect"),
    ("http_2xx", "http", "/loop"),
    ("http_2xx", "closed", ""),
    ("http_post_2xx", "http", "/ok"),
    ("http_post_2xx", "http", "/redirect"),
    ("http_no_redirect", "http", "/redirect"),
    ("http_body_regex", "http", "/ok"),
    ("http_body_regex", "http", "/err"),
    ("http_header_regex", "http", "/ok"),
    ("http_header_regex", "http", "/redirect?x"),
    ("http_tls", "https", "/ok"),
    ("http_tls", "http", "/ok"),
    ("http_tls_untrusted", "https", "/ok"),
    ("tcp_connect", "http", ""),
    ("tcp_connect", "closed", ""),
    ("tcp_connect", "banner", ""),
    ("tcp_banner", "banner", ""),
    ("tcp_tls", "tls_hostport", ""),
    ("icmp", "127.0.0.1", ""),
    ("icmp", "::1", ""),
    ("icmp_ttl5", "localhost", ""),
    ("dns_udp", "dns", ""),
    ("dns_tcp", "dns", ""),
    ("dns_nxdomain", "dns", ""),
]


@pytest.mark.parametrize("module,target,suffix", CASES, ids=[f"{m}-{t}{s}" for m, t, s in CASES])
def test_probe_matches_blackbox_exporter(world, module, target, suffix):
    target = world.get(target, target) + suffix
    params = {"module": module, "target": target}
    theirs = requests.get(world["blackbox"] + "/probe", params=params, timeout=15)
    ours = requests.get(world["vigil"].url("probe", "/probe"), params=params, timeout=15)
    assert theirs.status_code == ours.status_code == 200, (theirs.text, ours.text)
    t, o = parse(theirs.text), parse(ours.text)
    assert sorted(o) == sorted(t), ours.text + "\n--- blackbox_exporter:\n" + theirs.text
    for key, value in t.items():
        if key[0] in EXACT:
            assert o[key] == value, f"{key}: vigil {o[key]} vs blackbox_exporter {value}\n{ours.text}"


@pytest.mark.parametrize("query,status,message", [
    ({"target": "127.0.0.1"}, None, None),  # defaults to http_2xx: a probe, not an error
    ({"module": "nope", "target": "x"}, 400, 'Unknown module "nope"\n'),
    ({"module": "icmp"}, 400, "Target parameter is missing\n"),
])
def test_bad_input_answers_like_blackbox_exporter(world, query, status, message):
    theirs = requests.get(world["blackbox"] + "/probe", params=query, timeout=15)
    ours = requests.get(world["vigil"].url("probe", "/probe"), params=query, timeout=15)
    assert ours.status_code == theirs.status_code
    if status is not None:
        assert ours.status_code == status
        assert ours.text == theirs.text == message
        assert ours.headers["Content-Type"] == theirs.headers["Content-Type"]


def test_unknown_module_is_counted(world):
    requests.get(world["vigil"].url("probe", "/probe"), params={"module": "missing", "target": "x"}, timeout=5)
    metrics = requests.get(world["vigil"].url("probe", "/metrics"), timeout=5).text
    line = [l for l in metrics.splitlines() if l.startswith("blackbox_module_unknown_total")]
    assert line and float(line[0].split()[1]) >= 1


def test_debug_returns_log_metrics_and_module(world):
    r = requests.get(world["vigil"].url("probe", "/probe"),
                     params={"module": "http_2xx", "target": world["http"] + "/ok", "debug": "true"}, timeout=15)
    assert r.status_code == 200
    assert r.text.startswith("Logs for the probe:\n")
    assert 'msg="Beginning probe"' in r.text
    assert "\nMetrics that would have been returned:\n" in r.text
    assert "probe_success 1" in r.text
    assert "\nModule configuration:\nprober: http" in r.text


def test_scrape_timeout_header_bounds_a_hanging_target(world):
    # A server that accepts and never answers: the probe must end by the
    # scrape timeout minus blackbox_exporter's 0.5 s offset.
    hang = socket.socket()
    hang.bind(("127.0.0.1", 0))
    hang.listen(8)
    try:
        t0 = time.time()
        r = requests.get(world["vigil"].url("probe", "/probe"),
                         params={"module": "http_2xx", "target": f"127.0.0.1:{hang.getsockname()[1]}"},
                         headers={"X-Prometheus-Scrape-Timeout-Seconds": "1.5"}, timeout=10)
        elapsed = time.time() - t0
        assert r.status_code == 200
        assert "probe_success 0" in r.text
        assert 0.9 <= elapsed < 3, elapsed
    finally:
        hang.close()


def test_bad_scrape_timeout_header_is_500(world):
    r = requests.get(world["vigil"].url("probe", "/probe"), params={"module": "http_2xx", "target": "x"},
                     headers={"X-Prometheus-Scrape-Timeout-Seconds": "soon"}, timeout=5)
    assert r.status_code == 500
    assert r.text.startswith("Failed to parse timeout from Prometheus header")


def test_huge_body_is_cut_off_by_max_body_size(world):
    class Huge(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(64 << 20))
            self.end_headers()
            try:
                chunk = b"x" * 65536
                for _ in range(1024):
                    self.wfile.write(chunk)
            except OSError:
                pass

    server = serve(ThreadedHTTP(("127.0.0.1", 0), Huge))
    try:
        with Vigil(extra_args=["--set", "probe.max_body_size=1MiB"], only=["probe"]) as v:
            r = requests.get(v.url("probe", "/probe"),
                             params={"module": "http_2xx", "target": f"127.0.0.1:{server.server_address[1]}"},
                             timeout=20)
            assert r.status_code == 200
            assert "probe_success 0" in r.text
    finally:
        server.shutdown()
        server.server_close()


def test_inline_probe_modules_replace_the_built_in_ones():
    """probe.modules in vigil.yml, in blackbox.yml's `modules:` format."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    config = "probe:\n  modules:\n    tcp_quick:\n      prober: tcp\n      timeout: 2s\n"
    try:
        with Vigil(only=["probe"], config_text=config) as v:
            r = requests.get(v.url("probe", "/probe"), params={"module": "tcp_quick", "target": f"127.0.0.1:{port}"},
                             timeout=10)
            assert r.status_code == 200
            assert "probe_success 1" in r.text
            r = requests.get(v.url("probe", "/probe"), params={"module": "http_2xx", "target": "127.0.0.1:1"}, timeout=10)
            assert r.status_code == 400 and 'Unknown module "http_2xx"' in r.text
    finally:
        listener.close()
    bad = "probe:\n  modules:\n    broken:\n      prober: carrier_pigeon\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "vigil.yml")
        with open(path, "w") as f:
            f.write(bad)
        r = run_vigil("check-config", "--config", path)
        assert r.returncode == 2 and "probe.modules" in r.stderr and "carrier_pigeon" in r.stderr, r.stderr
