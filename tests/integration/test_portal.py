"""The portal (Nginx's role): vhosts by Host/SNI, home sub-paths, static
files, reverse proxy, HTTPS with the generated CA, access log — driven with
curl and openssl."""

import gzip
import http.server
import json
import os
import signal
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import Vigil, run_vigil

PORTAL = """
portal:
  www: {www}
  max_body_size: 4KiB
repo:
  dir: {repo}
infra_portal:
  home: {{ domain: i.pigsty }}
  echo: {{ domain: e.pigsty, endpoint: "127.0.0.1:{echo_port}" }}
  dead: {{ domain: d.pigsty, endpoint: "127.0.0.1:1" }}
  files: {{ domain: f.pigsty, path: {www}/sub, index: true }}
"""


class _Echo(http.server.BaseHTTPRequestHandler):
    """Answers every request with its method, path, headers and body as JSON."""

    protocol_version = "HTTP/1.1"

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        out = json.dumps({"method": self.command, "path": self.path, "headers": dict(self.headers.items()),
                          "body": body.decode("latin-1")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Upstream", "echo")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def echo():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def site():
    with tempfile.TemporaryDirectory(prefix="vigil-www-") as tmp:
        www = os.path.join(tmp, "www")
        repo = os.path.join(tmp, "repo")
        os.makedirs(os.path.join(www, "sub"))
        os.makedirs(os.path.join(repo, "pool"))
        with open(os.path.join(www, "hello.txt"), "w") as f:
            f.write("hello portal\n")
        with open(os.path.join(www, "big.bin"), "wb") as f:
            f.write(bytes(range(256)) * 64)  # 16 KiB
        with open(os.path.join(www, "notes.txt"), "w") as f:
            f.write("a line of text to compress\n" * 200)
        with open(os.path.join(www, "sub", "index.html"), "w") as f:
            f.write("<h1>sub</h1>\n")
        with open(os.path.join(repo, "pool", "a_1.0_all.deb"), "wb") as f:
            f.write(b"not really a deb")
        with open(os.path.join(tmp, "secret.txt"), "w") as f:
            f.write("outside the root\n")
        os.symlink(os.path.join(tmp, "secret.txt"), os.path.join(www, "escape.txt"))
        yield {"tmp": tmp, "www": www, "repo": repo}


def https_port(v):
    """The HTTPS port conftest gave this Vigil (its --set portal.listen_https)."""
    return int(next(a.split(":")[-1] for a in v.args if a.startswith("portal.listen_https=")))


@pytest.fixture(scope="module")
def portal(site, echo):
    cfg = PORTAL.format(www=site["www"], repo=site["repo"], echo_port=echo)
    with Vigil(config_text=cfg) as v:
        v.https_port = https_port(v)
        yield v


def curl(*args):
    """Runs curl; returns (status, headers dict lowercased, body bytes)."""
    out = subprocess.run(["curl", "-s", "-S", "-i", "--max-time", "10", *args], capture_output=True, timeout=20)
    assert out.returncode == 0, out.stderr.decode()
    raw = out.stdout
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, body


def url(v, path="/"):
    return v.url("portal", path)


def test_home_serves_www_with_listing_and_types(portal):
    status, headers, body = curl(url(portal, "/"))
    assert status == 200 and b"Index of /" in body and b'href="hello.txt"' in body and b'href="sub/"' in body
    status, headers, body = curl(url(portal, "/hello.txt"))
    assert status == 200 and body == b"hello portal\n"
    assert headers["content-type"] == "text/plain; charset=utf-8"
    assert headers["etag"].startswith('"') and "last-modified" in headers


def test_directory_without_slash_redirects_and_index_html_is_served(portal):
    status, headers, _ = curl(url(portal, "/sub?x=1"))
    assert status == 301 and headers["location"] == "/sub/?x=1"
    status, _, body = curl(url(portal, "/sub/"))
    assert status == 200 and body == b"<h1>sub</h1>\n"


def test_etag_and_last_modified_revalidate_to_304(portal):
    _, headers, _ = curl(url(portal, "/hello.txt"))
    status, _, body = curl("-H", f"If-None-Match: {headers['etag']}", url(portal, "/hello.txt"))
    assert status == 304 and body == b""
    status, _, _ = curl("-H", f"If-Modified-Since: {headers['last-modified']}", url(portal, "/hello.txt"))
    assert status == 304
    status, _, _ = curl("-H", 'If-None-Match: "other"', url(portal, "/hello.txt"))
    assert status == 200


def test_text_is_gzipped_for_clients_that_accept_it_with_a_weak_etag(portal):
    _, plain_headers, plain = curl(url(portal, "/notes.txt"))
    assert "content-encoding" not in plain_headers
    status, headers, body = curl("-H", "Accept-Encoding: gzip", url(portal, "/notes.txt"))
    assert status == 200 and headers["content-encoding"] == "gzip" and headers["vary"] == "Accept-Encoding"
    assert gzip.decompress(body) == plain and len(body) < len(plain) // 10
    # Other bytes than the file's: the validator is weak (as nginx's gzip), and still revalidates.
    assert headers["etag"] == "W/" + plain_headers["etag"]
    status, _, body = curl("-H", "Accept-Encoding: gzip", "-H", f"If-None-Match: {headers['etag']}",
                           url(portal, "/notes.txt"))
    assert status == 304 and body == b""
    # Binary types are sent as they are.
    _, headers, _ = curl("-H", "Accept-Encoding: gzip", url(portal, "/big.bin"))
    assert "content-encoding" not in headers and headers["etag"].startswith('"')


def test_range_requests_206_suffix_and_416(portal):
    data = bytes(range(256)) * 64
    status, headers, body = curl("-r", "10-19", url(portal, "/big.bin"))
    assert status == 206 and body == data[10:20] and headers["content-range"] == f"bytes 10-19/{len(data)}"
    status, _, body = curl("-H", "Range: bytes=-5", url(portal, "/big.bin"))
    assert status == 206 and body == data[-5:]
    status, headers, _ = curl("-H", "Range: bytes=99999-", url(portal, "/big.bin"))
    assert status == 416 and headers["content-range"] == f"bytes */{len(data)}"


def test_head_reports_length_without_body(portal):
    status, headers, body = curl("-I", url(portal, "/big.bin"))
    assert status == 200 and headers["content-length"] == "16384" and body == b""


def test_traversal_encoded_slash_and_symlink_escape_are_refused(portal):
    status, _, body = curl("--path-as-is", url(portal, "/../secret.txt"))
    assert status == 400 and b"outside" not in body
    status, _, body = curl("--path-as-is", url(portal, "/sub/%2e%2e/%2e%2e/secret.txt"))
    assert status == 400 and b"outside" not in body
    status, _, _ = curl(url(portal, "/sub%2findex.html"))
    assert status == 404
    status, _, body = curl(url(portal, "/escape.txt"))
    assert status == 403 and b"outside" not in body
    status, _, body = curl(url(portal, "/missing.html"))
    assert status == 404 and b"404 Not Found" in body


def test_home_subpath_proxies_to_component_with_prefix_stripped(portal):
    status, _, body = curl(url(portal, "/vmetrics/api/v1/labels"))
    assert status == 200 and json.loads(body)["status"] == "success"
    status, headers, _ = curl(url(portal, "/vmetrics"))
    assert status == 301 and headers["location"] == "/vmetrics/"
    status, _, body = curl(url(portal, "/alertmgr/api/v2/status"))
    assert status == 200 and b"cluster" in body


def test_home_subpath_of_component_not_running_is_502_with_reason(site, echo):
    cfg = PORTAL.format(www=site["www"], repo=site["repo"], echo_port=echo)
    with Vigil(config_text=cfg, only=["portal"]) as v:
        status, _, body = curl(v.url("portal", "/vmalert/api/v1/rules"))
        assert status == 502 and b"the rules component is not running" in body


def test_vhost_proxy_by_host_sets_forwarding_headers(portal):
    port = portal.ports["portal"]
    status, headers, body = curl("--resolve", f"e.pigsty:{port}:127.0.0.1", "-H", "X-Forwarded-For: 10.0.0.1",
                                 f"http://e.pigsty:{port}/a/b?q=%20x")
    assert status == 200 and headers["x-upstream"] == "echo"
    seen = json.loads(body)
    assert seen["path"] == "/a/b?q=%20x"
    assert seen["headers"]["Host"] == f"e.pigsty:{port}"
    assert seen["headers"]["X-Real-IP"] == "127.0.0.1"
    assert seen["headers"]["X-Forwarded-For"] == "10.0.0.1, 127.0.0.1"
    assert seen["headers"]["X-Forwarded-Proto"] == "http"


def test_vhost_proxy_forwards_post_body_and_limits_it_with_413(portal):
    port = portal.ports["portal"]
    status, _, body = curl("--resolve", f"e.pigsty:{port}:127.0.0.1", "--data-binary", "x" * 1000,
                           f"http://e.pigsty:{port}/upload")
    assert status == 200 and json.loads(body)["body"] == "x" * 1000 and json.loads(body)["method"] == "POST"
    status, _, _ = curl("--resolve", f"e.pigsty:{port}:127.0.0.1", "--data-binary", "x" * 10000,
                        f"http://e.pigsty:{port}/upload")
    assert status == 413


def test_vhost_proxy_to_dead_upstream_is_502(portal):
    port = portal.ports["portal"]
    status, _, body = curl("--resolve", f"d.pigsty:{port}:127.0.0.1", f"http://d.pigsty:{port}/")
    assert status == 502 and b"127.0.0.1:1" in body


def test_vhost_with_path_serves_its_directory(portal):
    port = portal.ports["portal"]
    status, _, body = curl("--resolve", f"f.pigsty:{port}:127.0.0.1", f"http://f.pigsty:{port}/")
    assert status == 200 and body == b"<h1>sub</h1>\n"
    status, _, _ = curl("--resolve", f"f.pigsty:{port}:127.0.0.1", f"http://f.pigsty:{port}/hello.txt")
    assert status == 404


def test_repo_is_served_under_pigsty_with_listing(portal):
    status, _, body = curl(url(portal, "/pigsty/pool/"))
    assert status == 200 and b"a_1.0_all.deb" in body
    status, headers, body = curl(url(portal, "/pigsty/pool/a_1.0_all.deb"))
    assert status == 200 and body == b"not really a deb"
    assert headers["content-type"] == "application/vnd.debian.binary-package"


def s_client_verify(port, name, ca):
    """openssl s_client to 127.0.0.1:port with SNI `name`, verifying chain and hostname against `ca`."""
    return subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", name,
                           "-verify_return_error", "-verify_hostname", name, "-CAfile", ca],
                          input=b"", capture_output=True, timeout=20)


def test_https_certificate_verifies_against_generated_ca_for_every_domain(portal):
    ca = os.path.join(portal.data_dir, "pki", "ca.crt")
    assert os.path.exists(ca)
    for name in ["i.pigsty", "e.pigsty", "f.pigsty", "localhost"]:
        out = s_client_verify(portal.https_port, name, ca)
        assert out.returncode == 0, out.stdout.decode() + out.stderr.decode()
        assert b"Verify return code: 0 (ok)" in out.stdout
    out = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{portal.https_port}", "-tls1_1"],
                         input=b"", capture_output=True, timeout=20)
    assert out.returncode != 0  # TLS 1.1 is refused
    port = portal.https_port
    status, _, body = curl("--cacert", ca, "--resolve", f"e.pigsty:{port}:127.0.0.1", f"https://e.pigsty:{port}/x")
    assert status == 200 and json.loads(body)["headers"]["X-Forwarded-Proto"] == "https"
    status, _, body = curl("--cacert", ca, f"https://localhost:{port}/ca.crt")
    with open(ca, "rb") as f:
        assert status == 200 and body == f.read()


def test_entry_cert_and_key_are_served_for_its_domains_by_sni(site, echo):
    with tempfile.TemporaryDirectory(prefix="vigil-owncert-") as other:
        # A certificate from another CA, as an operator's own would be.
        r = run_vigil("pki", "issue", "--name", "own", "--dns", "own.pigsty", "--out", other, "--data-dir", other)
        assert r.returncode == 0, r.stderr
        other_ca = os.path.join(other, "pki", "ca.crt")
        cfg = PORTAL.format(www=site["www"], repo=site["repo"], echo_port=echo) + (
            f"  own: {{ domain: own.pigsty, path: {site['www']}, "
            f"cert: {other}/own.crt, key: {other}/own.key }}\n")
        with Vigil(config_text=cfg, only=["portal"]) as v:
            port = https_port(v)
            own_ca = os.path.join(v.data_dir, "pki", "ca.crt")
            assert s_client_verify(port, "own.pigsty", other_ca).returncode == 0
            assert s_client_verify(port, "own.pigsty", own_ca).returncode != 0
            assert s_client_verify(port, "i.pigsty", own_ca).returncode == 0
            status, _, body = curl("--cacert", other_ca, "--resolve", f"own.pigsty:{port}:127.0.0.1",
                                   f"https://own.pigsty:{port}/hello.txt")
            assert status == 200 and body == b"hello portal\n"


def test_ca_is_reused_across_restarts_and_server_cert_follows_domains(site, echo):
    cfg = PORTAL.format(www=site["www"], repo=site["repo"], echo_port=echo)
    with Vigil(config_text=cfg, only=["portal"]) as v:
        pki = os.path.join(v.data_dir, "pki")
        ca1 = open(os.path.join(pki, "ca.crt")).read()
        v.stop()
        v.start()
        assert open(os.path.join(pki, "ca.crt")).read() == ca1
        server1 = open(os.path.join(pki, "server.crt")).read()
        v.stop()
        with open(v.config_path, "a") as f:
            f.write("  extra: { domain: x.pigsty, path: /tmp }\n")
        v.start()
        assert open(os.path.join(pki, "ca.crt")).read() == ca1
        assert open(os.path.join(pki, "server.crt")).read() != server1
        text = subprocess.run(["openssl", "x509", "-noout", "-text", "-in", os.path.join(pki, "server.crt")],
                              capture_output=True, text=True).stdout
        assert "DNS:x.pigsty" in text and "IP Address:127.0.0.1" in text
        ca_text = subprocess.run(["openssl", "x509", "-noout", "-text", "-in", os.path.join(pki, "ca.crt")],
                                 capture_output=True, text=True).stdout
        assert "CA:TRUE, pathlen:1" in ca_text and "CN = vigil-ca" in ca_text


def test_ssl_mode_enforce_redirects_to_https_except_acme(site, echo):
    cfg = PORTAL.format(www=site["www"], repo=site["repo"], echo_port=echo) + "  # enforce\n"
    os.makedirs(os.path.join(site["www"], "acme", ".well-known", "acme-challenge"), exist_ok=True)
    with open(os.path.join(site["www"], "acme", "tok"), "w") as f:
        f.write("token\n")
    with Vigil(config_text=cfg, only=["portal"], extra_args=["--set", "portal.ssl_mode=enforce"]) as v:
        https = https_port(v)
        port = v.ports["portal"]
        status, headers, _ = curl("--resolve", f"i.pigsty:{port}:127.0.0.1", f"http://i.pigsty:{port}/a?b=1")
        assert status == 301 and headers["location"] == f"https://i.pigsty:{https}/a?b=1"
        status, _, body = curl(v.url("portal", "/.well-known/acme-challenge/tok"))
        assert status == 200 and body == b"token\n"


def test_access_log_has_one_json_line_per_request(portal):
    port = portal.ports["portal"]
    curl("-A", "probe-agent/1", "-e", "http://ref/", url(portal, "/hello.txt?log=1"))
    curl("--resolve", f"e.pigsty:{port}:127.0.0.1", f"http://e.pigsty:{port}/logged")
    logdir = os.path.join(portal.data_dir, "portal", "log")
    home = [json.loads(line) for line in open(os.path.join(logdir, "home.log"))]
    rec = next(r for r in home if r["uri"] == "/hello.txt?log=1")
    assert rec["status"] == 200 and rec["method"] == "GET" and rec["user_agent"] == "probe-agent/1"
    assert rec["referer"] == "http://ref/" and rec["bytes"] == 13 and rec["upstream"] == ""
    echo_log = [json.loads(line) for line in open(os.path.join(logdir, "echo.log"))]
    rec = next(r for r in echo_log if r["uri"] == "/logged")
    assert rec["upstream"].startswith("http://127.0.0.1:") and rec["host"] == f"e.pigsty:{port}"


def test_reload_switches_the_vhosts_of_requests_that_follow(site, echo):
    """SIGHUP with a changed infra_portal: the next request on either I/O
    thread (each keeps its own view of the routing state) uses the new vhosts."""
    before = f"portal: {{ www: {site['www']} }}\ninfra_portal:\n  home: {{ domain: i.pigsty }}\n" \
             f"  old: {{ domain: a.pigsty, endpoint: \"127.0.0.1:{echo}\" }}\n"
    with Vigil(only=["portal"], config_text=before) as v:
        port = v.ports["portal"]

        def get(host):
            return curl("--resolve", f"{host}:{port}:127.0.0.1", f"http://{host}:{port}/hello.txt")

        for _ in range(4):  # both I/O threads serve a.pigsty and cache the state
            status, headers, _ = get("a.pigsty")
            assert status == 200 and headers["x-upstream"] == "echo"
        with open(v.config_path, "w") as f:
            f.write(before.replace("old: { domain: a.pigsty", "new: { domain: b.pigsty"))
        v.signal(signal.SIGHUP)
        deadline = time.time() + 10
        while "config reloaded" not in v.read_log() and time.time() < deadline:
            time.sleep(0.05)
        assert "config reloaded" in v.read_log()
        for _ in range(4):
            status, headers, _ = get("b.pigsty")
            assert status == 200 and headers["x-upstream"] == "echo"
            status, headers, body = get("a.pigsty")  # now the default server: home's static root
            assert status == 200 and "x-upstream" not in headers and body == b"hello portal\n"
