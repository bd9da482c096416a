#pragma once
// Virtual hosts of the portal, read from Pigsty's `infra_portal` map. Each
// entry becomes one VirtualHost matched by the Host header (or SNI); the
// entry named `home` is the default server, as in Pigsty's nginx templates.
//
// Thread-safety: VirtualHosts is immutable after Parse and safe to read from
// any thread.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "base/status.h"

namespace vigil::portal {

struct Snippet;

// One `infra_portal` entry.
struct VirtualHost {
  std::string name;                  // the entry's key: "home", "grafana"
  std::vector<std::string> domains;  // lowercase; `domain` first, then `domains`
  std::string endpoint;              // "host:port" to proxy to; empty: not a proxy
  std::string scheme = "http";       // of the endpoint: http or https
  std::string upstream_base;         // "scheme://endpoint"; empty: not a proxy
  std::string path;                  // static root; empty: none (home: portal.www)
  bool listing = false;              // `index: true`: directory listing (home: unless `index: false`)
  bool websocket = false;            // `websocket: true`: Upgrade requests are proxied
  bool enforce_https = false;        // redirect http to https (ACME path exempt)
  std::string cert;                  // PEM certificate file overriding the generated one
  std::string key;                   // its private key
  std::string certbot;               // name under /etc/letsencrypt/live/
  bool log = true;                   // `log: false` turns the access log of this vhost off
  bool auth = false;                 // `auth: true`: HTTP basic auth against portal.htpasswd
  std::string realm;                 // `realm`, shown by browsers; default "Pigsty Home Auth" (Pigsty's)
  std::shared_ptr<const Snippet> config;  // parsed `config:` text; null when absent
  bool is_home = false;
};

class VirtualHosts {
 public:
  // Reads the `infra_portal` map. `www` is the static root of `home`;
  // `ssl_mode` "enforce" sets enforce_https on every entry. Fails with
  // InvalidArgument naming the entry and key when a value has the wrong
  // shape (endpoint not host:port, scheme other than http/https, ...), or
  // a `config:` snippet does not parse ("infra_portal.x.config: line 2:
  // unsupported directive \"gzip\"").
  static Result<VirtualHosts> Parse(const YAML::Node& infra_portal, std::string_view www, std::string_view ssl_mode);

  // The vhost serving `host` (a Host header value: port and case ignored,
  // trailing dot allowed); the default server (`home`, else the first
  // entry) when no domain matches; null when there are no entries.
  const VirtualHost* Match(std::string_view host) const;

  // Every domain of every entry, sorted and unique (for certificate SANs).
  std::vector<std::string> AllDomains() const;

  const std::vector<VirtualHost>& hosts() const { return hosts_; }

 private:
  std::vector<VirtualHost> hosts_;
  int default_index_ = -1;
};

// A PEM certificate chain and its private key.
struct CertificateFiles {
  std::string cert_file;
  std::string key_file;
};

// The certificate `v` serves instead of the CA-signed default: its `cert`
// and `key` when set; else, for a `certbot` name, the pair
// `<letsencrypt_live>/<name>/{fullchain,privkey}.pem` once both files exist
// (as certbot leaves them); else nullopt.
std::optional<CertificateFiles> OwnCertificate(const VirtualHost& v,
                                               std::string_view letsencrypt_live = "/etc/letsencrypt/live");

// Host header value without the port, lowercase, without a trailing dot.
// "[::1]:80" -> "[::1]".
std::string NormalizeHost(std::string_view host);

}  // namespace vigil::portal
