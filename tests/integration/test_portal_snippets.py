"""The portal's `auth: true` (basic auth against an htpasswd file made by
Apache's htpasswd) and `config:` nginx snippets (location selection,
rewrite, return, add_header, proxy_pass, alias), driven with curl."""

import http.server
import json
import os
import subprocess
import tempfile
import threading

import pytest

from conftest import Vigil

CONFIG = """
portal:
  www: @WWW@
  htpasswd: @HTPASSWD@
infra_portal:
  home: { domain: i.pigsty }
  secure: { domain: s.pigsty, path: @WWW@, auth: true, realm: "Vigil Test" }
  api:
    domain: a.pigsty
    endpoint: "127.0.0.1:@ECHO@"
    config: |
      add_header X-Server-Level yes;
      location = /exact { return 200 "exact match\\n"; }
      location = /zh { alias @WWW@/files/a.txt; }
      location /old/ { rewrite ^/old/(.*)$ /new/$1 permanent; }
      location /moved { return 302 https://example.com$request_uri; }
      location /gone/ { return 410; }
      location /static/ { alias @WWW@/files/; add_header X-Static "alias $uri" always; }
      location ~* \\.(PNG|jpg)$ { return 200 "image $1\\n"; }
      location ^~ /images/ { return 200 "images prefix\\n"; }
      location /v1/ { rewrite ^/v1/(.*)$ /v2/$1 last; }
      location /v2/ { proxy_pass http://127.0.0.1:@ECHO@/backend/; proxy_set_header X-From snippet; }
      location /brk/ { rewrite ^/brk/(.*)$ /rewritten/$1 break; proxy_pass http://127.0.0.1:@ECHO@; }
      location /loop/ { rewrite ^/loop/(.*)$ /loop/$1 last; }
"""


class _Echo(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        out = json.dumps({"path": self.path, "headers": dict(self.headers.items())}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def echo():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def portal(echo):
    with tempfile.TemporaryDirectory(prefix="vigil-snip-") as tmp:
        www = os.path.join(tmp, "www")
        os.makedirs(os.path.join(www, "files"))
        with open(os.path.join(www, "hello.txt"), "w") as f:
            f.write("secret hello\n")
        with open(os.path.join(www, "files", "a.txt"), "w") as f:
            f.write("aliased file\n")
        htpasswd = os.path.join(tmp, "htpasswd")
        # bcrypt, SHA-256 crypt, SHA-512 crypt and Apache MD5, as htpasswd writes them.
        subprocess.run(["htpasswd", "-c", "-b", "-B", "-C", "5", htpasswd, "bob", "bcrypt-pw"], check=True,
                       capture_output=True)
        subprocess.run(["htpasswd", "-b", "-2", htpasswd, "sha256user", "s2-pw"], check=True, capture_output=True)
        subprocess.run(["htpasswd", "-b", "-5", htpasswd, "sha512user", "s5-pw"], check=True, capture_output=True)
        subprocess.run(["htpasswd", "-b", "-m", htpasswd, "md5user", "apr-pw"], check=True, capture_output=True)
        cfg = CONFIG.replace("@WWW@", www).replace("@HTPASSWD@", htpasswd).replace("@ECHO@", str(echo))
        with Vigil(config_text=cfg, only=["portal"]) as v:
            v.htpasswd = htpasswd
            yield v


def curl(*args):
    out = subprocess.run(["curl", "-s", "-S", "-i", "--max-time", "10", *args], capture_output=True, timeout=20)
    assert out.returncode == 0, out.stderr.decode()
    head, _, body = out.stdout.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return int(lines[0].split()[1]), headers, body


def get(v, host, path, *extra):
    return curl("-H", f"Host: {host}", *extra, v.url("portal", path))


def test_auth_without_credentials_is_401_with_the_realm(portal):
    status, headers, _ = get(portal, "s.pigsty", "/hello.txt")
    assert status == 401 and headers["www-authenticate"] == 'Basic realm="Vigil Test"'


@pytest.mark.parametrize("user,password", [("bob", "bcrypt-pw"), ("sha256user", "s2-pw"),
                                           ("sha512user", "s5-pw"), ("md5user", "apr-pw")])
def test_auth_accepts_each_htpasswd_hash_kind(portal, user, password):
    status, _, body = get(portal, "s.pigsty", "/hello.txt", "-u", f"{user}:{password}")
    assert status == 200 and body == b"secret hello\n"


@pytest.mark.parametrize("creds", ["bob:wrong", "nobody:bcrypt-pw", "bob:", "sha512user:s2-pw"])
def test_auth_refuses_wrong_password_or_unknown_user(portal, creds):
    status, headers, _ = get(portal, "s.pigsty", "/hello.txt", "-u", creds)
    assert status == 401 and "www-authenticate" in headers


def test_auth_rereads_the_htpasswd_file_when_it_changes(portal):
    subprocess.run(["htpasswd", "-b", "-B", "-C", "5", portal.htpasswd, "carol", "new-pw"], check=True,
                   capture_output=True)
    status, _, _ = get(portal, "s.pigsty", "/hello.txt", "-u", "carol:new-pw")
    assert status == 200


def test_vhost_without_auth_needs_no_credentials(portal):
    status, _, _ = get(portal, "i.pigsty", "/")
    assert status == 200


def test_exact_location_wins_and_server_add_header_applies(portal):
    status, headers, body = get(portal, "a.pigsty", "/exact")
    assert status == 200 and body == b"exact match\n" and headers["x-server-level"] == "yes"


def test_exact_location_alias_names_a_file(portal):
    status, _, body = get(portal, "a.pigsty", "/zh")
    assert status == 200 and body == b"aliased file\n"


def test_rewrite_permanent_redirects_with_captures_and_args(portal):
    status, headers, _ = get(portal, "a.pigsty", "/old/x/y?q=1")
    assert status == 301 and headers["location"] == f"http://a.pigsty/new/x/y?q=1"


def test_return_redirect_expands_request_uri(portal):
    status, headers, _ = get(portal, "a.pigsty", "/moved/here?a=b")
    assert status == 302 and headers["location"] == "https://example.com/moved/here?a=b"


def test_return_code_without_text_and_add_header_only_on_success(portal):
    status, headers, _ = get(portal, "a.pigsty", "/gone/x")
    assert status == 410 and "x-server-level" not in headers


def test_alias_serves_files_and_location_add_header_replaces_server_ones(portal):
    status, headers, body = get(portal, "a.pigsty", "/static/a.txt")
    assert status == 200 and body == b"aliased file\n"
    assert headers["x-static"] == "alias /static/a.txt" and "x-server-level" not in headers
    status, headers, _ = get(portal, "a.pigsty", "/static/missing.txt")
    assert status == 404 and headers["x-static"] == "alias /static/missing.txt"  # always


def test_regex_location_is_case_insensitive_and_caret_tilde_prefix_beats_it(portal):
    status, _, body = get(portal, "a.pigsty", "/pics/cat.png")
    assert status == 200 and body == b"image png\n"
    status, _, body = get(portal, "a.pigsty", "/images/cat.png")
    assert status == 200 and body == b"images prefix\n"


def test_rewrite_last_reselects_and_proxy_pass_replaces_the_prefix(portal):
    status, _, body = get(portal, "a.pigsty", "/v1/items?id=7")
    assert status == 200
    seen = json.loads(body)
    assert seen["path"] == "/backend/items?id=7" and seen["headers"]["X-From"] == "snippet"


def test_rewrite_break_proxies_the_rewritten_uri(portal):
    status, _, body = get(portal, "a.pigsty", "/brk/a%20b")
    assert status == 200 and json.loads(body)["path"] == "/rewritten/a%20b"


def test_unmatched_paths_use_the_vhost_endpoint(portal):
    status, _, body = get(portal, "a.pigsty", "/plain/path?x=1")
    assert status == 200 and json.loads(body)["path"] == "/plain/path?x=1"


def test_rewrite_cycle_answers_500(portal):
    status, _, _ = get(portal, "a.pigsty", "/loop/x")
    assert status == 500


@pytest.mark.parametrize("snippet,message", [
    ("gzip on;", 'infra_portal.api.config: line 1: unsupported directive "gzip"'),
    ("location / {\n  proxy_cache zone;\n}", 'infra_portal.api.config: line 2: unsupported directive "proxy_cache"'),
    ("location ~ (?<=x)y { return 200; }", "infra_portal.api.config: line 1: regex"),
    ("location /a { return 200 \"x\"", "infra_portal.api.config: line 1:"),
])
def test_bad_config_snippet_fails_the_start_naming_entry_line_and_directive(snippet, message):
    indented = "\n".join("      " + line for line in snippet.splitlines())
    cfg = f"infra_portal:\n  api:\n    domain: a.pigsty\n    endpoint: 127.0.0.1:9\n    config: |\n{indented}\n"
    v = Vigil(config_text=cfg, only=["portal"])
    v.start(wait=False)
    try:
        rc = v.proc.wait(timeout=20)
    finally:
        v.stop()
        v.log.close()
    log = v.read_log()
    v.tmp.cleanup()
    assert rc != 0 and message in log, log


def test_access_log_rows_reach_the_logs_component_in_the_same_process():
    import time

    import requests

    cfg = "infra_portal:\n  home: { domain: i.pigsty }\n  quiet: { domain: q.pigsty, path: /tmp, log: false }\n"
    with Vigil(config_text=cfg, only=["portal", "logs"]) as v:
        curl("-H", "Host: i.pigsty", "-A", "shipper-test", v.url("portal", "/no-such-file?probe=1"))
        curl("-H", "Host: q.pigsty", v.url("portal", "/"))
        rows = []
        deadline = time.time() + 15
        while time.time() < deadline and not rows:
            r = requests.get(v.url("logs", "/select/logsql/query"),
                             params={"query": '{job="portal"} user_agent:"shipper-test"'}, timeout=5)
            rows = [json.loads(line) for line in r.text.splitlines() if line.strip()]
            time.sleep(0.3)
        assert len(rows) == 1, rows
        row = rows[0]
        assert row["vhost"] == "home" and row["job"] == "portal" and row["status"] == "404"
        assert row["_msg"] == "GET /no-such-file?probe=1 404" and row["uri"] == "/no-such-file?probe=1"
        assert row["_stream"] == '{job="portal",vhost="home"}'
        # `log: false` vhosts are not shipped either.
        r = requests.get(v.url("logs", "/select/logsql/query"), params={"query": '{vhost="quiet"}'}, timeout=5)
        assert r.text.strip() == ""


def test_home_auth_protects_component_paths_but_not_ui_static_root_or_repo(tmp_path):
    www = tmp_path / "www"
    (www / "pigsty").mkdir(parents=True)
    (www / "index.html").write_text("home\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "Packages").write_text("")
    htpasswd = tmp_path / "htpasswd"
    subprocess.run(["htpasswd", "-c", "-b", "-B", "-C", "5", str(htpasswd), "admin", "pw"], check=True,
                   capture_output=True)
    cfg = (f"portal:\n  www: {www}\n  htpasswd: {htpasswd}\nrepo:\n  dir: {repo}\n"
           "infra_portal:\n  home:\n    domain: i.pigsty\n    auth: true\n"
           "    config: |\n      location /private/ { return 200 \"private\\n\"; }\n")
    with Vigil(config_text=cfg, only=["portal"]) as v:
        status, _, body = get(v, "i.pigsty", "/")
        assert status == 200 and body == b"home\n"
        assert get(v, "i.pigsty", "/pigsty/Packages")[0] == 200  # nodes install without credentials
        assert get(v, "i.pigsty", "/ui/")[0] == 502             # Grafana logs users in itself
        status, headers, _ = get(v, "i.pigsty", "/vmetrics/api/v1/query")
        assert status == 401 and headers["www-authenticate"] == 'Basic realm="Pigsty Home Auth"'
        assert get(v, "i.pigsty", "/private/x")[0] == 401
        status, _, body = get(v, "i.pigsty", "/private/x", "-u", "admin:pw")
        assert status == 200 and body == b"private\n"
        assert get(v, "i.pigsty", "/vmetrics/api/v1/query", "-u", "admin:pw")[0] == 502


def test_check_config_reports_a_bad_snippet():
    from conftest import run_vigil

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "vigil.yml")
        with open(path, "w") as f:
            f.write("infra_portal:\n  api:\n    domain: a.pigsty\n    endpoint: 127.0.0.1:9\n"
                    "    config: |\n      location / {\n        proxy_buffering off;\n      }\n")
        r = run_vigil("check-config", "--config", path, "--data-dir", tmp)
        assert r.returncode == 2
        assert f'{path}: infra_portal.api.config: line 2: unsupported directive "proxy_buffering"' in r.stderr
