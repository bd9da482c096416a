"""`vigil pki show` and `vigil pki issue`: the CA in <data_dir>/pki, checked
with openssl."""

import os
import subprocess
import tempfile

from conftest import run_vigil


def openssl(*args):
    return subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=30)


def test_show_without_a_ca_fails_and_says_how_to_make_one():
    with tempfile.TemporaryDirectory() as tmp:
        r = run_vigil("pki", "show", "--data-dir", tmp)
        assert r.returncode == 1 and "vigil pki issue" in r.stderr


def test_issue_creates_the_ca_and_signs_a_node_certificate_openssl_verifies():
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "certs")
        r = run_vigil("pki", "issue", "--name", "infra-1", "--ip", "10.10.10.10", "--ip", "127.0.0.1",
                      "--dns", "localhost", "--dns", "node-1", "--out", out, "--data-dir", tmp)
        assert r.returncode == 0, r.stderr
        crt, key = os.path.join(out, "infra-1.crt"), os.path.join(out, "infra-1.key")
        ca = os.path.join(tmp, "pki", "ca.crt")
        assert oct(os.stat(key).st_mode & 0o777) == "0o600"
        v = openssl("verify", "-CAfile", ca, crt)
        assert v.returncode == 0 and "OK" in v.stdout, v.stdout + v.stderr
        text = openssl("x509", "-in", crt, "-noout", "-text").stdout
        assert "CN = infra-1" in text
        for san in ("IP Address:10.10.10.10", "IP Address:127.0.0.1", "DNS:localhost", "DNS:node-1"):
            assert san in text
        assert "TLS Web Server Authentication" in text and "TLS Web Client Authentication" in text
        # The key matches the certificate.
        pub_cert = openssl("x509", "-in", crt, "-noout", "-pubkey").stdout
        pub_key = openssl("pkey", "-in", key, "-pubout").stdout
        assert pub_cert == pub_key

        show = run_vigil("pki", "show", "--data-dir", tmp)
        assert show.returncode == 0, show.stderr
        fields = dict(line.split(":", 1) for line in show.stdout.splitlines())
        assert fields["subject"].strip() == "O = vigil, CN = vigil-ca"
        assert fields["ca"].strip() == "true"
        want = openssl("x509", "-in", ca, "-noout", "-fingerprint", "-sha256").stdout.strip().split("=", 1)[1]
        assert fields["sha256"].strip() == want

        # A second certificate is signed by the same CA (it is not recreated).
        r = run_vigil("pki", "issue", "--name", "infra-2", "--ip", "10.10.10.11", "--out", out, "--data-dir", tmp)
        assert r.returncode == 0
        assert openssl("verify", "-CAfile", ca, os.path.join(out, "infra-2.crt")).returncode == 0
        assert run_vigil("pki", "show", "--data-dir", tmp).stdout == show.stdout


def test_issue_refuses_a_bad_ip_or_name():
    with tempfile.TemporaryDirectory() as tmp:
        r = run_vigil("pki", "issue", "--name", "x", "--ip", "not-an-ip", "--out", tmp, "--data-dir", tmp)
        assert r.returncode == 2 and "not an IP address" in r.stderr
        r = run_vigil("pki", "issue", "--name", "../x", "--out", tmp, "--data-dir", tmp)
        assert r.returncode == 2
