#pragma once
// The client-side definitions other nodes use to install from the local
// repository, in the shape of Pigsty's `local` repo_upstream module:
//   apt: deb [trusted=yes] http://<admin_ip>/pigsty ./
//   yum: a [pigsty-local] section with gpgcheck=0, priority=1, ...
//
// Thread-safety: free functions without shared state.

#include <string>
#include <string_view>

namespace vigil::repo {

// "http://<host>[:<port>]/pigsty": the URL the repository is served at by
// the portal; the port is left out when it is 80.
std::string RepoBaseUrl(std::string_view host, int port);

// The sources.list line (with newline) for `base_url`.
std::string AptSourceList(std::string_view base_url);

// The .repo file text for `base_url`.
std::string YumRepoFile(std::string_view base_url);

}  // namespace vigil::repo
