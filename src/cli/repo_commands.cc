#include "cli/repo_commands.h"

#include <arpa/inet.h>

#include <cstdio>

#include "base/file_util.h"
#include "portal/pki.h"
#include "repo/repo_archive.h"
#include "repo/repo_builder.h"
#include "repo/sources.h"

namespace vigil::cli {
namespace {

bool Load(const config::LoadOptions& opts, config::Settings* settings) {
  std::vector<config::ConfigError> errors;
  if (config::LoadSettings(opts, settings, &errors)) return true;
  for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.ToString().c_str());
  return false;
}

int Fail(const Status& st) {
  std::fprintf(stderr, "vigil: %s\n", st.message().c_str());
  return 1;
}

repo::RepoLocation Location(const config::Settings& settings) {
  const config::ComponentSettings* repo = settings.Find("repo");
  if (repo == nullptr) return repo::LocateRepo("/www", "pigsty", "");
  return repo::LocateRepo(config::GetString(repo->section, "home"), config::GetString(repo->section, "name"),
                          config::GetString(repo->section, "dir"));
}

std::string RepoDir(const config::Settings& settings, const std::string& given) {
  return given.empty() ? Location(settings).dir : given;
}

// The port of portal.listen, 80 when it cannot be read.
int PortalPort(const config::Settings& settings) {
  const config::ComponentSettings* portal = settings.Find("portal");
  if (portal == nullptr) return 80;
  std::string listen = config::GetString(portal->section, "listen");
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return 80;
  try {
    return std::stoi(listen.substr(colon + 1));
  } catch (...) {
    return 80;
  }
}

bool IsIp(const std::string& s) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, s.c_str(), buf) == 1 || ::inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

}  // namespace

int RepoBuildCommand(const config::LoadOptions& opts, const std::string& dir, bool force) {
  config::Settings settings;
  if (!Load(opts, &settings)) return 2;
  repo::BuildOptions bo;
  bo.dir = RepoDir(settings, dir);
  bo.force = force;
  auto report = repo::BuildRepo(bo);
  if (!report.ok()) return Fail(report.status());
  for (const auto& w : report->warnings) std::fprintf(stderr, "vigil: warning: %s\n", w.c_str());
  if (report->skipped) {
    std::printf("%s: repo_complete matches all %zu files; skipping the build (--force rebuilds)\n", bo.dir.c_str(),
                report->files);
    return 0;
  }
  std::printf("%s: indexed %zu .deb packages (Packages, Packages.gz, Release)%s; repo_complete lists %zu files\n",
              bo.dir.c_str(), report->packages, report->yum ? ", yum metadata by createrepo_c" : "", report->files);
  return 0;
}

int RepoSourcesCommand(const config::LoadOptions& opts, const std::string& os) {
  config::Settings settings;
  if (!Load(opts, &settings)) return 2;
  std::string base = repo::RepoBaseUrl(settings.admin_ip, PortalPort(settings), Location(settings).url_path);
  if (os == "el" || os == "rpm") {
    std::printf("%s", repo::YumRepoFile(base).c_str());
  } else if (os == "deb" || os == "debian" || os.empty()) {
    std::printf("%s", repo::AptSourceList(base).c_str());
  } else {
    std::fprintf(stderr, "vigil: --os must be deb or el, not %s\n", os.c_str());
    return 2;
  }
  return 0;
}

int RepoPackCommand(const config::LoadOptions& opts, const std::string& out, const std::string& dir) {
  config::Settings settings;
  if (!Load(opts, &settings)) return 2;
  std::string repo_dir = RepoDir(settings, dir);
  auto report = repo::PackRepo(repo_dir, out);
  if (!report.ok()) return Fail(report.status());
  std::printf("%s: packed %zu files (%llu bytes) from %s\n", out.c_str(), report->files,
              static_cast<unsigned long long>(report->bytes), repo_dir.c_str());
  return 0;
}

int RepoUnpackCommand(const config::LoadOptions& opts, const std::string& in, const std::string& dir) {
  config::Settings settings;
  if (!Load(opts, &settings)) return 2;
  std::string repo_dir = RepoDir(settings, dir);
  auto report = repo::UnpackRepo(in, repo_dir);
  if (!report.ok()) {
    std::fprintf(stderr, "vigil: %s\nvigil: %s left unchanged\n", report.status().message().c_str(),
                 repo_dir.c_str());
    return 1;
  }
  std::printf("%s: unpacked %zu files (%llu bytes) from %s; every checksum matches repo_complete\n",
              repo_dir.c_str(), report->files, static_cast<unsigned long long>(report->bytes), in.c_str());
  return 0;
}

int PkiShowCommand(const config::LoadOptions& opts) {
  config::Settings settings;
  if (!Load(opts, &settings)) return 2;
  std::string path = settings.data_dir + "/pki/ca.crt";
  auto info = portal::DescribeCertificate(path);
  if (!info.ok()) {
    return Fail(Status::NotFound(info.status().message() +
                                 " (the CA is created when the portal starts with HTTPS, or by `vigil pki issue`)"));
  }
  std::printf("file:        %s\n", path.c_str());
  std::printf("subject:     %s\n", info->subject.c_str());
  std::printf("issuer:      %s\n", info->issuer.c_str());
  std::printf("not before:  %s\n", info->not_before.c_str());
  std::printf("not after:   %s\n", info->not_after.c_str());
  std::printf("serial:      %s\n", info->serial.c_str());
  std::printf("sha256:      %s\n", info->sha256_fingerprint.c_str());
  std::printf("ca:          %s\n", info->is_ca ? "true" : "false");
  return 0;
}

int PkiIssueCommand(const config::LoadOptions& opts, const PkiIssueRequest& req) {
  config::Settings settings;
  if (!Load(opts, &settings)) return 2;
  if (req.name.empty() || req.name.find('/') != std::string::npos) {
    std::fprintf(stderr, "vigil: --name must be a plain name (it becomes <out>/<name>.crt)\n");
    return 2;
  }
  for (const auto& ip : req.ips) {
    if (!IsIp(ip)) {
      std::fprintf(stderr, "vigil: --ip %s is not an IP address\n", ip.c_str());
      return 2;
    }
  }
  std::string ca_dir = settings.data_dir + "/pki";
  if (Status st = portal::EnsureCertificateAuthority(ca_dir); !st.ok()) return Fail(st);
  std::vector<std::string> names = req.dns;
  names.insert(names.end(), req.ips.begin(), req.ips.end());
  if (names.empty()) names.push_back(req.name);
  if (Status st = EnsureDir(req.out_dir); !st.ok()) return Fail(st);
  std::string cert = req.out_dir + "/" + req.name + ".crt", key = req.out_dir + "/" + req.name + ".key";
  if (Status st = portal::IssueCertificate(ca_dir, names, req.days, cert, key, req.name); !st.ok()) return Fail(st);
  auto info = portal::DescribeCertificate(cert);
  std::printf("%s\n%s\n", cert.c_str(), key.c_str());
  if (info.ok()) {
    std::string sans;
    for (const auto& s : info->sans) sans += (sans.empty() ? "" : ", ") + s;
    std::printf("subject: %s\nissuer: %s\nnot after: %s\nsans: %s\n", info->subject.c_str(), info->issuer.c_str(),
                info->not_after.c_str(), sans.c_str());
  }
  return 0;
}

}  // namespace vigil::cli
