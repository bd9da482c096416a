#pragma once
// Where the local repository lives and the client-side definitions other
// nodes use to install from it, in the shape of Pigsty's `local`
// repo_upstream module:
//   apt: deb [trusted=yes] http://<admin_ip>/pigsty ./
//   yum: a [pigsty-local] section with gpgcheck=0, priority=1, ...
//
// Thread-safety: free functions without shared state.

#include <string>
#include <string_view>

namespace vigil::repo {

// The repository's directory and the URL path the portal serves it at.
struct RepoLocation {
  std::string dir;       // `dir` when given, else <home>/<name> (Pigsty: /www/pigsty)
  std::string url_path;  // "/<name>" (Pigsty: /pigsty)
};

// Resolves the `repo` section's `home`, `name` and `dir` (which may be "").
// `name` is taken as one path segment (the config loader checks that).
RepoLocation LocateRepo(std::string_view home, std::string_view name, std::string_view dir);

// "http://<host>[:<port>]<url_path>": the URL the repository is served at
// by the portal; the port is left out when it is 80.
std::string RepoBaseUrl(std::string_view host, int port, std::string_view url_path);

// The sources.list line (with newline) for `base_url`.
std::string AptSourceList(std::string_view base_url);

// The .repo file text for `base_url`.
std::string YumRepoFile(std::string_view base_url);

}  // namespace vigil::repo
