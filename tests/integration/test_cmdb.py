"""The CMDB: `vigil cmdb` / `vigil inventory` against real Ansible
(ansible-inventory), the derived scrape-target and hosts files, the HTTP API
of the cmdb component, and the PostgreSQL backend against a real
PostgreSQL 15 started here."""

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time

import pytest
import requests

from conftest import SOURCE_DIR, Vigil, free_port, run_vigil

DATA = os.path.join(SOURCE_DIR, "tests", "integration", "data", "cmdb")
PIGSTY_CONF = os.path.abspath(os.path.join(SOURCE_DIR, "..", "shared", "pigsty", "conf"))
SAMPLES = [os.path.join(DATA, "meta1.yml"), os.path.join(DATA, "sandbox.yml")] + [
    os.path.join(PIGSTY_CONF, f) for f in ("meta.yml", "rich.yml", "ha/full.yml", "ha/trio.yml")
    if os.path.exists(os.path.join(PIGSTY_CONF, f))]


class Cmdb:
    """`vigil cmdb ...` on one data dir, derived files into its own dirs."""

    def __init__(self, root, url=None):
        self.root = root
        self.data_dir = os.path.join(root, "data")
        self.hosts_dir = os.path.join(root, "hosts")
        self.targets_dir = os.path.join(root, "targets")
        self.opts = ["--data-dir", self.data_dir, "--config", os.path.join(root, "vigil.yml"),
                     "--set", f"dns.hosts_dir=[{self.hosts_dir}]",
                     "--set", f"scrape.targets_dir={self.targets_dir}"]
        if url:
            self.opts += ["--set", f"cmdb.url={url}"]
        os.makedirs(root, exist_ok=True)
        with open(os.path.join(root, "vigil.yml"), "w") as f:
            f.write("# cmdb test\n")

    def run(self, *args, check=True):
        r = run_vigil(*args, *self.opts, timeout=60)
        if check:
            assert r.returncode == 0, r.stderr + r.stdout
        return r

    def load(self, path, *extra, check=True):
        return self.run("cmdb", "load", path, *extra, check=check)

    def inventory(self):
        return self.run("inventory", "--list").stdout

    def script(self):
        path = os.path.join(self.root, "inventory.sh")
        self.run("inventory", "script", path)
        return path


def ansible_inventory(source):
    env = dict(os.environ, ANSIBLE_INVENTORY_ENABLED="script,yaml", HOME=tempfile.gettempdir(),
               ANSIBLE_LOCAL_TEMP=tempfile.gettempdir())
    r = subprocess.run(["ansible-inventory", "-i", source, "--list"], capture_output=True, text=True,
                       env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def tree(root):
    """Relative path -> content of every non-dot file under root."""
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            if not f.startswith("."):
                p = os.path.join(d, f)
                with open(p) as fh:
                    out[os.path.relpath(p, root)] = fh.read()
    return out


@pytest.fixture
def cmdb(tmp_path):
    return Cmdb(str(tmp_path))


needs_ansible = pytest.mark.skipif(shutil.which("ansible-inventory") is None,
                                   reason="ansible-inventory not installed (Debian package ansible)")


@needs_ansible
@pytest.mark.parametrize("sample", SAMPLES, ids=[os.path.relpath(s, os.path.dirname(os.path.dirname(s))) for s in SAMPLES])
def test_ansible_sees_the_same_inventory_through_the_script_as_from_the_yaml(cmdb, sample):
    cmdb.load(sample)
    assert ansible_inventory(cmdb.script()) == ansible_inventory(sample)


@pytest.mark.parametrize("sample", SAMPLES, ids=os.path.basename)
def test_dump_then_load_gives_the_same_inventory_and_keeps_placeholders(cmdb, tmp_path, sample):
    cmdb.load(sample)
    first = cmdb.inventory()
    dumped = cmdb.run("cmdb", "dump").stdout
    if "${admin_ip}" in open(sample).read():
        assert "${admin_ip}" in dumped
    path = tmp_path / "dumped.yml"
    path.write_text(dumped)
    other = Cmdb(str(tmp_path / "other"))
    other.load(str(path))
    assert other.inventory() == first


def test_inventory_list_has_ansible_shape_and_host_gives_hostvars(cmdb):
    cmdb.load(os.path.join(DATA, "sandbox.yml"))
    inv = json.loads(cmdb.inventory())
    assert inv["all"]["children"] == ["infra", "etcd", "pg-meta", "pg-test", "redis-test"]
    assert inv["pg-test"]["hosts"] == ["10.10.10.11", "10.10.10.12", "10.10.10.13"]
    assert inv["pg-test"]["vars"]["pg_vip_address"] == "10.10.10.3/24"
    assert inv["all"]["vars"]["node_etc_hosts"] == ["${admin_ip} i.pigsty sss.pigsty"]
    assert inv["all"]["vars"]["tags"] == [True, False, "yes", None, 1000, 31, 90, "1e3", 0.5]
    assert inv["all"]["vars"]["mode"] == 0o750 and inv["all"]["vars"]["patroni_watchdog_mode"] is False
    assert inv["_meta"]["hostvars"]["10.10.10.10"] == {
        "infra_seq": 1, "nodename": "meta", "etcd_seq": 1, "pg_seq": 1, "pg_role": "primary"}
    host = json.loads(cmdb.run("inventory", "--host", "10.10.10.13").stdout)
    assert host == {"pg_seq": 3, "pg_role": "replica", "pg_offline_query": True}
    assert json.loads(cmdb.run("inventory", "--host", "10.9.9.9").stdout) == {}


def test_hosts_lists_groups_and_filters_by_group(cmdb):
    cmdb.load(os.path.join(DATA, "sandbox.yml"))
    out = cmdb.run("cmdb", "hosts").stdout.splitlines()
    assert out[0] == "10.10.10.10 infra,etcd,pg-meta"
    assert "10.10.10.12 pg-test,redis-test" in out and len(out) == 4
    assert cmdb.run("cmdb", "hosts", "--group", "redis-test").stdout == "10.10.10.12 pg-test,redis-test\n"
    r = cmdb.run("cmdb", "hosts", "--group", "nope", check=False)
    assert r.returncode == 1 and 'no group "nope"' in r.stderr


def test_derived_files_for_the_sandbox_match_the_expected_layout_exactly(cmdb):
    cmdb.load(os.path.join(DATA, "sandbox.yml"))
    expected = os.path.join(DATA, "sandbox_expected")
    assert tree(cmdb.targets_dir) == tree(os.path.join(expected, "targets"))
    assert tree(cmdb.hosts_dir) == tree(os.path.join(expected, "hosts"))


@pytest.mark.parametrize("bad,message", [
    ("malformed.yml", "malformed.yml:5:1: end of map flow not found"),
    ("conflict.yml", 'host 10.10.10.11 has conflicting identity: pg_cluster is "pg-a" in group pg-a but "pg-b" in group pg-b'),
])
def test_bad_input_is_a_clear_error_and_leaves_the_database_unchanged(cmdb, bad, message):
    cmdb.load(os.path.join(DATA, "sandbox.yml"))
    before, files = cmdb.inventory(), tree(cmdb.targets_dir)
    for extra in ([], ["--merge"]):
        r = cmdb.load(os.path.join(DATA, bad), *extra, check=False)
        assert r.returncode == 1
        assert message in r.stderr
        assert cmdb.inventory() == before
        assert tree(cmdb.targets_dir) == files


def test_merge_overlays_and_conflicting_merge_changes_nothing(cmdb, tmp_path):
    cmdb.load(os.path.join(DATA, "sandbox.yml"))
    extra = tmp_path / "extra.yml"
    extra.write_text("all:\n  children:\n    pg-new:\n      hosts: {10.10.10.20: {pg_seq: 1, pg_role: primary}}\n"
                     "      vars: {pg_cluster: pg-new}\n  vars: {region: china}\n")
    cmdb.load(str(extra), "--merge")
    inv = json.loads(cmdb.inventory())
    assert inv["all"]["children"][-1] == "pg-new" and "pg-test" in inv
    assert inv["all"]["vars"]["region"] == "china" and inv["all"]["vars"]["admin_ip"] == "10.10.10.10"
    assert os.path.exists(os.path.join(cmdb.targets_dir, "pgsql", "pg-new-1.yml"))
    # The same host given another cluster identity by a merge is refused.
    extra.write_text("all:\n  children:\n    pg-other:\n      hosts: {10.10.10.20: {pg_seq: 1}}\n"
                     "      vars: {pg_cluster: pg-other}\n")
    before = cmdb.inventory()
    r = cmdb.load(str(extra), "--merge", check=False)
    assert r.returncode == 1 and "conflicting identity" in r.stderr
    assert cmdb.inventory() == before


def test_set_get_rm_and_files_change_only_when_the_inventory_does(cmdb):
    cmdb.load(os.path.join(DATA, "sandbox.yml"))
    pgfile = os.path.join(cmdb.targets_dir, "pgsql", "pg-test-2.yml")
    mtime = os.stat(pgfile).st_mtime_ns
    # Loading the same file again changes nothing and writes nothing.
    r = cmdb.load(os.path.join(DATA, "sandbox.yml"))
    assert "inventory unchanged" in r.stdout and os.stat(pgfile).st_mtime_ns == mtime
    cmdb.run("cmdb", "set", "pg_exporter_port", "19630", "--group", "pg-test")
    assert "10.10.10.12:19630" in open(pgfile).read()
    assert cmdb.run("cmdb", "get", "pg_exporter_port", "--group", "pg-test").stdout == "19630\n"
    mtime = os.stat(pgfile).st_mtime_ns
    r = cmdb.run("cmdb", "set", "pg_exporter_port", "19630", "--group", "pg-test")
    assert "inventory unchanged" in r.stdout and os.stat(pgfile).st_mtime_ns == mtime
    # Host var (in the host's only group), global var, removal.
    cmdb.run("cmdb", "set", "nodename", "test-2", "--host", "10.10.10.12")
    assert "10.10.10.12 test-2" in open(os.path.join(cmdb.hosts_dir, "nodes")).read()
    assert cmdb.run("cmdb", "get", "nodename", "--host", "10.10.10.12").stdout == "test-2\n"
    cmdb.run("cmdb", "set", "dns_records", "['${admin_ip} x.pigsty']")
    assert open(os.path.join(cmdb.hosts_dir, "default")).read().splitlines()[1] == "10.10.10.10 x.pigsty"
    cmdb.run("cmdb", "rm", "pg_vip_enabled", "--group", "pg-test")
    assert not os.path.exists(os.path.join(cmdb.targets_dir, "ping", "10.10.10.3---10.10.10.11.yml"))
    r = cmdb.run("cmdb", "get", "pg_vip_enabled", "--group", "pg-test", check=False)
    assert r.returncode == 1 and "pg_vip_enabled is not set for group pg-test" in r.stderr
    r = cmdb.run("cmdb", "set", "x", "1", "--host", "10.9.9.9", check=False)
    assert r.returncode == 1 and 'no host "10.9.9.9"' in r.stderr
    # A set that would give a host two identities is refused.
    r = cmdb.run("cmdb", "set", "pg_cluster", "pg-other", "--host", "10.10.10.10", "--group", "etcd", check=False)
    assert r.returncode == 1 and "conflicting identity" in r.stderr


def test_concurrent_loads_serialise(cmdb, tmp_path):
    cmdb.load(os.path.join(DATA, "meta1.yml"))
    files = [os.path.join(DATA, "sandbox.yml"), os.path.join(DATA, "meta1.yml")]
    procs = [subprocess.Popen([os.environ.get("VIGIL_BIN", os.path.join(SOURCE_DIR, "build", "release", "vigil")),
                               "cmdb", "load", files[i % 2], *cmdb.opts],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(6)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    revisions = sorted(int(o.split("revision ")[1].split(")")[0]) for o, _ in outs)
    assert len(set(revisions)) == len(revisions) or all("unchanged" in o for o, _ in outs[1:])
    final = json.loads(cmdb.inventory())
    assert final["all"]["children"] in (["infra", "etcd", "pg-meta"],
                                        ["infra", "etcd", "pg-meta", "pg-test", "redis-test"])


def serve(cmdb, token=None, only=None):
    args = ["--set", f"dns.hosts_dir=[{cmdb.hosts_dir}]", "--set", f"scrape.targets_dir={cmdb.targets_dir}",
            "--set", "scrape.scrape_interval=1s", "--set", "scrape.scrape_timeout=1s"]
    if token:
        args += ["--set", f"cmdb.api_token={token}"]
    v = Vigil(extra_args=args, only=only)
    v.data_dir = cmdb.data_dir
    v.args[v.args.index("--data-dir") + 1] = cmdb.data_dir
    return v


def test_http_api_serves_the_same_json_as_the_cli_and_is_read_only_without_token(cmdb):
    cmdb.load(os.path.join(DATA, "sandbox.yml"))
    with serve(cmdb, only=["cmdb"]) as v:
        r = requests.get(v.url("cmdb", "/api/v1/cmdb/inventory"))
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/json")
        assert r.text == cmdb.inventory().rstrip("\n")
        assert requests.get(v.url("cmdb", "/api/v1/cmdb/inventory?host=10.10.10.11")).json() == {
            "pg_seq": 1, "pg_role": "primary"}
        hosts = requests.get(v.url("cmdb", "/api/v1/cmdb/hosts?group=redis-test")).json()
        assert hosts == [{"ip": "10.10.10.12", "groups": ["pg-test", "redis-test"]}]
        assert requests.get(v.url("cmdb", "/api/v1/cmdb/hosts?group=nope")).status_code == 404
        assert requests.get(v.url("cmdb", "/api/v1/cmdb/vars/pg_cluster?group=pg-test")).json() == "pg-test"
        assert "pg-test:" in requests.get(v.url("cmdb", "/api/v1/cmdb/dump")).text
        r = requests.put(v.url("cmdb", "/api/v1/cmdb/vars/region"), data="china")
        assert r.status_code == 403 and "read-only" in r.json()["error"]
        assert requests.post(v.url("cmdb", "/api/v1/cmdb/load"), data="all: {}").status_code == 403


def test_http_changes_need_the_token_and_regenerate_derived_files(cmdb):
    cmdb.load(os.path.join(DATA, "sandbox.yml"))
    auth = {"Authorization": "Bearer s3cret"}
    with serve(cmdb, token="s3cret", only=["cmdb"]) as v:
        url = v.url("cmdb", "/api/v1/cmdb/vars/pg_exporter_port?group=pg-test")
        r = requests.put(url, data="29630", headers={"Authorization": "Bearer wrong"})
        assert r.status_code == 401
        r = requests.put(url, data="29630", headers=auth)
        assert r.status_code == 200 and r.json()["changed"] is True, r.text
        assert "10.10.10.11:29630" in open(os.path.join(cmdb.targets_dir, "pgsql", "pg-test-1.yml")).read()
        assert requests.put(url, data="29630", headers=auth).json()["changed"] is False
        assert requests.delete(url, headers=auth).json()["changed"] is True
        assert requests.delete(url, headers=auth).status_code == 404
        # Bad bodies: clear error, nothing changed.
        before = requests.get(v.url("cmdb", "/api/v1/cmdb/inventory")).text
        r = requests.post(v.url("cmdb", "/api/v1/cmdb/load"), data=open(os.path.join(DATA, "conflict.yml")).read(),
                          headers=auth)
        assert r.status_code == 400 and "conflicting identity" in r.json()["error"]
        r = requests.post(v.url("cmdb", "/api/v1/cmdb/load"), data="all: [", headers=auth)
        assert r.status_code == 400 and r.json()["error"].startswith("body:1:")
        assert requests.get(v.url("cmdb", "/api/v1/cmdb/inventory")).text == before
        # A whole load through the API, then merge.
        r = requests.post(v.url("cmdb", "/api/v1/cmdb/load"), data=open(os.path.join(DATA, "meta1.yml")).read(),
                          headers=auth)
        assert r.status_code == 200 and r.json()["changed"] is True
        assert not os.path.exists(os.path.join(cmdb.targets_dir, "pgsql", "pg-test-1.yml"))
        r = requests.post(v.url("cmdb", "/api/v1/cmdb/load?merge=true"),
                          data="all: {children: {web: {hosts: {10.10.10.30: {}}}}}", headers=auth)
        assert r.json()["changed"] is True
        assert os.path.exists(os.path.join(cmdb.targets_dir, "node", "10.10.10.30.yml"))
        metrics = requests.get(v.url("cmdb", "/metrics")).text
        assert 'vigil_cmdb_changes_total{component="cmdb",result="changed"} 4' in metrics


def test_server_regenerates_after_a_change_by_another_process(cmdb, tmp_path):
    with serve(cmdb, only=["cmdb"]) as v:
        assert not os.path.exists(cmdb.targets_dir)  # never loaded: nothing derived
        other = list(cmdb.opts)
        other[other.index(f"scrape.targets_dir={cmdb.targets_dir}")] = f"scrape.targets_dir={tmp_path / 'elsewhere'}"
        r = run_vigil("cmdb", "load", os.path.join(DATA, "sandbox.yml"), *other)
        assert r.returncode == 0, r.stderr
        path = os.path.join(cmdb.targets_dir, "node", "10.10.10.13.yml")
        deadline = time.time() + 10
        while not os.path.exists(path) and time.time() < deadline:
            time.sleep(0.1)
        assert os.path.exists(path), v.read_log()


def test_scraper_picks_up_the_derived_targets_from_file_sd(cmdb):
    cmdb.load(os.path.join(DATA, "sandbox.yml"))
    with serve(cmdb, only=["metrics", "cmdb"]) as v:
        deadline = time.time() + 20
        want = {("node", "10.10.10.11:9101"), ("pgsql", "10.10.10.13:9854"), ("etcd", "10.10.10.10:2379"),
                ("redis", "10.10.10.12:9121"), ("ping", "127.0.0.1:9115"), ("infra", "10.10.10.10:3000")}
        seen = set()
        while time.time() < deadline:
            active = requests.get(v.url("metrics", "/api/v1/targets")).json()["data"]["activeTargets"]
            seen = {(t["labels"]["job"], t["scrapeUrl"].split("//")[1].split("/")[0]) for t in active}
            if want <= seen and len(active) >= 30:
                break
            time.sleep(0.5)
        assert want <= seen, want - seen
        node = [t for t in active if t["labels"].get("instance") == "10.10.10.11:9100"][0]
        assert {k: node["labels"][k] for k in ("ip", "ins", "cls", "job")} == {
            "ip": "10.10.10.11", "ins": "pg-test-1", "cls": "pg-test", "job": "node"}
        vip = [t for t in active if t["labels"].get("vip") == "10.10.10.3"]
        assert {t["labels"]["instance"] for t in vip} == {"10.10.10.3"} and len(vip) == 3


# ---------------------------------------------------------------- PostgreSQL

PG_BIN = "/usr/lib/postgresql/15/bin"


class Postgres:
    """A throwaway PostgreSQL 15 on a free loopback port, its socket and data
    in a temp dir. As root, the server runs as the `postgres` user (or
    nobody), since postgres refuses to run as root."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="vigil-pg-")
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.data = os.path.join(self.dir, "data")
        self.prefix = []
        if os.geteuid() == 0:
            user = "postgres"
            try:
                import pwd
                pwd.getpwnam(user)
            except KeyError:
                user = "nobody"
            shutil.chown(self.dir, user)
            self.prefix = ["runuser", "-u", user, "--"]

    def run(self, *args):
        r = subprocess.run([*self.prefix, *args], capture_output=True, text=True, timeout=120, cwd=self.dir)
        assert r.returncode == 0, r.stdout + r.stderr
        return r

    def start(self):
        self.run(f"{PG_BIN}/initdb", "-D", self.data, "-U", "vigil", "--auth=trust", "-E", "UTF8", "--no-locale")
        self.run(f"{PG_BIN}/pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "log"), "-w", "-t", "60",
                 "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
        return self

    def stop(self):
        subprocess.run([*self.prefix, f"{PG_BIN}/pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop"],
                       capture_output=True, timeout=60, cwd=self.dir)
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, db="postgres"):
        return f"postgres://vigil@127.0.0.1:{self.port}/{db}"

    def psql(self, sql, db="postgres"):
        return subprocess.run([f"{PG_BIN}/psql", self.url(db), "-AXtq", "-c", sql], capture_output=True, text=True,
                              timeout=60, check=True).stdout


@pytest.fixture(scope="module")
def postgres():
    if not os.path.exists(f"{PG_BIN}/initdb"):
        pytest.skip("PostgreSQL 15 not installed (Debian package postgresql)")
    pg = Postgres().start()
    yield pg
    pg.stop()


_db_counter = [0]


@pytest.fixture
def pg_url(postgres):
    """A fresh database per test."""
    _db_counter[0] += 1
    name = f"cmdb{_db_counter[0]}"
    postgres.psql(f"CREATE DATABASE {name}")
    return postgres.url(name)


@pytest.mark.parametrize("sample", SAMPLES, ids=os.path.basename)
def test_postgres_and_sqlite_give_byte_identical_inventory_json(tmp_path, pg_url, sample):
    lite = Cmdb(str(tmp_path / "lite"))
    pg = Cmdb(str(tmp_path / "pg"), url=pg_url)
    lite.load(sample)
    pg.load(sample)
    assert pg.inventory() == lite.inventory()
    assert pg.run("cmdb", "dump").stdout == lite.run("cmdb", "dump").stdout
    assert tree(pg.targets_dir) == tree(lite.targets_dir) and tree(pg.hosts_dir) == tree(lite.hosts_dir)
    assert not os.path.exists(pg.data_dir + "/cmdb.db")


@needs_ansible
def test_ansible_reads_the_postgres_backed_inventory_script(tmp_path, pg_url):
    pg = Cmdb(str(tmp_path), url=pg_url)
    pg.load(os.path.join(DATA, "sandbox.yml"))
    assert ansible_inventory(pg.script()) == ansible_inventory(os.path.join(DATA, "sandbox.yml"))


def test_postgres_schema_is_readable_and_the_inventory_view_matches(tmp_path, postgres, pg_url):
    pg = Cmdb(str(tmp_path), url=pg_url)
    pg.load(os.path.join(DATA, "sandbox.yml"))
    db = pg_url.rsplit("/", 1)[1]
    assert postgres.psql("SELECT max(version) FROM vigil.schema_version", db).strip() == "1"
    assert postgres.psql("SELECT string_agg(cls, ',' ORDER BY ord) FROM vigil.group", db).strip() == \
        "infra,etcd,pg-meta,pg-test,redis-test"
    assert postgres.psql("SELECT value FROM vigil.group_var WHERE cls = 'pg-test' AND key = 'pg_vip_address'",
                         db).strip() == '"10.10.10.3/24"'
    view = json.loads(postgres.psql("SELECT text FROM vigil.inventory", db))
    assert view == json.loads(pg.inventory())


def test_sqlite_inventory_view_matches(cmdb):
    cmdb.load(os.path.join(DATA, "sandbox.yml"))
    view = subprocess.run(["sqlite3", os.path.join(cmdb.data_dir, "cmdb.db"), "SELECT text FROM inventory"],
                          capture_output=True, text=True, check=True).stdout
    assert json.loads(view) == json.loads(cmdb.inventory())


def test_postgres_bad_input_and_concurrent_loads(tmp_path, pg_url):
    pg = Cmdb(str(tmp_path), url=pg_url)
    pg.load(os.path.join(DATA, "sandbox.yml"))
    before = pg.inventory()
    r = pg.load(os.path.join(DATA, "conflict.yml"), check=False)
    assert r.returncode == 1 and "conflicting identity" in r.stderr and pg.inventory() == before
    files = [os.path.join(DATA, "meta1.yml"), os.path.join(DATA, "sandbox.yml")]
    procs = [subprocess.Popen([os.environ.get("VIGIL_BIN", os.path.join(SOURCE_DIR, "build", "release", "vigil")),
                               "cmdb", "load", files[i % 2], *pg.opts],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(6)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    assert json.loads(pg.inventory())["all"]["children"] in (["infra", "etcd", "pg-meta"],
                                                            ["infra", "etcd", "pg-meta", "pg-test", "redis-test"])


def test_unreachable_postgres_is_a_clear_error(cmdb):
    r = run_vigil("cmdb", "dump", *cmdb.opts, "--set", f"cmdb.url=postgres://vigil@127.0.0.1:{free_port()}/x")
    assert r.returncode == 1 and "cannot connect to PostgreSQL" in r.stderr
