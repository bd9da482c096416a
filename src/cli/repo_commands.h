#pragma once
// `vigil repo ...` and `vigil pki ...`: offline commands over the local
// software repository (src/repo) and the portal's CA (src/portal/pki.h).
// Each returns the process exit code: 0 success, 1 failure, 2 usage or
// configuration error; messages go to stderr, results to stdout.

#include <string>
#include <vector>

#include "config/config.h"

namespace vigil::cli {

// `vigil repo build [DIR] [--force]`: DIR defaults to <repo.home>/<repo.name> (repo.dir when set).
int RepoBuildCommand(const config::LoadOptions& opts, const std::string& dir, bool force);

// `vigil repo sources [--os deb|el]`: the client definition for other nodes.
int RepoSourcesCommand(const config::LoadOptions& opts, const std::string& os);

// `vigil repo pack OUT.tgz [--dir DIR]`.
int RepoPackCommand(const config::LoadOptions& opts, const std::string& out, const std::string& dir);

// `vigil repo unpack IN.tgz [--dir DIR]`.
int RepoUnpackCommand(const config::LoadOptions& opts, const std::string& in, const std::string& dir);

// `vigil pki show`: the CA's subject, validity and fingerprint.
int PkiShowCommand(const config::LoadOptions& opts);

// What `vigil pki issue` is asked for.
struct PkiIssueRequest {
  std::string name;              // CN and file stem
  std::vector<std::string> ips;  // IP SANs
  std::vector<std::string> dns;  // DNS SANs
  std::string out_dir;           // writes <out>/<name>.crt and .key
  int days = 7300;               // as Pigsty's infra node certificates
};

// `vigil pki issue --name N [--ip IP ...] [--dns D ...] --out DIR`.
int PkiIssueCommand(const config::LoadOptions& opts, const PkiIssueRequest& req);

}  // namespace vigil::cli
