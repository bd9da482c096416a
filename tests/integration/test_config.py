"""Config loading as a user sees it: errors with file:line:col, --set, check-config."""

import os
import tempfile

from conftest import SOURCE_DIR, run_vigil


def write_config(text):
    d = tempfile.mkdtemp(prefix="vigil-cfg-")
    path = os.path.join(d, "vigil.yml")
    with open(path, "w") as f:
        f.write(text)
    return path


def test_check_config_prints_effective_defaults():
    path = write_config("admin_ip: 10.10.10.10\n")
    r = run_vigil("check-config", "--config", path)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "admin_ip: 10.10.10.10" in out
    # defaults are filled in
    assert "0.0.0.0:8428" in out
    assert "retention: 15d" in out


def test_unknown_key_names_file_line_and_column():
    path = write_config("admin_ip: 127.0.0.1\nmetrics:\n  listne: 1.2.3.4:5\n")
    r = run_vigil("check-config", "--config", path)
    assert r.returncode == 2
    assert f"{path}:3:3:" in r.stderr
    assert "metrics.listne" in r.stderr
    assert "unknown key" in r.stderr


def test_wrong_type_and_invalid_value_are_all_reported():
    path = write_config("metrics:\n  enabled: maybe\n  listen: nowhere\nlogs:\n  retention: forever\n")
    r = run_vigil("check-config", "--config", path)
    assert r.returncode == 2
    assert f"{path}:2:12:" in r.stderr          # enabled: maybe
    assert f"{path}:3:11:" in r.stderr          # listen: nowhere
    assert f"{path}:5:14:" in r.stderr          # retention: forever
    assert "host:port" in r.stderr


def test_yaml_syntax_error_has_position():
    path = write_config("metrics:\n  listen: [unclosed\n")
    r = run_vigil("check-config", "--config", path)
    assert r.returncode == 2
    assert path + ":" in r.stderr


def test_set_overrides_with_yaml_values():
    path = write_config("")
    r = run_vigil("check-config", "--config", path, "--set", "metrics.listen=127.0.0.1:18428",
                  "--set", "dns.upstreams=[]", "--set", "admin_ip=10.0.0.9",
                  "--set", "rules.files=[/x/*.yml, /y/*.yml]")
    assert r.returncode == 0, r.stderr
    assert "127.0.0.1:18428" in r.stdout
    assert "upstreams: []" in r.stdout
    assert "10.0.0.9" in r.stdout
    assert "/y/*.yml" in r.stdout


def test_set_error_names_the_override():
    r = run_vigil("check-config", "--config", write_config(""), "--set", "metrics.listen=notaport")
    assert r.returncode == 2
    assert "--set metrics.listen" in r.stderr


def test_data_dir_flag_and_substitution():
    path = write_config("infra_portal:\n  pgadmin: { domain: adm.pigsty, endpoint: \"${admin_ip}:8885\" }\n")
    r = run_vigil("check-config", "--config", path, "--data-dir", "/tmp/vigil-x", "--set", "admin_ip=10.1.2.3")
    assert r.returncode == 0, r.stderr
    assert "data_dir: /tmp/vigil-x" in r.stdout
    assert "10.1.2.3:8885" in r.stdout


def test_repo_default_config_is_valid():
    r = run_vigil("check-config", "--config", os.path.join(SOURCE_DIR, "vigil.yml"))
    assert r.returncode == 0, r.stderr


def test_version_and_help():
    r = run_vigil("version")
    assert r.returncode == 0 and r.stdout.startswith("vigil ")
    for args in (["--help"], ["serve", "--help"], ["check-config", "--help"]):
        r = run_vigil(*args)
        assert r.returncode == 0, args
        assert "--config" in r.stdout or "serve" in r.stdout
    r = run_vigil("serve", "--help")
    assert "--set" in r.stdout and "--data-dir" in r.stdout and "--only" in r.stdout
    r = run_vigil("no-such-command")
    assert r.returncode != 0
