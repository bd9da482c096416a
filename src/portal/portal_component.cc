#include "portal/portal_component.h"

#include <sys/stat.h>

#include <chrono>

#include "base/log.h"
#include "net/runtime.h"
#include "portal/access_log.h"
#include "portal/htpasswd.h"
#include "portal/log_shipper.h"
#include "portal/pki.h"
#include "portal/reverse_proxy.h"
#include "portal/snippet_router.h"
#include "portal/static_files.h"
#include "portal/vhosts.h"
#include "repo/sources.h"

namespace vigil::portal {
namespace {

// Pigsty v4's sub-paths of the home server and the component behind each.
struct SubPath {
  std::string_view prefix;  // with both slashes
  std::string_view component;
};
constexpr SubPath kHomeSubPaths[] = {
    {"/ui/", "ui"},           {"/vmetrics/", "metrics"},  {"/vlogs/", "logs"},     {"/vtraces/", "traces"},
    {"/vmalert/", "rules"},   {"/alertmgr/", "alertmanager"}, {"/blackbox/", "probe"},
};

constexpr std::string_view kAcmePrefix = "/.well-known/acme-challenge/";

bool FileExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// True for the home paths Pigsty's home.conf serves with `auth_basic off`
// when the home entry has `auth: true`: /ui/ always, and the static root
// (everything but the component sub-paths) while directory listing is on.
bool HomeAuthExempt(std::string_view path, bool listing) {
  if (path == "/ui" || path.starts_with("/ui/")) return true;
  if (!listing) return false;
  for (const auto& sub : kHomeSubPaths) {
    if (sub.component == "ui") continue;
    std::string_view bare = sub.prefix.substr(0, sub.prefix.size() - 1);
    if (path == bare || path.starts_with(sub.prefix)) return false;
  }
  return true;
}

net::HttpResponse Redirect(int status, std::string location) {
  net::HttpResponse r = ErrorPage(status, "");
  r.SetHeader("Location", std::move(location));
  return r;
}

}  // namespace

// Everything a request needs to be routed; rebuilt on reload.
struct PortalComponent::State {
  VirtualHosts vhosts;
  std::string ca_cert;  // served at /ca.crt; empty when HTTPS is off
  std::string www;
  uint16_t https_port = 0;  // for enforce_https redirects; 0 = no HTTPS
  std::unique_ptr<StaticFiles> repo;  // /pigsty
  std::vector<std::unique_ptr<StaticFiles>> statics;  // per vhost index, null without `path`
  std::unique_ptr<StaticFiles> acme;  // <www>/acme
  std::vector<std::unique_ptr<SnippetRouter>> snippets;  // per vhost index, null without `config`
  std::shared_ptr<HtpasswdFile> htpasswd;  // portal.htpasswd, for `auth: true` entries
};

PortalComponent::PortalComponent(const service::ServiceContext& ctx, const config::Settings& settings,
                                 const config::ComponentSettings& own)
    : HttpComponent(ctx, settings, own), settings_(settings) {}

PortalComponent::~PortalComponent() { Stop(std::chrono::milliseconds(0)); }

uint16_t PortalComponent::https_port() const { return https_ ? https_->port() : 0; }

std::shared_ptr<const PortalComponent::State> PortalComponent::state() const {
  return state_.load();
}

Result<std::shared_ptr<const PortalComponent::State>> PortalComponent::BuildState(
    const config::Settings& settings) const {
  const config::ComponentSettings* own = settings.Find("portal");
  if (own == nullptr) return Status::Internal("no portal section");
  std::string www = config::GetString(own->section, "www");
  std::string ssl_mode = config::GetString(own->section, "ssl_mode");
  auto vhosts = VirtualHosts::Parse(settings.infra_portal, www, ssl_mode);
  if (!vhosts.ok()) return vhosts.status();
  auto st = std::make_shared<State>();
  st->vhosts = std::move(*vhosts);
  st->www = www;
  st->https_port = https_ ? https_->port() : 0;
  if (const config::ComponentSettings* repo = settings.Find("repo"); repo != nullptr && repo->enabled) {
    st->repo = std::make_unique<StaticFiles>(config::GetString(repo->section, "dir"), true);
  }
  for (const auto& v : st->vhosts.hosts()) {
    st->statics.push_back(v.path.empty() ? nullptr : std::make_unique<StaticFiles>(v.path, v.listing));
  }
  st->acme = std::make_unique<StaticFiles>(www + "/acme", false);
  for (const auto& v : st->vhosts.hosts()) {
    if (!v.config) {
      st->snippets.push_back(nullptr);
      continue;
    }
    // The vhost's own routes compete with the snippet's locations as prefixes.
    std::vector<std::string> builtins = {"/"};
    if (v.is_home) {
      for (const auto& sub : kHomeSubPaths) builtins.emplace_back(sub.prefix);
      builtins.emplace_back("/pigsty");
    }
    st->snippets.push_back(std::make_unique<SnippetRouter>(*v.config, std::move(builtins),
                                                           v.domains.empty() ? settings.admin_ip : v.domains[0]));
  }
  st->htpasswd = std::make_shared<HtpasswdFile>(config::GetString(own->section, "htpasswd"));
  if (ssl_mode != "disable" && !config::GetString(own->section, "listen_https").empty()) {
    st->ca_cert = settings.data_dir + "/pki/ca.crt";
  }
  return std::shared_ptr<const State>(std::move(st));
}

void PortalComponent::RegisterRoutes(net::Router& router) {
  router_ = &router;
  router.SetErrorFormatter([](int status, std::string_view message) { return ErrorPage(status, message); });
  net::RouteOptions streamed;
  streamed.stream_body = true;  // proxied bodies are streamed, never held whole
  router.HandleAsync(
      {}, "/*path", [this](net::HttpRequest& req, net::Responder done) { Handle(req, std::move(done)); }, streamed);
}

Status PortalComponent::StartService() {
  auto built = BuildState(settings_);
  if (!built.ok()) return built.status();
  state_.store(*built);
  const config::ComponentSettings* own = settings_.Find("portal");
  ProxyOptions proxy_options;
  if (own != nullptr) proxy_options.read_timeout = config::GetDuration(own->section, "proxy_read_timeout");
  proxy_ = std::make_unique<ReverseProxy>(proxy_options);
  std::string log_dir = own != nullptr ? config::GetString(own->section, "log_dir") : "";
  access_log_ = std::make_unique<AccessLog>(log_dir);
  // The access log also goes into the logs component when it runs here.
  for (const auto& [name, addr] : context().http_endpoints) {
    if (name == "logs") shipper_ = std::make_unique<AccessLogShipper>(context().runtime->io(), addr);
  }
  if (Status st = StartHttps(); !st.ok()) return st;
  // The redirect target port is known only now.
  if (auto rebuilt = BuildState(settings_); rebuilt.ok()) state_.store(*rebuilt);
  return Status::Ok();
}

Status PortalComponent::StartHttps() {
  const config::ComponentSettings* own = settings_.Find("portal");
  if (own == nullptr) return Status::Ok();
  std::string listen = config::GetString(own->section, "listen_https");
  if (listen.empty() || config::GetString(own->section, "ssl_mode") == "disable") return Status::Ok();
  auto st = state();
  std::vector<std::string> names = st->vhosts.AllDomains();
  names.push_back("localhost");
  names.push_back(settings_.admin_ip);
  auto pki = EnsureServerCertificate(settings_.data_dir + "/pki", names);
  if (!pki.ok()) return Status::IOError("portal certificates in " + settings_.data_dir + "/pki: " + pki.status().message());

  net::HttpServerOptions opts;
  opts.name = "portal-https";
  opts.listen = listen;
  opts.max_header_bytes = settings_.http.max_header_size;
  opts.idle_timeout = settings_.http.idle_timeout;
  opts.read_timeout = settings_.http.read_timeout;
  opts.max_connections = settings_.http.max_connections;
  opts.gzip_min_bytes = settings_.http.gzip_min_size;
  opts.max_body_bytes = config::GetSize(own->section, "max_body_size");
  // The CA-signed certificate is the default; entries with their own win by SNI.
  opts.tls_certificates.push_back({pki->server_cert, pki->server_key, {}});
  for (const auto& v : st->vhosts.hosts()) {
    if (!v.cert.empty()) {
      opts.tls_certificates.push_back({v.cert, v.key, v.domains});
    } else if (!v.certbot.empty()) {
      std::string live = "/etc/letsencrypt/live/" + v.certbot;
      if (FileExists(live + "/fullchain.pem") && FileExists(live + "/privkey.pem")) {
        opts.tls_certificates.push_back({live + "/fullchain.pem", live + "/privkey.pem", v.domains});
      }
    }
  }
  https_ = std::make_unique<net::HttpServer>(*context().runtime, opts, *router_, &registry());
  if (Status s = https_->Start(); !s.ok()) {
    https_.reset();
    return s;
  }
  VLOG_INFO("portal https started", {{"listen", https_->local_address()}, {"ca", pki->ca_cert}});
  return Status::Ok();
}

void PortalComponent::StopService() {
  if (shipper_) shipper_->Stop();
  if (https_) https_->Stop(std::chrono::seconds(2));
  https_.reset();
}

void PortalComponent::ReloadRelated(const config::Settings& settings) {
  settings_ = settings;
  auto built = BuildState(settings);
  if (!built.ok()) {
    VLOG_ERROR("portal reload failed; keeping the old vhosts", {{"error", built.status().message()}});
    return;
  }
  state_.store(*built);
}

void PortalComponent::Handle(net::HttpRequest& req, net::Responder done) {
  auto st = state();
  auto start = std::chrono::steady_clock::now();
  const VirtualHost* vhost = st ? st->vhosts.Match(req.Header("Host")) : nullptr;
  if (vhost == nullptr) {
    done(ErrorPage(404, "no virtual host is configured in infra_portal"));
    return;
  }
  // What the access log needs, in one allocation that outlives the request
  // object (gone once the response is written) and, for a proxied request,
  // observes the relay (status and size are known once it ends).
  auto exchange = std::make_shared<LoggedExchange>();
  exchange->portal = this;
  exchange->start = start;
  net::HttpRequest& logged = exchange->request;
  logged.method = req.method;
  logged.target = req.target;
  logged.remote_addr = req.remote_addr;
  logged.headers.reserve(3);
  for (std::string_view h : {"Host", "User-Agent", "Referer"}) {
    if (auto v = req.Header(h); !v.empty()) logged.headers.emplace_back(std::string(h), std::string(v));
  }
  if (vhost->log && (access_log_ || shipper_)) exchange->vhost = vhost->name;
  std::string* upstream = &exchange->upstream;
  net::Responder logged_done = [exchange = std::move(exchange), done = std::move(done)](net::HttpResponse r) {
    if (!exchange->vhost.empty()) {
      if (r.forward) {
        r.forward->observer = exchange;
      } else {
        exchange->OnForwardComplete(r.status, r.file ? r.file->length : r.body.size());
      }
    }
    done(std::move(r));
  };
  Route(*st, *vhost, req, upstream, std::move(logged_done));
}

void PortalComponent::LoggedExchange::OnForwardComplete(int status, uint64_t bytes) {
  AccessRecord rec;
  rec.unix_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  rec.status = status;
  rec.bytes = bytes;
  rec.duration_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  rec.vhost = vhost;
  rec.upstream = upstream;
  if (portal->access_log_) portal->access_log_->Write(request, rec);
  if (portal->shipper_) portal->shipper_->Add(request, rec);
}

void PortalComponent::Route(const State& st, const VirtualHost& vhost, net::HttpRequest& req, std::string* upstream,
                            net::Responder done) {
  const std::string& path = req.path;
  bool acme = path.starts_with(kAcmePrefix);
  if (acme) {
    done(st.acme->Serve(req, path.substr(kAcmePrefix.size() - 1), path));
    return;
  }
  if (!req.tls && vhost.enforce_https && st.https_port != 0) {
    std::string host = NormalizeHost(req.Header("Host"));
    if (host.empty()) host = settings_.admin_ip;
    std::string port = st.https_port == 443 ? "" : ":" + std::to_string(st.https_port);
    done(Redirect(301, "https://" + host + port + req.target));
    return;
  }
  // Pigsty's home server turns auth_basic off for /ui/ (Grafana has its own
  // login) and for the listed static root (the repo must stay reachable by
  // nodes); every other vhost is protected as a whole, before its snippet.
  bool home_auth = vhost.auth && vhost.is_home;
  if (vhost.auth && !home_auth && !Authorized(st, vhost, req, &done)) return;
  size_t index = 0;
  while (index < st.vhosts.hosts().size() && &st.vhosts.hosts()[index] != &vhost) ++index;
  if (index < st.snippets.size() && st.snippets[index]) {
    SnippetDecision decision = st.snippets[index]->Route(req);
    if (!decision.add_headers.empty()) {
      done = [decision, done = std::move(done)](net::HttpResponse r) {
        ApplyAddedHeaders(decision, &r);
        done(std::move(r));
      };
    }
    if (decision.kind != SnippetDecision::kBuiltin) {
      if (home_auth && !Authorized(st, vhost, req, &done)) return;
      ServeSnippetDecision(decision, req, upstream, std::move(done));
      return;
    }
  }
  if (home_auth && !HomeAuthExempt(req.path, vhost.listing) && !Authorized(st, vhost, req, &done)) return;
  RouteBuiltin(st, vhost, req, upstream, std::move(done));
}

bool PortalComponent::Authorized(const State& st, const VirtualHost& vhost, const net::HttpRequest& req,
                                 net::Responder* done) {
  std::string user, password;
  Status checked = Status::NotFound("no credentials");
  if (ParseBasicAuthorization(req.Header("Authorization"), &user, &password)) {
    checked = st.htpasswd->Check(user, password);
  }
  if (checked.ok()) return true;
  if (checked.code() == Status::Code::kIOError) {
    VLOG_ERROR("portal basic auth: cannot read the htpasswd file", {{"vhost", vhost.name}, {"error", checked.message()}});
    (*done)(ErrorPage(500, "authentication is not available"));
    return false;
  }
  net::HttpResponse r = ErrorPage(401, "");
  std::string realm;
  for (char c : vhost.realm) {
    if (c == '"' || c == '\\') realm.push_back('\\');
    if (c != '\r' && c != '\n') realm.push_back(c);
  }
  r.SetHeader("WWW-Authenticate", "Basic realm=\"" + realm + "\"");
  (*done)(std::move(r));
  return false;
}

void PortalComponent::ServeSnippetDecision(const SnippetDecision& d, net::HttpRequest& req, std::string* upstream,
                                           net::Responder done) {
  switch (d.kind) {
    case SnippetDecision::kRespond:
      done(d.response);
      return;
    case SnippetDecision::kProxy:
      *upstream = d.proxy_base;
      done(proxy_->Forward(req, d.proxy_base, d.proxy_target, /*websocket=*/false));
      return;
    case SnippetDecision::kStatic: {
      StaticFiles files(d.static_root, false);
      done(files.Serve(req, d.static_rel, req.path));
      return;
    }
    case SnippetDecision::kFile: {
      const std::string& file = d.static_root;
      if (file.find("/../") != std::string::npos || file.ends_with("/..") || file.find('\0') != std::string::npos) {
        done(ErrorPage(400, ""));
        return;
      }
      size_t slash = file.rfind('/');
      StaticFiles files(slash == std::string::npos || slash == 0 ? "/" : file.substr(0, slash), false);
      done(files.Serve(req, slash == std::string::npos ? "/" + file : file.substr(slash), req.path));
      return;
    }
    case SnippetDecision::kBuiltin:
      break;
  }
  done(ErrorPage(500, ""));
}

void PortalComponent::RouteBuiltin(const State& st, const VirtualHost& vhost, net::HttpRequest& req,
                                   std::string* upstream, net::Responder done) {
  const std::string& path = req.path;
  if (!vhost.endpoint.empty()) {
    upstream->reserve(vhost.scheme.size() + 3 + vhost.endpoint.size());
    upstream->assign(vhost.scheme).append("://").append(vhost.endpoint);
    done(proxy_->Forward(req, *upstream, req.target, vhost.websocket));
    return;
  }
  if (vhost.is_home) {
    if (path == "/pigsty.repo" || path == "/pigsty.list") {
      std::string host(req.Header("Host"));
      std::string base = repo::RepoBaseUrl(host.empty() ? settings_.admin_ip : host, 80);
      bool yum = path == "/pigsty.repo";
      net::HttpResponse r = net::HttpResponse::Text(200, yum ? repo::YumRepoFile(base) : repo::AptSourceList(base));
      done(std::move(r));
      return;
    }
    if (path == "/ca.crt") {
      if (st.ca_cert.empty() || !FileExists(st.ca_cert)) {
        done(ErrorPage(404, "HTTPS is disabled: there is no CA certificate"));
        return;
      }
      StaticFiles pki(settings_.data_dir + "/pki", false);
      net::HttpResponse r = pki.Serve(req, "/ca.crt", path);
      done(std::move(r));
      return;
    }
    if (path == "/pigsty" || path.starts_with("/pigsty/")) {
      if (!st.repo) {
        done(ErrorPage(404, "the repo component is disabled"));
        return;
      }
      std::string rel = path.size() > 7 ? path.substr(7) : "";
      done(st.repo->Serve(req, rel.empty() ? "/" : rel, path));
      return;
    }
    for (const auto& sub : kHomeSubPaths) {
      std::string_view bare = sub.prefix.substr(0, sub.prefix.size() - 1);
      if (path == bare) {
        done(Redirect(301, std::string(sub.prefix)));
        return;
      }
      if (!path.starts_with(sub.prefix)) continue;
      std::string address;
      for (const auto& [name, addr] : context().http_endpoints) {
        if (name == sub.component) address = addr;
      }
      if (address.empty()) {
        done(ErrorPage(502, "the " + std::string(sub.component) + " component is not running in this process (" +
                                std::string(sub.prefix) + " proxies to it); enable " + std::string(sub.component) +
                                " or point an infra_portal entry at where it runs"));
        return;
      }
      *upstream = "http://" + address;
      // Strip the prefix from the raw target, keeping its encoding and query.
      std::string_view target = req.target;
      size_t cut = sub.prefix.size() - 1;
      std::string rest = target.size() > cut ? std::string(target.substr(cut)) : "/";
      if (rest.empty() || rest[0] != '/') rest = "/" + rest;
      done(proxy_->Forward(req, *upstream, rest, /*websocket=*/true));  // Grafana Live uses websockets
      return;
    }
  }
  const auto& hosts = st.vhosts.hosts();
  for (size_t i = 0; i < hosts.size(); ++i) {
    if (&hosts[i] == &vhost && st.statics[i]) {
      done(st.statics[i]->Serve(req, path, path));
      return;
    }
  }
  done(ErrorPage(404, ""));
}

}  // namespace vigil::portal
