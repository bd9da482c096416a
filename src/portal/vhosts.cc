#include "portal/vhosts.h"

#include <algorithm>
#include <filesystem>

#include "portal/nginx_snippet.h"

namespace vigil::portal {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// True for YAML true/yes/on (Ansible's spellings) in any case.
bool Truthy(const YAML::Node& n) {
  if (!n || !n.IsScalar()) return false;
  std::string v = Lower(n.Scalar());
  return v == "true" || v == "yes" || v == "on" || v == "1";
}

bool ValidHostPort(std::string_view s) {
  size_t colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == s.size()) return false;
  std::string_view port = s.substr(colon + 1);
  if (port.size() > 5) return false;
  return std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsRegularFile(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

}  // namespace

std::optional<CertificateFiles> OwnCertificate(const VirtualHost& v, std::string_view letsencrypt_live) {
  if (!v.cert.empty()) return CertificateFiles{v.cert, v.key};
  if (v.certbot.empty()) return std::nullopt;
  std::string live = std::string(letsencrypt_live) + "/" + v.certbot;
  CertificateFiles files{live + "/fullchain.pem", live + "/privkey.pem"};
  if (!IsRegularFile(files.cert_file) || !IsRegularFile(files.key_file)) return std::nullopt;
  return files;
}

std::string NormalizeHost(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    host = host.substr(0, close == std::string_view::npos ? host.size() : close + 1);
  } else if (size_t colon = host.find(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  return Lower(host);
}

Result<VirtualHosts> VirtualHosts::Parse(const YAML::Node& infra_portal, std::string_view www,
                                         std::string_view ssl_mode) {
  VirtualHosts out;
  if (!infra_portal || !infra_portal.IsMap()) return out;
  for (auto it = infra_portal.begin(); it != infra_portal.end(); ++it) {
    const std::string name = it->first.Scalar();
    const YAML::Node e = it->second;  // a copy: the iterator yields a temporary
    auto bad = [&](const std::string& key, const std::string& why) {
      return Status::InvalidArgument("infra_portal." + name + "." + key + ": " + why);
    };
    if (!e.IsMap()) return Status::InvalidArgument("infra_portal." + name + ": expected a map");
    VirtualHost v;
    v.name = name;
    v.is_home = name == "home";
    if (e["domain"] && e["domain"].IsScalar() && !e["domain"].Scalar().empty()) {
      v.domains.push_back(NormalizeHost(e["domain"].Scalar()));
    }
    if (const YAML::Node& ds = e["domains"]; ds) {
      if (!ds.IsSequence()) return bad("domains", "expected a list of domain names");
      for (const auto& d : ds) {
        if (!d.IsScalar()) return bad("domains", "expected a list of domain names");
        v.domains.push_back(NormalizeHost(d.Scalar()));
      }
    }
    if (const YAML::Node& ep = e["endpoint"]; ep && !ep.IsNull()) {
      if (!ep.IsScalar() || !ValidHostPort(ep.Scalar())) {
        return bad("endpoint", "expected host:port such as 127.0.0.1:3000");
      }
      v.endpoint = ep.Scalar();
    }
    if (const YAML::Node& sc = e["scheme"]; sc && !sc.IsNull()) {
      v.scheme = Lower(sc.Scalar());
      if (v.scheme != "http" && v.scheme != "https") return bad("scheme", "expected http or https");
    }
    if (!v.endpoint.empty()) v.upstream_base = v.scheme + "://" + v.endpoint;
    if (e["path"] && e["path"].IsScalar()) v.path = e["path"].Scalar();
    if (v.is_home && v.path.empty()) v.path = std::string(www);
    // Pigsty turns autoindex on for `index: true`; home lists unless told not to.
    v.listing = e["index"] ? Truthy(e["index"]) : v.is_home;
    v.websocket = Truthy(e["websocket"]);
    v.enforce_https = Truthy(e["enforce_https"]) || ssl_mode == "enforce";
    if (e["cert"] && e["cert"].IsScalar()) v.cert = e["cert"].Scalar();
    if (e["key"] && e["key"].IsScalar()) v.key = e["key"].Scalar();
    if (v.cert.empty() != v.key.empty()) return bad(v.cert.empty() ? "cert" : "key", "cert and key go together");
    if (e["certbot"] && e["certbot"].IsScalar()) v.certbot = e["certbot"].Scalar();
    v.auth = Truthy(e["auth"]);
    v.realm = e["realm"] && e["realm"].IsScalar() && !e["realm"].Scalar().empty() ? e["realm"].Scalar() : "Pigsty Home Auth";
    if (const YAML::Node& cfg = e["config"]; cfg && !cfg.IsNull()) {
      if (!cfg.IsScalar()) return bad("config", "expected nginx directives as text");
      auto snippet = ParseSnippet(cfg.Scalar());
      if (!snippet.ok()) return bad("config", snippet.status().message());
      if (!snippet->empty()) v.config = std::make_shared<const Snippet>(std::move(*snippet));
    }
    v.log = !e["log"] || !e["log"].IsScalar() || Lower(e["log"].Scalar()) != "false";
    if (v.is_home) out.default_index_ = static_cast<int>(out.hosts_.size());
    out.hosts_.push_back(std::move(v));
  }
  if (out.default_index_ < 0 && !out.hosts_.empty()) out.default_index_ = 0;
  return out;
}

const VirtualHost* VirtualHosts::Match(std::string_view host) const {
  std::string h = NormalizeHost(host);
  if (!h.empty()) {
    for (const auto& v : hosts_) {
      if (std::find(v.domains.begin(), v.domains.end(), h) != v.domains.end()) return &v;
    }
  }
  return default_index_ < 0 ? nullptr : &hosts_[static_cast<size_t>(default_index_)];
}

std::vector<std::string> VirtualHosts::AllDomains() const {
  std::vector<std::string> out;
  for (const auto& v : hosts_) out.insert(out.end(), v.domains.begin(), v.domains.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace vigil::portal
