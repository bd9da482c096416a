"""The local software repository: `vigil repo build|sources|pack|unpack` on
.deb files made with dpkg-deb and .rpm files made with rpmbuild, served by
the portal under /pigsty and used by a real apt-get and a real dnf with
throwaway state directories."""

import gzip
import hashlib
import os
import shutil
import subprocess
import tempfile

import pytest
import requests

from conftest import Vigil, run_vigil


def make_deb(workdir, out_dir, name, version, compress="xz"):
    """Builds a tiny Architecture: all package with dpkg-deb; returns its path."""
    root = os.path.join(workdir, f"{name}-{version}")
    os.makedirs(os.path.join(root, "DEBIAN"))
    os.makedirs(os.path.join(root, "usr", "share", name))
    with open(os.path.join(root, "usr", "share", name, "hello.txt"), "w") as f:
        f.write(f"{name} {version}\n")
    with open(os.path.join(root, "DEBIAN", "control"), "w") as f:
        f.write(f"Package: {name}\nVersion: {version}\nArchitecture: all\nMaintainer: Vigil Test <t@example.com>\n"
                f"Section: misc\nPriority: optional\nDepends: libc6\n"
                f"Description: vigil repo test package {name}\n a second line\n .\n and a paragraph\n")
    out = os.path.join(out_dir, f"{name}_{version}_all.deb")
    subprocess.run(["dpkg-deb", f"-Z{compress}", "--root-owner-group", "--build", root, out], check=True,
                   capture_output=True)
    return out


def make_rpm(workdir, out_dir, name, version):
    """Builds a tiny noarch package with rpmbuild; returns its path."""
    spec = os.path.join(workdir, f"{name}.spec")
    with open(spec, "w") as f:
        f.write(f"Name: {name}\nVersion: {version}\nRelease: 1\nSummary: vigil repo test package {name}\n"
                "License: MIT\nBuildArch: noarch\n%description\nvigil repo test package\n"
                f"%install\nmkdir -p %{{buildroot}}/usr/share/{name}\n"
                f"echo {version} > %{{buildroot}}/usr/share/{name}/hello.txt\n"
                f"%files\n/usr/share/{name}/hello.txt\n")
    top = os.path.join(workdir, "rpmbuild")
    subprocess.run(["rpmbuild", "--define", f"_topdir {top}", "--define", f"_rpmdir {top}/out", "-bb", spec],
                   check=True, capture_output=True)
    built = os.path.join(top, "out", "noarch", f"{name}-{version}-1.noarch.rpm")
    out = os.path.join(out_dir, os.path.basename(built))
    shutil.copyfile(built, out)
    return out


@pytest.fixture
def repo_tree():
    with tempfile.TemporaryDirectory(prefix="vigil-repo-") as tmp:
        repo = os.path.join(tmp, "pigsty")
        os.makedirs(repo)
        work = os.path.join(tmp, "work")
        os.makedirs(work)
        debs = [make_deb(work, repo, "vigil-alpha", "1.0-1", "xz"),
                make_deb(work, repo, "vigil-beta", "2.3", "gzip"),
                make_deb(work, repo, "vigil-gamma", "0.1", "zstd")]
        yield {"tmp": tmp, "repo": repo, "debs": debs}


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def build(repo, *extra):
    return run_vigil("repo", "build", repo, "--data-dir", os.path.join(os.path.dirname(repo), "data"), *extra)


def test_build_writes_packages_release_and_marker(repo_tree):
    repo = repo_tree["repo"]
    r = build(repo)
    assert r.returncode == 0, r.stderr
    assert "indexed 3 .deb packages" in r.stdout
    packages = open(os.path.join(repo, "Packages")).read()
    paragraphs = [p for p in packages.split("\n\n") if p.strip()]
    assert [p.splitlines()[0] for p in paragraphs] == ["Package: vigil-alpha", "Package: vigil-beta",
                                                         "Package: vigil-gamma"]
    alpha = paragraphs[0]
    deb = os.path.join(repo, "vigil-alpha_1.0-1_all.deb")
    assert "Filename: ./vigil-alpha_1.0-1_all.deb\n" in alpha
    assert f"Size: {os.path.getsize(deb)}\n" in alpha
    assert f"SHA256: {sha256(deb)}\n" in alpha
    assert f"MD5sum: {hashlib.md5(open(deb, 'rb').read()).hexdigest()}\n" in alpha
    # Description (with its continuation lines) stays last, after the file fields.
    assert alpha.endswith("Description: vigil repo test package vigil-alpha\n a second line\n .\n and a paragraph")
    with gzip.open(os.path.join(repo, "Packages.gz"), "rt") as f:
        assert f.read() == packages
    release = open(os.path.join(repo, "Release")).read()
    for section in ("MD5Sum:", "SHA1:", "SHA256:"):
        assert section in release
    size = os.path.getsize(os.path.join(repo, "Packages"))
    assert f" {sha256(os.path.join(repo, 'Packages'))} {size:>16} Packages\n" in release
    # The marker is sha256sum's format: `sha256sum -c` accepts it.
    check = subprocess.run(["sha256sum", "-c", "--quiet", "repo_complete"], cwd=repo, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_build_is_skipped_while_marker_matches_and_redone_after_a_change(repo_tree):
    repo = repo_tree["repo"]
    assert build(repo).returncode == 0
    before = os.stat(os.path.join(repo, "Packages")).st_mtime_ns
    r = build(repo)
    assert r.returncode == 0 and "skipping the build" in r.stdout
    assert os.stat(os.path.join(repo, "Packages")).st_mtime_ns == before
    make_deb(os.path.join(repo_tree["tmp"], "work"), repo, "vigil-delta", "9", "xz")
    r = build(repo)
    assert r.returncode == 0 and "indexed 4 .deb packages" in r.stdout
    assert "Package: vigil-delta" in open(os.path.join(repo, "Packages")).read()


def test_build_skips_a_broken_deb_with_a_warning(repo_tree):
    repo = repo_tree["repo"]
    with open(os.path.join(repo, "broken_1_all.deb"), "wb") as f:
        f.write(b"!<arch>\ngarbage")
    r = build(repo)
    assert r.returncode == 0 and "indexed 3 .deb packages" in r.stdout
    assert "broken_1_all.deb" in r.stderr


def apt(tmp, base_url, *args, program="apt-get"):
    """Runs apt-get against only `base_url`, with state in `tmp`."""
    root = os.path.join(tmp, "apt")
    for d in ("state/lists/partial", "cache/archives/partial", "etc/preferences.d", "etc/apt.conf.d"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    sources = os.path.join(root, "etc", "sources.list")
    with open(sources, "w") as f:
        f.write(f"deb [trusted=yes] {base_url} ./\n")
    status = os.path.join(root, "status")
    open(status, "a").close()
    opts = ["-o", f"Dir::Etc::sourcelist={sources}", "-o", "Dir::Etc::sourceparts=-",
            "-o", f"Dir::Etc::preferencesparts={root}/etc/preferences.d", "-o", f"Dir::Etc::parts={root}/etc/apt.conf.d",
            "-o", f"Dir::State={root}/state", "-o", f"Dir::State::status={status}",
            "-o", f"Dir::Cache={root}/cache", "-o", "Debug::NoLocking=1", "-o", "APT::Sandbox::User=root",
            "-o", "Acquire::Languages=none", "-o", "Acquire::http::Proxy=false", "-o", "APT::Get::List-Cleanup=0"]
    return subprocess.run([program, "-q", *opts, *args], capture_output=True, text=True, timeout=120,
                          cwd=tmp)


def test_apt_get_updates_and_downloads_from_the_portal(repo_tree):
    repo = repo_tree["repo"]
    assert build(repo).returncode == 0
    cfg = f"repo:\n  dir: {repo}\ninfra_portal:\n  home: {{ domain: i.pigsty }}\n"
    with Vigil(config_text=cfg, only=["portal"]) as v:
        base = v.url("portal", "/pigsty")
        # The sources the portal hands out point at itself.
        listing = requests.get(v.url("portal", "/pigsty.list"), timeout=5)
        assert listing.status_code == 200 and listing.text == f"deb [trusted=yes] {base} ./\n"
        yum = requests.get(v.url("portal", "/pigsty.repo"), timeout=5).text
        assert yum.startswith("[pigsty-local]\n") and f"baseurl={base}\n" in yum and "gpgcheck=0\n" in yum
        r = apt(repo_tree["tmp"], base, "update")
        assert r.returncode == 0, r.stdout + r.stderr
        assert "W:" not in r.stdout + r.stderr and "E:" not in r.stdout + r.stderr, r.stdout + r.stderr
        r = apt(repo_tree["tmp"], base, "download", "vigil-beta")
        assert r.returncode == 0, r.stdout + r.stderr
        got = os.path.join(repo_tree["tmp"], "vigil-beta_2.3_all.deb")
        assert sha256(got) == sha256(os.path.join(repo, "vigil-beta_2.3_all.deb"))
        # apt sees the package's fields from our Packages index.
        r = apt(repo_tree["tmp"], base, "show", "vigil-gamma", program="apt-cache")
        assert r.returncode == 0 and "Version: 0.1" in r.stdout, r.stdout + r.stderr


def dnf(tmp, repo_file, *args):
    """Runs dnf with only the repositories of `repo_file` enabled, with its root and cache in `tmp`."""
    root = os.path.join(tmp, "dnf")
    os.makedirs(os.path.join(root, "repos"), exist_ok=True)
    shutil.copyfile(repo_file, os.path.join(root, "repos", "pigsty.repo"))
    return subprocess.run(["dnf", "-q", "-y", f"--installroot={root}/root", f"--setopt=reposdir={root}/repos",
                           f"--setopt=cachedir={root}/cache", "--releasever=9", *args],
                          capture_output=True, text=True, timeout=120, cwd=tmp)


def test_rpm_files_get_yum_metadata_that_dnf_reads_from_the_portal(repo_tree):
    repo, tmp = repo_tree["repo"], repo_tree["tmp"]
    rpm = make_rpm(os.path.join(tmp, "work"), repo, "vigil-delta", "1.2")
    r = build(repo)
    assert r.returncode == 0, r.stderr
    assert "indexed 3 .deb packages" in r.stdout and "yum metadata by createrepo_c" in r.stdout
    assert os.path.exists(os.path.join(repo, "repodata", "repomd.xml"))
    # The marker covers createrepo_c's files too, so a rebuild is skipped.
    marker = open(os.path.join(repo, "repo_complete")).read()
    assert "  repodata/repomd.xml\n" in marker and "  vigil-delta-1.2-1.noarch.rpm\n" in marker
    assert "skipping the build" in build(repo).stdout
    cfg = f"repo:\n  dir: {repo}\ninfra_portal:\n  home: {{ domain: i.pigsty }}\n"
    with Vigil(config_text=cfg, only=["portal"]) as v:
        repo_file = os.path.join(tmp, "pigsty.repo")
        with open(repo_file, "w") as f:
            f.write(requests.get(v.url("portal", "/pigsty.repo"), timeout=5).text)
        r = dnf(tmp, repo_file, "repoquery", "--available")
        assert r.returncode == 0 and r.stdout.split() == ["vigil-delta-0:1.2-1.noarch"], r.stdout + r.stderr
        r = dnf(tmp, repo_file, "install", "--downloadonly", "--destdir", os.path.join(tmp, "got"), "vigil-delta")
        assert r.returncode == 0, r.stdout + r.stderr
        assert sha256(os.path.join(tmp, "got", os.path.basename(rpm))) == sha256(rpm)


def test_repo_home_and_name_place_the_directory_and_its_url(repo_tree):
    # Pigsty's repo_home/repo_name: the repository is <home>/<name>, served at /<name>.
    tmp = repo_tree["tmp"]
    os.rename(repo_tree["repo"], os.path.join(tmp, "el9"))
    settings = ["--data-dir", os.path.join(tmp, "data"), "--set", f"repo.home={tmp}", "--set", "repo.name=el9"]
    r = run_vigil("repo", "build", *settings)  # no DIR: <home>/<name>
    assert r.returncode == 0 and "indexed 3 .deb packages" in r.stdout, r.stdout + r.stderr
    assert os.path.exists(os.path.join(tmp, "el9", "repo_complete"))
    r = run_vigil("repo", "sources", *settings, "--set", "admin_ip=10.10.10.10")
    assert r.stdout == "deb [trusted=yes] http://10.10.10.10/el9 ./\n"
    cfg = f"repo:\n  home: {tmp}\n  name: el9\ninfra_portal:\n  home: {{ domain: i.pigsty }}\n"
    with Vigil(config_text=cfg, only=["portal"]) as v:
        got = requests.get(v.url("portal", "/el9/Packages"), timeout=5)
        assert got.status_code == 200 and got.content == open(os.path.join(tmp, "el9", "Packages"), "rb").read()
        listing = requests.get(v.url("portal", "/pigsty.list"), timeout=5).text
        assert listing == f"deb [trusted=yes] {v.url('portal', '/el9')} ./\n"
        assert requests.get(v.url("portal", "/pigsty/Packages"), timeout=5).status_code == 404
        r = apt(tmp, v.url("portal", "/el9"), "update")
        assert r.returncode == 0 and "E:" not in r.stdout + r.stderr, r.stdout + r.stderr


def test_sources_command_prints_deb_line_and_yum_section():
    with tempfile.TemporaryDirectory() as tmp:
        r = run_vigil("repo", "sources", "--data-dir", tmp, "--set", "admin_ip=10.10.10.10")
        assert r.returncode == 0 and r.stdout == "deb [trusted=yes] http://10.10.10.10/pigsty ./\n"
        r = run_vigil("repo", "sources", "--os", "el", "--data-dir", tmp, "--set", "admin_ip=10.10.10.10")
        assert r.returncode == 0
        assert r.stdout.splitlines()[:3] == ["[pigsty-local]", "name=pigsty-local $releasever - $basearch",
                                             "baseurl=http://10.10.10.10/pigsty"]
        assert "module_hotfixes=1" in r.stdout and "gpgcheck=0" in r.stdout


def tree(path):
    out = {}
    for dirpath, _, files in os.walk(path):
        for name in files:
            full = os.path.join(dirpath, name)
            out[os.path.relpath(full, path)] = sha256(full)
    return out


def pack_unpack(*args, data):
    return run_vigil("repo", *args, "--data-dir", data)


def test_pack_unpack_round_trip_replaces_the_repo(repo_tree):
    repo, tmp = repo_tree["repo"], repo_tree["tmp"]
    data = os.path.join(tmp, "data")
    assert build(repo).returncode == 0
    bundle = os.path.join(tmp, "pigsty-pkg.tgz")
    r = pack_unpack("pack", bundle, "--dir", repo, data=data)
    assert r.returncode == 0, r.stderr
    names = subprocess.run(["tar", "tzf", bundle], capture_output=True, text=True, check=True).stdout.split()
    assert "pigsty/repo_complete" in names and "pigsty/vigil-alpha_1.0-1_all.deb" in names
    target = os.path.join(tmp, "restored", "pigsty")
    os.makedirs(target)
    with open(os.path.join(target, "old.txt"), "w") as f:
        f.write("replaced\n")
    r = pack_unpack("unpack", bundle, "--dir", target, data=data)
    assert r.returncode == 0, r.stderr
    assert tree(target) == tree(repo)
    assert os.listdir(os.path.dirname(target)) == ["pigsty"]  # no temp or old dirs left behind
    # An unpacked repo is complete: building it is skipped.
    assert "skipping the build" in build(target).stdout


def test_pack_refuses_a_repo_without_a_matching_marker(repo_tree):
    repo, tmp = repo_tree["repo"], repo_tree["tmp"]
    r = pack_unpack("pack", os.path.join(tmp, "x.tgz"), "--dir", repo, data=os.path.join(tmp, "data"))
    assert r.returncode != 0 and "vigil repo build" in r.stderr
    assert not os.path.exists(os.path.join(tmp, "x.tgz"))


@pytest.mark.parametrize("damage", ["truncated", "tampered_member", "extra_file", "garbage"])
def test_unpack_refuses_a_damaged_archive_and_keeps_the_old_repo(repo_tree, damage):
    repo, tmp = repo_tree["repo"], repo_tree["tmp"]
    data = os.path.join(tmp, "data")
    assert build(repo).returncode == 0
    bundle = os.path.join(tmp, "bundle.tgz")
    bad = os.path.join(tmp, "bad.tgz")
    if damage == "truncated":
        assert pack_unpack("pack", bundle, "--dir", repo, data=data).returncode == 0
        raw = open(bundle, "rb").read()
        open(bad, "wb").write(raw[: len(raw) * 2 // 3])
    elif damage == "garbage":
        open(bad, "wb").write(os.urandom(5000))
    else:
        # Rebuild the archive by hand with a changed package or an unlisted file;
        # the gzip/tar layers are intact, only the marker check can catch it.
        staging = os.path.join(tmp, "staging")
        shutil.copytree(repo, os.path.join(staging, "pigsty"))
        if damage == "tampered_member":
            with open(os.path.join(staging, "pigsty", "vigil-beta_2.3_all.deb"), "ab") as f:
                f.write(b"evil")
        else:
            with open(os.path.join(staging, "pigsty", "extra.sh"), "w") as f:
                f.write("#!/bin/sh\n")
        subprocess.run(["tar", "czf", bad, "-C", staging, "pigsty"], check=True)
    target = os.path.join(tmp, "live", "pigsty")
    shutil.copytree(repo, target)
    before = tree(target)
    r = pack_unpack("unpack", bad, "--dir", target, data=data)
    assert r.returncode == 1, r.stdout
    assert "left unchanged" in r.stderr
    assert tree(target) == before
    assert sorted(os.listdir(os.path.dirname(target))) == ["pigsty"]


def test_unpack_refuses_members_escaping_the_directory(repo_tree):
    tmp = repo_tree["tmp"]
    evil_dir = os.path.join(tmp, "evil")
    os.makedirs(os.path.join(evil_dir, "pigsty"))
    open(os.path.join(evil_dir, "pigsty", "a.txt"), "w").write("x")
    os.symlink("/etc/passwd", os.path.join(evil_dir, "pigsty", "link"))
    bad = os.path.join(tmp, "evil.tgz")
    subprocess.run(["tar", "czf", bad, "-C", evil_dir, "pigsty"], check=True)
    target = os.path.join(tmp, "t", "pigsty")
    r = pack_unpack("unpack", bad, "--dir", target, data=os.path.join(tmp, "data"))
    assert r.returncode == 1 and "only files and directories" in r.stderr
    assert not os.path.exists(target)
