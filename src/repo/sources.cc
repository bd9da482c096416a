#include "repo/sources.h"

namespace vigil::repo {

RepoLocation LocateRepo(std::string_view home, std::string_view name, std::string_view dir) {
  RepoLocation out;
  if (!dir.empty()) {
    out.dir = dir;
  } else {
    out.dir = home;
    if (out.dir.empty() || out.dir.back() != '/') out.dir += '/';
    out.dir += name;
  }
  out.url_path = "/" + std::string(name);
  return out;
}

std::string RepoBaseUrl(std::string_view host, int port, std::string_view url_path) {
  std::string url = "http://";
  url += host;
  if (port != 80 && port > 0) url += ":" + std::to_string(port);
  url += url_path;
  return url;
}

std::string AptSourceList(std::string_view base_url) {
  return "deb [trusted=yes] " + std::string(base_url) + " ./\n";
}

std::string YumRepoFile(std::string_view base_url) {
  std::string out = "[pigsty-local]\n";
  out += "name=pigsty-local $releasever - $basearch\n";
  out += "baseurl=" + std::string(base_url) + "\n";
  out += "skip_if_unavailable=1\n";
  out += "enabled=1\n";
  out += "priority=1\n";
  out += "gpgcheck=0\n";
  out += "module_hotfixes=1\n";
  return out;
}

}  // namespace vigil::repo
