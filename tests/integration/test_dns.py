"""The dns component against dig, side by side with dnsmasq 2.90 serving the
same hosts files: same answers for A, AAAA, PTR, unknown names, mixed case,
over UDP and TCP; live reload of hosts files; forwarding with a cache;
truncation and EDNS sizes; malformed packets."""

import os
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import time

import pytest
import requests

from conftest import Vigil, free_port, free_udp_tcp_port

DNSMASQ = "/usr/sbin/dnsmasq"
pytestmark = pytest.mark.skipif(not (shutil.which("dig") and os.path.exists(DNSMASQ)),
                                reason="needs dig (dnsutils) and dnsmasq")

INFRA_HOSTS = """# Pigsty infra records
10.10.10.10 h.pigsty a.pigsty p.pigsty g.pigsty
10.10.10.11 node-1.pigsty Node1.Pigsty
fd00::11    node-1.pigsty
10.10.10.12 pg-meta-1.pigsty  # trailing comment
"""
BAD_HOSTS = """10.10.10.20 good.pigsty
not-an-ip broken.pigsty
10.10.10.21 also-good.pigsty
"""


class Dnsmasq:
    """dnsmasq on 127.0.0.1:port serving the hosts files in `hosts_dir`."""

    def __init__(self, hosts_dir, ttl=60, local="pigsty", servers=()):
        self.port = free_udp_tcp_port()
        args = [DNSMASQ, "--keep-in-foreground", "--conf-file=/dev/null", "--no-hosts",
                f"--addn-hosts={hosts_dir}", f"--port={self.port}", "--listen-address=127.0.0.1",
                "--bind-interfaces", f"--local-ttl={ttl}", "--user=root", "--log-facility=-"]
        if local:
            args.append(f"--local=/{local}/")
        if servers:
            args += ["--no-resolv"] + [f"--server={s}" for s in servers]
        else:
            args.append("--no-resolv")
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_dns(self.port)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def wait_dns(port, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = subprocess.run(["dig", "@127.0.0.1", "-p", str(port), "+tries=1", "+timeout=1", "version.bind"],
                           capture_output=True, text=True)
        if "status:" in r.stdout:
            return
        time.sleep(0.1)
    raise RuntimeError(f"no DNS server on port {port}")


def dig(port, *args):
    r = subprocess.run(["dig", "@127.0.0.1", "-p", str(port), "+tries=1", "+timeout=2", "+nocmd", "+nostats",
                        *args], capture_output=True, text=True, timeout=20)
    return r.stdout


def normalize(out):
    """dig output without what legitimately differs between servers: the
    query ID, timing, and dnsmasq's extended-error text."""
    lines = []
    for line in out.splitlines():
        if line.startswith("; EDE:") or not line.strip():
            continue
        lines.append(re.sub(r"id: \d+", "id: X", line))
    return "\n".join(lines)


def short(port, *args):
    return dig(port, "+short", *args).split()


@pytest.fixture
def hosts_dir():
    with tempfile.TemporaryDirectory(prefix="vigil-hosts-") as d:
        with open(os.path.join(d, "infra"), "w") as f:
            f.write(INFRA_HOSTS)
        yield d


def start_vigil(hosts_dir, *sets, config_text=None):
    port = free_udp_tcp_port()
    args = ["--set", f"dns.listen=127.0.0.1:{port}", "--set", f"dns.hosts_dir=[{hosts_dir}]"]
    if not any(s.startswith("dns.upstreams=") for s in sets):
        args += ["--set", "dns.upstreams=[]"]
    for s in sets:
        args += ["--set", s]
    v = Vigil(extra_args=args, config_text=config_text, only=["dns"])
    v.dns_port = port
    v.start()
    if not any(s.startswith("dns.allow=") for s in sets):
        wait_dns(port)
    return v


QUERIES = [
    ["h.pigsty"], ["a.pigsty", "A"], ["H.PiGsTy"], ["node-1.pigsty", "AAAA"], ["NODE-1.pigsty", "AAAA"],
    ["node1.pigsty"], ["Node1.PIGSTY", "A"], ["pg-meta-1.pigsty"], ["node-1.pigsty", "ANY"],
    ["-x", "10.10.10.10"], ["-x", "10.10.10.11"], ["-x", "fd00::11"],
    ["nope.pigsty"], ["NOPE.pigsty", "AAAA"], ["h.pigsty", "MX"], ["h.pigsty", "TXT"], ["pigsty"],
    ["example.com"], ["-x", "192.0.2.1"],
]


@pytest.mark.parametrize("transport", ["+notcp", "+tcp"])
def test_local_answers_match_dnsmasq_over_udp_and_tcp(hosts_dir, transport):
    peer = Dnsmasq(hosts_dir)
    v = start_vigil(hosts_dir)
    try:
        for q in QUERIES:
            want = normalize(dig(peer.port, transport, *q))
            got = normalize(dig(v.dns_port, transport, *q))
            assert "status:" in want, q
            assert got == want, f"query {q} {transport}:\n--- dnsmasq\n{want}\n--- vigil\n{got}"
    finally:
        v.__exit__(None, None, None)
        peer.stop()


def test_answers_echo_question_case_and_carry_ttl(hosts_dir):
    v = start_vigil(hosts_dir, "dns.ttl=300")
    try:
        out = dig(v.dns_port, "H.PiGsTy", "+noall", "+answer")
        assert out.split() == ["H.PiGsTy.", "300", "IN", "A", "10.10.10.10"]
    finally:
        v.__exit__(None, None, None)


def test_hosts_file_change_is_served_within_two_seconds(hosts_dir):
    v = start_vigil(hosts_dir)
    try:
        assert short(v.dns_port, "new.pigsty") == []
        with open(os.path.join(hosts_dir, "added"), "w") as f:
            f.write("10.10.10.99 new.pigsty\n")
        t0 = time.time()
        while time.time() - t0 < 2.5 and short(v.dns_port, "new.pigsty") != ["10.10.10.99"]:
            time.sleep(0.1)
        assert short(v.dns_port, "new.pigsty") == ["10.10.10.99"]
        assert time.time() - t0 < 2.5
        # An edit in place and a removal are picked up too.
        with open(os.path.join(hosts_dir, "added"), "w") as f:
            f.write("10.10.10.98 new.pigsty\n")
        time.sleep(2)
        assert short(v.dns_port, "new.pigsty") == ["10.10.10.98"]
        os.unlink(os.path.join(hosts_dir, "added"))
        time.sleep(2)
        assert "NXDOMAIN" in dig(v.dns_port, "new.pigsty")
    finally:
        v.__exit__(None, None, None)


def test_malformed_line_is_reported_with_file_and_line_and_rest_served(hosts_dir):
    with open(os.path.join(hosts_dir, "bad"), "w") as f:
        f.write(BAD_HOSTS)
    v = start_vigil(hosts_dir)
    try:
        assert short(v.dns_port, "good.pigsty") == ["10.10.10.20"]
        assert short(v.dns_port, "also-good.pigsty") == ["10.10.10.21"]
        assert short(v.dns_port, "h.pigsty") == ["10.10.10.10"]
        assert os.path.join(hosts_dir, "bad") + ":2:" in v.read_log()
    finally:
        v.__exit__(None, None, None)


def test_records_from_config_and_sighup_reload(hosts_dir):
    cfg = 'dns:\n  records: ["10.10.10.50 cfg.pigsty cfg2.pigsty"]\n'
    v = start_vigil(hosts_dir, config_text=cfg)
    try:
        assert short(v.dns_port, "cfg2.pigsty") == ["10.10.10.50"]
        assert short(v.dns_port, "-x", "10.10.10.50") == ["cfg.pigsty."]
        with open(v.config_path, "w") as f:
            f.write('dns:\n  records: ["10.10.10.51 cfg.pigsty"]\n')
        import signal
        v.signal(signal.SIGHUP)
        deadline = time.time() + 5
        while time.time() < deadline and short(v.dns_port, "cfg.pigsty") != ["10.10.10.51"]:
            time.sleep(0.1)
        assert short(v.dns_port, "cfg.pigsty") == ["10.10.10.51"]
    finally:
        v.__exit__(None, None, None)


def metric(v, name):
    text = requests.get(v.url("dns", "/metrics"), timeout=5).text
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_forwarding_to_upstream_with_cache_hit_counted(hosts_dir):
    with tempfile.TemporaryDirectory() as upstream_hosts:
        with open(os.path.join(upstream_hosts, "h"), "w") as f:
            f.write("192.0.2.7 svc.example.org\n")
        upstream = Dnsmasq(upstream_hosts, ttl=120, local="example.org")
        v = start_vigil(hosts_dir, f"dns.upstreams=[127.0.0.1:{upstream.port}]")
        try:
            misses, hits = metric(v, "vigil_dns_cache_misses_total"), metric(v, "vigil_dns_cache_hits_total")
            assert short(v.dns_port, "svc.example.org") == ["192.0.2.7"]
            assert metric(v, "vigil_dns_cache_misses_total") == misses + 1
            out = dig(v.dns_port, "SVC.example.org", "+noall", "+answer")
            assert out.split()[0] == "SVC.example.org."
            assert out.split()[-1] == "192.0.2.7"
            assert 0 < int(out.split()[1]) <= 120
            assert metric(v, "vigil_dns_cache_hits_total") == hits + 1
            assert metric(v, "vigil_dns_cache_misses_total") == misses + 1
            # Local names are still answered locally, unknown local ones NXDOMAIN.
            assert short(v.dns_port, "h.pigsty") == ["10.10.10.10"]
            assert "NXDOMAIN" in dig(v.dns_port, "nope.pigsty")
            # Upstream NXDOMAIN is passed through.
            assert "NXDOMAIN" in dig(v.dns_port, "missing.example.org")
            # Upstream gone: cached names still answer, others SERVFAIL.
            upstream.stop()
            upstream = None
            assert short(v.dns_port, "svc.example.org") == ["192.0.2.7"]
            assert "SERVFAIL" in dig(v.dns_port, "+timeout=6", "other.example.org")
            assert metric(v, "vigil_dns_upstream_failures_total") >= 1
        finally:
            v.__exit__(None, None, None)
            if upstream:
                upstream.stop()


def test_large_answer_is_truncated_over_udp_and_complete_over_tcp(hosts_dir):
    with open(os.path.join(hosts_dir, "big"), "w") as f:
        for i in range(100):
            f.write(f"10.20.{i // 250}.{i % 250 + 1} big.pigsty\n")
    peer = Dnsmasq(hosts_dir)
    v = start_vigil(hosts_dir)
    try:
        for port in (peer.port, v.dns_port):
            no_edns = dig(port, "+noedns", "+ignore", "big.pigsty")
            assert re.search(r"flags: qr[a-z ]* tc", no_edns), no_edns
            assert len(no_edns) < 2000
        # Vigil: 512 bytes without EDNS; 1232 at most with a larger buffer.
        for args, bound in ((["+noedns"], 512), (["+bufsize=4096"], 1232), (["+bufsize=600"], 600)):
            out = dig(v.dns_port, "+ignore", *args, "big.pigsty")
            size = int(re.search(r"MSG SIZE\s+rcvd: (\d+)", subprocess.run(
                ["dig", "@127.0.0.1", "-p", str(v.dns_port), "+ignore", *args, "big.pigsty"],
                capture_output=True, text=True).stdout).group(1))
            assert size <= bound, (args, size)
            assert " tc" in out
        assert "udp: 1232" in dig(v.dns_port, "+bufsize=4096", "h.pigsty")
        assert len(short(v.dns_port, "+tcp", "big.pigsty")) == 100
        assert len(short(v.dns_port, "big.pigsty")) == 100  # dig retries over TCP on TC
    finally:
        v.__exit__(None, None, None)
        peer.stop()


def udp_exchange(port, payload, timeout=0.5):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(payload, ("127.0.0.1", port))
        try:
            return s.recv(65535)
        except socket.timeout:
            return None


def test_malformed_packets_get_formerr_or_nothing_and_never_crash(hosts_dir):
    v = start_vigil(hosts_dir)
    try:
        # Header claims one question, the name runs off the end: FORMERR, ID echoed.
        r = udp_exchange(v.dns_port, struct.pack(">HHHHHH", 0xBEEF, 0x0100, 1, 0, 0, 0) + b"\x05ab")
        assert r is not None and r[:2] == b"\xbe\xef" and r[3] & 0x0F == 1 and r[2] & 0x80
        # A compression pointer loop.
        r = udp_exchange(v.dns_port, struct.pack(">HHHHHH", 7, 0x0100, 1, 0, 0, 0) + b"\xc0\x0c\x00\x01\x00\x01")
        assert r is not None and r[3] & 0x0F == 1
        # Shorter than a header, or a response: no reply at all.
        assert udp_exchange(v.dns_port, b"\x01\x02\x03") is None
        assert udp_exchange(v.dns_port, struct.pack(">HHHHHH", 9, 0x8180, 0, 0, 0, 0)) is None
        # Garbage of every length up to 300 bytes; the server keeps answering.
        import random
        rnd = random.Random(42)
        for n in range(0, 300, 3):
            udp_exchange(v.dns_port, bytes(rnd.randrange(256) for _ in range(n)), timeout=0.05)
        # TCP: a length prefix promising more than is sent, then close.
        with socket.create_connection(("127.0.0.1", v.dns_port), timeout=2) as c:
            c.sendall(b"\xff\xff\x00\x01")
        assert short(v.dns_port, "h.pigsty") == ["10.10.10.10"]
        assert metric(v, "vigil_dns_dropped_total") >= 2
        assert metric(v, 'vigil_dns_queries_total') > 0
        assert v.proc.poll() is None
    finally:
        v.__exit__(None, None, None)


def test_allow_list_drops_other_clients_and_metrics_count_types(hosts_dir):
    v = start_vigil(hosts_dir, "dns.allow=[10.0.0.0/8]")
    try:
        assert udp_exchange(v.dns_port, bytes.fromhex("abcd01000001000000000000") +
                            b"\x01h\x06pigsty\x00\x00\x01\x00\x01") is None
        text = requests.get(v.url("dns", "/metrics"), timeout=5).text
        assert 'vigil_dns_dropped_total{component="dns",reason="not_allowed"} 1' in text
    finally:
        v.__exit__(None, None, None)
    v = start_vigil(hosts_dir)
    try:
        short(v.dns_port, "h.pigsty")
        short(v.dns_port, "nope.pigsty", "AAAA")
        text = requests.get(v.url("dns", "/metrics"), timeout=5).text
        assert 'vigil_dns_queries_total{component="dns",type="A",rcode="NOERROR"} 1' in text
        assert 'vigil_dns_queries_total{component="dns",type="AAAA",rcode="NXDOMAIN"} 1' in text
    finally:
        v.__exit__(None, None, None)
