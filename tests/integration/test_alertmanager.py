"""The alertmanager component (Alertmanager 0.25's role): Debian's amtool
against Vigil, the webhook payload and group timers observed by a webhook
sink, inhibition, silences (muting, expiry, persistence across restart),
the offline checker and router against amtool's, a real Prometheus sending
alerts, and email to a local SMTP sink."""

import email
import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from conftest import Vigil, free_port, run_vigil

AMTOOL = shutil.which("amtool")
needs_amtool = pytest.mark.skipif(AMTOOL is None, reason="amtool (prometheus-alertmanager) not installed")


class WebhookSink:
    """An HTTP server on 127.0.0.1 that records every POSTed JSON body."""

    def __init__(self, status=200):
        self.received = []
        self.status = status
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                sink.received.append((time.time(), self.path, json.loads(body)))
                self.send_response(sink.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def wait(self, n, timeout=10):
        deadline = time.time() + timeout
        while len(self.received) < n and time.time() < deadline:
            time.sleep(0.05)
        assert len(self.received) >= n, f"got {len(self.received)} notifications, want {n}: {self.received}"
        return self.received[n - 1][2]


def am_config(webhook_url, group_wait="1s", group_interval="2s", repeat_interval="1h", extra=""):
    return textwrap.dedent(f"""\
        global:
          resolve_timeout: 5m
        route:
          receiver: hook
          group_by: [alertname]
          group_wait: {group_wait}
          group_interval: {group_interval}
          repeat_interval: {repeat_interval}
        receivers:
          - name: hook
            webhook_configs:
              - url: '{webhook_url}/hook'
                send_resolved: true
        inhibit_rules:
          - source_matchers: [ alertname="NodeDown" ]
            target_matchers: [ category="node" ]
            equal: ['ip']
        """) + extra


class AmVigil(Vigil):
    """Vigil running only the alertmanager, with an alertmanager.yml file."""

    def __init__(self, am_yaml):
        self.am_dir = tempfile.mkdtemp(prefix="vigil-am-")
        self.am_file = os.path.join(self.am_dir, "alertmanager.yml")
        with open(self.am_file, "w") as f:
            f.write(am_yaml)
        super().__init__(config_text=f"alertmanager:\n  config_file: {self.am_file}\n", only=["alertmanager"])

    def api(self, path):
        return self.url("alertmanager", "/api/v2" + path)

    def post_alerts(self, alerts):
        r = requests.post(self.api("/alerts"), json=alerts, timeout=10)
        assert r.status_code == 200, r.text

    def amtool(self, *args, check=True):
        p = subprocess.run([AMTOOL, f"--alertmanager.url={self.url('alertmanager', '')}", *args],
                           capture_output=True, text=True, timeout=30)
        if check:
            assert p.returncode == 0, p.stderr
        return p

    def __exit__(self, *exc):
        super().__exit__(*exc)
        shutil.rmtree(self.am_dir, ignore_errors=True)


@needs_amtool
def test_amtool_alert_add_query_and_silence_lifecycle():
    with AmVigil(am_config("http://127.0.0.1:9")) as v:
        v.amtool("alert", "add", "alertname=DiskFull", "severity=warn", "ins=pg-1", "--annotation=summary=disk")
        out = v.amtool("alert", "query", "-o", "json").stdout
        alerts = json.loads(out)
        assert len(alerts) == 1
        a = alerts[0]
        assert a["labels"] == {"alertname": "DiskFull", "severity": "warn", "ins": "pg-1"}
        assert a["annotations"] == {"summary": "disk"}
        assert a["status"] == {"state": "active", "silencedBy": [], "inhibitedBy": []}
        assert a["receivers"] == [{"name": "hook"}]
        assert len(a["fingerprint"]) == 16

        sid = v.amtool("silence", "add", "alertname=DiskFull", "-c", "maintenance", "-d", "1h").stdout.strip()
        assert len(sid) == 36
        q = v.amtool("silence", "query", "-o", "json").stdout
        sil = json.loads(q)
        assert [s["id"] for s in sil] == [sid]
        assert sil[0]["status"]["state"] == "active"
        assert sil[0]["matchers"] == [{"name": "alertname", "value": "DiskFull", "isRegex": False, "isEqual": True}]
        a = json.loads(v.amtool("alert", "query", "-s", "-o", "json").stdout)[0]
        assert a["status"]["state"] == "suppressed" and a["status"]["silencedBy"] == [sid]
        # Silenced alerts are hidden from the default query.
        assert json.loads(v.amtool("alert", "query", "-o", "json").stdout) == []

        v.amtool("silence", "expire", sid)
        assert v.amtool("silence", "query", "-q").stdout.strip() == ""
        expired = json.loads(v.amtool("silence", "query", "--expired", "-o", "json").stdout)
        assert expired[0]["status"]["state"] == "expired"
        assert v.amtool("silence", "expire", sid, check=False).returncode != 0
        assert json.loads(v.amtool("alert", "query", "-o", "json").stdout)[0]["status"]["state"] == "active"

        status = requests.get(v.api("/status"), timeout=5).json()
        assert status["cluster"]["status"] == "disabled"
        assert "webhook_configs" in status["config"]["original"]
        assert status["versionInfo"]["version"] == "0.25.0"
        assert requests.get(v.api("/receivers"), timeout=5).json() == [{"name": "hook"}]


def test_bad_requests_get_alertmanager_error_shapes():
    with AmVigil(am_config("http://127.0.0.1:9")) as v:
        r = requests.post(v.api("/alerts"), data="[{not json", timeout=5)
        assert r.status_code == 400 and r.json()["code"] == 400
        r = requests.post(v.api("/alerts"), json=[{"labels": {}}], timeout=5)
        assert r.status_code == 400 and r.json() == "at least one label pair required"
        r = requests.post(v.api("/alerts"), json=[{"labels": {"a": "1"}, "startsAt": "2023-01-02T00:00:00Z",
                                                    "endsAt": "2023-01-01T00:00:00Z"}], timeout=5)
        assert r.status_code == 400 and "start time must be before end time" in r.json()
        r = requests.get(v.api("/alerts"), params={"filter": "a=~("}, timeout=5)
        assert r.status_code == 400
        r = requests.post(v.api("/silences"), json={"matchers": [{"name": "a", "value": ".*", "isRegex": True}],
                                                     "startsAt": "2023-01-01T00:00:00Z",
                                                     "endsAt": "2099-01-01T00:00:00Z",
                                                     "createdBy": "t", "comment": "c"}, timeout=5)
        assert r.status_code == 400 and "must not match the empty string" in r.json()
        # v1 senders get v1's envelope.
        r = requests.post(v.url("alertmanager", "/api/v1/alerts"), json=[{"labels": {"alertname": "Old"}}],
                          timeout=5)
        assert r.status_code == 200 and r.json() == {"status": "success"}


def test_webhook_payload_and_group_timers():
    with WebhookSink() as sink, AmVigil(am_config(sink.url, group_wait="1s", group_interval="2s",
                                                  repeat_interval="3s")) as v:
        t0 = time.time()
        v.post_alerts([{"labels": {"alertname": "HighLoad", "ins": "a"}, "annotations": {"summary": "load"},
                        "generatorURL": "http://prom/graph"}])
        first = sink.wait(1)
        waited = sink.received[0][0] - t0
        assert 0.8 <= waited <= 3.0, waited  # group_wait 1s
        assert first["version"] == "4"
        assert first["status"] == "firing"
        assert first["receiver"] == "hook"
        assert first["groupLabels"] == {"alertname": "HighLoad"}
        assert first["commonLabels"] == {"alertname": "HighLoad", "ins": "a"}
        assert first["commonAnnotations"] == {"summary": "load"}
        assert first["groupKey"] == '{}:{alertname="HighLoad"}'
        assert first["truncatedAlerts"] == 0
        assert first["externalURL"].startswith("http://")
        (a,) = first["alerts"]
        assert a["status"] == "firing" and a["labels"] == {"alertname": "HighLoad", "ins": "a"}
        assert a["endsAt"] == "0001-01-01T00:00:00Z" and a["generatorURL"] == "http://prom/graph"
        assert set(a) == {"status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"}
        assert sink.received[0][1] == "/hook"

        # A second alert joins the group: sent at the next group_interval tick.
        v.post_alerts([{"labels": {"alertname": "HighLoad", "ins": "b"}}])
        second = sink.wait(2)
        gap = sink.received[1][0] - sink.received[0][0]
        assert 1.5 <= gap <= 4.0, gap
        assert len(second["alerts"]) == 2 and second["commonLabels"] == {"alertname": "HighLoad"}

        # Unchanged: repeated only after repeat_interval (3s), not every 2s.
        third = sink.wait(3, timeout=10)
        gap = sink.received[2][0] - sink.received[1][0]
        assert 2.5 <= gap <= 6.5, gap
        assert len(third["alerts"]) == 2

        # Resolution is sent (send_resolved) at the next tick.
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))
        v.post_alerts([{"labels": {"alertname": "HighLoad", "ins": "a"}, "endsAt": now},
                       {"labels": {"alertname": "HighLoad", "ins": "b"}, "endsAt": now}])
        deadline = time.time() + 10
        while time.time() < deadline and sink.received[-1][2]["status"] != "resolved":
            time.sleep(0.1)
        last = sink.received[-1][2]
        assert last["status"] == "resolved"
        assert {x["status"] for x in last["alerts"]} == {"resolved"}
        assert all(x["endsAt"] != "0001-01-01T00:00:00Z" for x in last["alerts"])

        m = requests.get(v.url("alertmanager", "/metrics"), timeout=5).text
        assert 'alertmanager_notifications_total{component="alertmanager",integration="webhook"}' in m


def test_inhibition_mutes_target_with_equal_labels():
    with WebhookSink() as sink, AmVigil(am_config(sink.url, group_wait="500ms", group_interval="1s")) as v:
        v.post_alerts([{"labels": {"alertname": "NodeDown", "ip": "10.0.0.1"}},
                       {"labels": {"alertname": "NodeCpu", "category": "node", "ip": "10.0.0.1"}},
                       {"labels": {"alertname": "NodeCpu", "category": "node", "ip": "10.0.0.2"}}])
        time.sleep(2.5)
        sent = [(p["groupLabels"]["alertname"], tuple(sorted(a["labels"]["ip"] for a in p["alerts"])))
                for _, _, p in sink.received]
        assert ("NodeDown", ("10.0.0.1",)) in sent
        # Only the alert on the other ip gets through.
        assert all(ips == ("10.0.0.2",) for name, ips in sent if name == "NodeCpu"), sent
        alerts = requests.get(v.api("/alerts"), params={"filter": "alertname=NodeCpu"}, timeout=5).json()
        by_ip = {a["labels"]["ip"]: a["status"] for a in alerts}
        assert by_ip["10.0.0.1"]["state"] == "suppressed" and len(by_ip["10.0.0.1"]["inhibitedBy"]) == 1
        assert by_ip["10.0.0.2"]["state"] == "active"
        r = requests.get(v.api("/alerts"), params={"inhibited": "false"}, timeout=5).json()
        assert {a["labels"].get("ip") for a in r} == {"10.0.0.1", "10.0.0.2"} and len(r) == 2


def test_silence_mutes_then_expiry_lets_notification_through():
    with WebhookSink() as sink, AmVigil(am_config(sink.url, group_wait="500ms", group_interval="1s")) as v:
        end = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
        r = requests.post(v.api("/silences"), json={
            "matchers": [{"name": "alertname", "value": "Muted", "isRegex": False}],
            "startsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "endsAt": end,
            "createdBy": "test", "comment": "quiet"}, timeout=5)
        assert r.status_code == 200, r.text
        sid = r.json()["silenceID"]
        v.post_alerts([{"labels": {"alertname": "Muted"}}])
        time.sleep(2.5)
        assert sink.received == []
        assert requests.delete(v.api(f"/silence/{sid}"), timeout=5).status_code == 200
        payload = sink.wait(1, timeout=5)
        assert payload["groupLabels"] == {"alertname": "Muted"}
        assert requests.get(v.api(f"/silence/{sid}"), timeout=5).json()["status"]["state"] == "expired"


def test_restart_keeps_silences_and_does_not_renotify():
    with WebhookSink() as sink, AmVigil(am_config(sink.url, group_wait="500ms", group_interval="1s",
                                                  repeat_interval="1h")) as v:
        end = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
        r = requests.post(v.api("/silences"), json={
            "matchers": [{"name": "team", "value": "db.*", "isRegex": True}],
            "startsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "endsAt": end,
            "createdBy": "test", "comment": "persist me"}, timeout=5)
        sid = r.json()["silenceID"]
        v.post_alerts([{"labels": {"alertname": "Persist"}}])
        sink.wait(1)
        # The sink has the request; the notification log is written once the
        # answer is back. Kill only after that, or the restart rightly
        # notifies again (Alertmanager logs after a successful notify too).
        def nflog_entries():
            for line in requests.get(v.url("alertmanager", "/metrics"), timeout=5).text.splitlines():
                if line.startswith("alertmanager_nflog_entries"):
                    return float(line.rsplit(" ", 1)[1])
            return 0.0
        deadline = time.time() + 5
        while time.time() < deadline and nflog_entries() < 1:
            time.sleep(0.05)
        assert nflog_entries() == 1
        # kill -9: nothing gets flushed at exit.
        v.proc.kill()
        v.proc.wait()
        v.log.close()
        v.start()
        sil = requests.get(v.api(f"/silence/{sid}"), timeout=5).json()
        assert sil["comment"] == "persist me" and sil["status"]["state"] == "active"
        # Prometheus re-sends the alert; the notification log says it was sent.
        v.post_alerts([{"labels": {"alertname": "Persist"}}])
        time.sleep(2.5)
        assert len(sink.received) == 1, sink.received
        # A new alert in the group is news and goes out.
        v.post_alerts([{"labels": {"alertname": "Persist", "ins": "2"}}])
        sink.wait(2, timeout=5)


def test_reload_keeps_alerts_and_rejects_bad_config():
    with WebhookSink() as sink, AmVigil(am_config(sink.url)) as v:
        v.post_alerts([{"labels": {"alertname": "Keep"}}])
        with open(v.am_file, "w") as f:
            f.write(am_config(sink.url).replace("receiver: hook", "receiver: hook2").replace(
                "- name: hook", "- name: hook2"))
        assert requests.post(v.url("alertmanager", "/-/reload"), timeout=5).status_code == 200
        assert requests.get(v.api("/receivers"), timeout=5).json() == [{"name": "hook2"}]
        alerts = requests.get(v.api("/alerts"), timeout=5).json()
        assert [a["receivers"] for a in alerts] == [[{"name": "hook2"}]]
        with open(v.am_file, "w") as f:
            f.write("route: {receiver: nobody}\nreceivers: []\n")
        r = requests.post(v.url("alertmanager", "/-/reload"), timeout=5)
        assert r.status_code == 400, r.text
        assert "failed to reload config: alertmanager:" in r.text and "nobody" in r.text
        assert requests.get(v.api("/receivers"), timeout=5).json() == [{"name": "hook2"}]


CHECK_CASES = {
    "pigsty_default": None,  # the real Pigsty template
    "valid_tree": """\
        route:
          receiver: a
          group_by: ['...']
          routes:
            - receiver: b
              matchers: [ 'severity=~"crit|warn"', 'team!="x"' ]
              continue: true
            - receiver: c
              match: { team: db }
              match_re: { env: 'prod|stage' }
        receivers: [ {name: a}, {name: b}, {name: c} ]
        time_intervals:
          - name: nights
            time_intervals: [ {times: [{start_time: '00:00', end_time: '06:00'}], weekdays: ['monday:friday']} ]
        """,
    "undefined_receiver": "route: {receiver: missing}\nreceivers: [ {name: a} ]\n",
    "no_root_receiver": "route: {group_by: [a]}\nreceivers: [ {name: a} ]\n",
    "duplicate_receiver": "route: {receiver: a}\nreceivers: [ {name: a}, {name: a} ]\n",
    "unknown_field": "route: {receiver: a, colour: red}\nreceivers: [ {name: a} ]\n",
    "bad_matcher": "route:\n  receiver: a\n  routes: [ {receiver: a, matchers: ['a=~\"(\"']} ]\nreceivers: [ {name: a} ]\n",
    "bad_duration": "route: {receiver: a, group_wait: 10x}\nreceivers: [ {name: a} ]\n",
    "webhook_without_url": "route: {receiver: a}\nreceivers: [ {name: a, webhook_configs: [ {send_resolved: true} ]} ]\n",
    "email_without_smarthost": "route: {receiver: a}\nreceivers: [ {name: a, email_configs: [ {to: x@y.z} ]} ]\n",
    "undefined_time_interval": "route:\n  receiver: a\n  routes: [ {receiver: a, mute_time_intervals: [nope]} ]\nreceivers: [ {name: a} ]\n",
    "wildcard_and_labels": "route: {receiver: a, group_by: ['...', job]}\nreceivers: [ {name: a} ]\n",
    "zero_repeat": "route: {receiver: a, repeat_interval: 0s}\nreceivers: [ {name: a} ]\n",
}


def pigsty_template():
    path = "/work/shared/pigsty/roles/infra/templates/prometheus/alertmanager.yml"
    local = os.path.join(os.path.dirname(__file__), "data", "pigsty_alertmanager.yml")
    for p in (path, local):
        if os.path.exists(p):
            text = open(p).read()
            return text.replace("{% raw %}", "").replace("{% endraw %}", "")
    pytest.skip("Pigsty's alertmanager.yml template not available")


@needs_amtool
@pytest.mark.parametrize("case", sorted(CHECK_CASES))
def test_check_config_same_verdict_as_amtool(case, tmp_path):
    text = CHECK_CASES[case]
    text = pigsty_template() if text is None else textwrap.dedent(text)
    path = tmp_path / "alertmanager.yml"
    path.write_text(text)
    theirs = subprocess.run([AMTOOL, "check-config", str(path)], capture_output=True, text=True, timeout=30)
    ours = run_vigil("alertmanager", "check", str(path))
    assert (ours.returncode == 0) == (theirs.returncode == 0), (ours.stdout, ours.stderr, theirs.stdout,
                                                                  theirs.stderr)
    if theirs.returncode == 0:
        # Same summary lines ("- 1 inhibit rules", "- 1 receivers", ...).
        want = [l for l in theirs.stdout.splitlines() if l.startswith(" - ")]
        got = [l for l in ours.stdout.splitlines() if l.startswith(" - ")]
        assert got == want


ROUTES_YAML = """\
route:
  receiver: default
  group_by: [alertname]
  routes:
    - receiver: critical
      matchers: [ level="0" ]
      continue: true
    - receiver: dba
      matchers: [ category="pgsql" ]
      routes:
        - receiver: dba-night
          match_re: { severity: 'CRIT|WARN' }
    - receiver: sre
      matchers: [ 'category=~"node|infra"', 'ins!~"test-.*"' ]
    - receiver: catchall-team
      match: { team: '' }
      matchers: [ 'alertname!="Watchdog"' ]
receivers: [ {name: default}, {name: critical}, {name: dba}, {name: dba-night}, {name: sre}, {name: catchall-team} ]
"""

ROUTE_LABELS = [
    ["alertname=A"],
    ["alertname=Watchdog"],
    ["level=0", "category=pgsql"],
    ["level=0", "category=pgsql", "severity=CRIT"],
    ["category=pgsql", "severity=INFO"],
    ["category=node", "ins=pg-1"],
    ["category=infra", "ins=test-1"],
    ["category=infra", "ins=test-1", "alertname=Watchdog"],
    ["level=1", "category=redis", "team=x"],
    ["level=0"],
]


@needs_amtool
def test_routes_test_matches_amtool(tmp_path):
    path = tmp_path / "alertmanager.yml"
    path.write_text(ROUTES_YAML)
    for labels in ROUTE_LABELS:
        theirs = subprocess.run([AMTOOL, "config", "routes", "test", f"--config.file={path}", *labels],
                                capture_output=True, text=True, timeout=30)
        ours = run_vigil("alertmanager", "routes-test", f"--config.file={path}", *labels)
        assert ours.returncode == 0, ours.stderr
        assert ours.stdout.strip() == theirs.stdout.strip(), labels


class SmtpSink:
    """A minimal SMTP server (RFC 5321 subset) that records messages. With
    `tls_context` it offers STARTTLS (RFC 3207) and records whether each
    message arrived encrypted."""

    def __init__(self, tls_context=None):
        self.messages = []
        self.encrypted = []
        self.tls_context = tls_context
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            try:
                self.session(conn)
            except (OSError, ssl.SSLError):
                pass
            finally:
                conn.close()

    def session(self, conn):
        f = conn.makefile("rwb")
        tls = False

        def reply(s):
            f.write((s + "\r\n").encode())
            f.flush()

        reply("220 sink ESMTP")
        rcpt = []
        while True:
            line = f.readline().decode().rstrip("\r\n")
            if not line:
                break
            cmd = line.split(" ")[0].upper()
            if cmd == "EHLO":
                reply("250-sink")
                if self.tls_context and not tls:
                    reply("250-STARTTLS")
                reply("250 8BITMIME")
            elif cmd == "STARTTLS" and self.tls_context:
                reply("220 ready to start TLS")
                conn = self.tls_context.wrap_socket(conn, server_side=True)
                f = conn.makefile("rwb")
                tls = True
            elif cmd == "RCPT":
                rcpt.append(line)
                reply("250 ok")
            elif cmd == "DATA":
                reply("354 go ahead")
                lines = []
                while True:
                    l = f.readline().decode().rstrip("\r\n")
                    if l == ".":
                        break
                    lines.append(l[1:] if l.startswith("..") else l)
                self.messages.append((rcpt, "\n".join(lines)))
                self.encrypted.append(tls)
                reply("250 queued")
            elif cmd == "QUIT":
                reply("221 bye")
                break
            else:
                reply("250 ok")

    def wait(self, v, timeout=10):
        deadline = time.time() + timeout
        while not self.messages and time.time() < deadline:
            time.sleep(0.1)
        assert self.messages, v.read_log()
        return self.messages[0]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.sock.close()


def parts_of(msg):
    """The decoded text/plain and text/html parts of a raw message."""
    m = email.message_from_string(msg)
    out = {}
    for part in m.walk():
        if part.get_content_maintype() == "text":
            out[part.get_content_type()] = part.get_payload(decode=True).decode()
    return m, out


def test_email_reaches_smtp_sink():
    with SmtpSink() as smtp:
        cfg = textwrap.dedent(f"""\
            global:
              smtp_smarthost: '127.0.0.1:{smtp.port}'
              smtp_from: 'vigil@example.com'
              smtp_require_tls: false
            route: {{receiver: mail, group_by: [alertname], group_wait: 200ms, group_interval: 1s}}
            receivers:
              - name: mail
                email_configs: [ {{to: 'oncall@example.com, dba@example.com'}} ]
            """)
        with AmVigil(cfg) as v:
            v.post_alerts([{"labels": {"alertname": "PgDown", "ins": "pg-1"},
                            "annotations": {"summary": "down <now>"}}])
            rcpt, msg = smtp.wait(v)
            assert rcpt == ["RCPT TO:<oncall@example.com>", "RCPT TO:<dba@example.com>"]
            m, parts = parts_of(msg)
            assert m["Subject"] == "[FIRING:1] PgDown (pg-1)"
            assert m["From"] == "vigil@example.com"
            assert m["To"] == "oncall@example.com, dba@example.com"
            assert m.get_content_type() == "multipart/alternative"
            # Alertmanager's default: only the HTML part, actions HTML-escaped.
            assert list(parts) == ["text/html"]
            assert "summary = down &lt;now&gt;" in parts["text/html"]
            assert "[1] Firing" in parts["text/html"]


def test_email_templates_from_files_and_starttls(tmp_path):
    """The operator's templates (a relative glob next to alertmanager.yml)
    define the subject and text body; require_tls upgrades the connection
    with STARTTLS and verifies the sink's certificate against ca_file."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                   check=True, capture_output=True)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    with SmtpSink(tls_context=ctx) as smtp:
        cfg = textwrap.dedent(f"""\
            global:
              smtp_smarthost: '127.0.0.1:{smtp.port}'
              smtp_from: 'Vigil <vigil@example.com>'
            templates: ['*.tmpl']
            route: {{receiver: mail, group_by: [alertname], group_wait: 200ms, group_interval: 1s}}
            receivers:
              - name: mail
                email_configs:
                  - to: 'oncall@example.com'
                    tls_config: {{ca_file: '{tmp_path / "cert.pem"}'}}
                    headers: {{subject: '{{{{ template "pigsty.subject" . }}}}'}}
                    text: '{{{{ template "pigsty.text" . }}}}'
            """)
        with AmVigil(cfg) as v:
            with open(os.path.join(v.am_dir, "pigsty.tmpl"), "w") as f:
                f.write('{{ define "pigsty.subject" }}{{ .Status | toUpper }} {{ .CommonLabels.alertname }}'
                        ' on {{ .CommonLabels.Remove (stringSlice "alertname") }}{{ end }}\n'
                        '{{ define "pigsty.text" }}{{ range .Alerts.Firing }}{{ .Labels.ins }}: '
                        '{{ .Annotations.summary }}{{ end }}{{ end }}\n')
            r = requests.post(v.url("alertmanager", "/-/reload"), timeout=10)
            assert r.status_code == 200, r.text
            v.post_alerts([{"labels": {"alertname": "PgDown", "ins": "pg-1"}, "annotations": {"summary": "down"}}])
            rcpt, msg = smtp.wait(v)
            assert smtp.encrypted[0]
            m, parts = parts_of(msg)
            assert m["Subject"] == "FIRING PgDown on ins=pg-1"
            assert parts["text/plain"] == "pg-1: down"
            assert "text/html" in parts


def test_email_require_tls_without_starttls_is_reported():
    with SmtpSink() as smtp:
        cfg = textwrap.dedent(f"""\
            global: {{smtp_smarthost: '127.0.0.1:{smtp.port}', smtp_from: 'vigil@example.com'}}
            route: {{receiver: mail, group_wait: 100ms, group_interval: 1s}}
            receivers: [ {{name: mail, email_configs: [ {{to: 'a@example.com'}} ]}} ]
            """)
        with AmVigil(cfg) as v:
            v.post_alerts([{"labels": {"alertname": "X"}}])
            deadline = time.time() + 10
            log = ""
            while time.time() < deadline and "STARTTLS" not in log:
                time.sleep(0.2)
                log = v.read_log()
            assert "does not advertise the STARTTLS extension" in log
            assert not smtp.messages


@pytest.mark.skipif(not shutil.which("prometheus"), reason="prometheus not installed")
def test_prometheus_sends_alerts_to_vigil(tmp_path):
    with WebhookSink() as sink, AmVigil(am_config(sink.url, group_wait="500ms", group_interval="1s")) as v:
        rules = tmp_path / "rules.yml"
        rules.write_text(textwrap.dedent("""\
            groups:
              - name: t
                interval: 1s
                rules:
                  - alert: AlwaysOn
                    expr: vector(1)
                    labels: {severity: warn}
                    annotations: {summary: 'always on'}
            """))
        prom_cfg = tmp_path / "prometheus.yml"
        prom_cfg.write_text(textwrap.dedent(f"""\
            global: {{evaluation_interval: 1s}}
            rule_files: ['{rules}']
            alerting:
              alertmanagers:
                - api_version: v2
                  static_configs: [ {{targets: ['127.0.0.1:{v.ports["alertmanager"]}']}} ]
            """))
        port = free_port()
        prom = subprocess.Popen(["prometheus", f"--config.file={prom_cfg}", f"--storage.tsdb.path={tmp_path}/data",
                                 f"--web.listen-address=127.0.0.1:{port}",
                                 # the first send may precede discovery of the target
                                 "--rules.alert.resend-delay=1s"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            payload = sink.wait(1, timeout=40)
        finally:
            prom.terminate()
            prom.wait(timeout=20)
        assert payload["version"] == "4" and payload["status"] == "firing"
        (a,) = payload["alerts"]
        assert a["labels"] == {"alertname": "AlwaysOn", "severity": "warn"}
        assert a["annotations"] == {"summary": "always on"}
        assert a["generatorURL"].startswith("http://")
