#include "portal/portal_component.h"

#include <chrono>
#include <filesystem>

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
  std::string repo_path = "/pigsty";   // "/<repo.name>", the URL path of the repository
  std::unique_ptr<StaticFiles> repo;  // serves repo_path; null when the repo component is disabled
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

namespace {
// Bumped by every PortalComponent::Publish, of any instance: a thread's
// cached state is current while this has not moved.
std::atomic<uint64_t> state_generation{0};
}  // namespace

std::shared_ptr<const PortalComponent::State> PortalComponent::state() const {
  return state_.load();
}

void PortalComponent::Publish(std::shared_ptr<const State> st) {
  state_.store(std::move(st));
  state_generation.fetch_add(1, std::memory_order_release);
}

const PortalComponent::State* PortalComponent::StateForThisThread() const {
  // Loading the atomic shared_ptr takes its lock and a reference: shared
  // cache lines written by every request of every thread. A thread keeps
  // its own reference instead, renewed when a reload was published.
  struct Cached {
    const PortalComponent* owner = nullptr;
    uint64_t generation = 0;
    std::shared_ptr<const State> state;
  };
  thread_local Cached cached;
  uint64_t generation = state_generation.load(std::memory_order_acquire);
  if (cached.owner != this || cached.generation != generation) {
    cached.state = state_.load();
    cached.owner = this;
    cached.generation = generation;
  }
  return cached.state.get();
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
  if (const config::ComponentSettings* repo = settings.Find("repo"); repo != nullptr) {
    repo::RepoLocation where = repo::LocateRepo(config::GetString(repo->section, "home"),
                                                config::GetString(repo->section, "name"),
                                                config::GetString(repo->section, "dir"));
    st->repo_path = where.url_path;
    if (repo->enabled) st->repo = std::make_unique<StaticFiles>(where.dir, true);
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
      builtins.emplace_back(st->repo_path);
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
  router.Handle({}, "/*path", [this](net::HttpRequest& req) { return Handle(req); }, streamed);
}

Status PortalComponent::StartService() {
  auto built = BuildState(settings_);
  if (!built.ok()) return built.status();
  Publish(*built);
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
  if (auto rebuilt = BuildState(settings_); rebuilt.ok()) Publish(*rebuilt);
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
    if (auto own = OwnCertificate(v)) opts.tls_certificates.push_back({own->cert_file, own->key_file, v.domains});
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
  Publish(*built);
}

std::shared_ptr<PortalComponent::LoggedExchange> PortalComponent::RecycledExchange() {
  // Each I/O thread keeps the exchanges it made; one whose response is gone
  // (held only here) is taken again, oldest first, so that a busy thread
  // with many requests in flight allocates nothing per request.
  constexpr size_t kKeptPerThread = 64;
  thread_local std::vector<std::shared_ptr<LoggedExchange>> made;
  thread_local size_t next = 0;
  for (size_t tried = 0; tried < made.size(); ++tried) {
    std::shared_ptr<LoggedExchange>& e = made[next++ % made.size()];
    if (e.use_count() == 1) {
      // The last other owner may have let go on another thread.
      std::atomic_thread_fence(std::memory_order_acquire);
      return e;
    }
  }
  auto e = std::make_shared<LoggedExchange>();
  if (made.size() < kKeptPerThread) made.push_back(e);
  return e;
}

net::HttpResponse PortalComponent::Handle(net::HttpRequest& req) {
  const State* st = StateForThisThread();
  auto start = std::chrono::steady_clock::now();
  const VirtualHost* vhost = st ? st->vhosts.Match(req.Header("Host")) : nullptr;
  if (vhost == nullptr) return ErrorPage(404, "no virtual host is configured in infra_portal");
  // Copied before routing: a snippet's rewrite may change the request, and
  // the log shows it as received (nginx's $request_uri).
  std::shared_ptr<LoggedExchange> exchange = RecycledExchange();
  exchange->portal = this;
  exchange->start = start;
  exchange->vhost.clear();
  exchange->upstream.clear();
  exchange->forward.observer = nullptr;
  net::HttpRequest& logged = exchange->request;
  logged.method.assign(req.method);
  logged.target.assign(req.target);
  logged.remote_addr.assign(req.remote_addr);
  size_t kept = 0;
  for (std::string_view h : {"Host", "User-Agent", "Referer"}) {
    std::string_view v = req.Header(h);
    if (v.empty()) continue;
    if (kept == logged.headers.size()) logged.headers.emplace_back();
    logged.headers[kept].first.assign(h);
    logged.headers[kept].second.assign(v);
    ++kept;
  }
  logged.headers.resize(kept);
  net::HttpResponse r = Route(*st, *vhost, req, exchange);
  if (vhost->log && (access_log_ || shipper_)) {
    exchange->vhost = vhost->name;
    if (r.forward) {
      r.forward->observer = exchange.get();  // r.forward keeps the exchange alive until it is told
    } else {
      exchange->OnForwardComplete(r.status, r.file ? r.file->length : r.body.size());
    }
  }
  return r;
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

net::HttpResponse PortalComponent::Proxy(const net::HttpRequest& req, std::string_view upstream_base,
                                         std::string_view target, bool websocket,
                                         const std::shared_ptr<LoggedExchange>& exchange) {
  exchange->upstream.assign(upstream_base);
  proxy_->Fill(req, upstream_base, target, websocket, &exchange->forward);
  net::HttpResponse r;
  r.status = 0;  // decided by the upstream
  r.forward = std::shared_ptr<net::UpstreamForward>(exchange, &exchange->forward);
  return r;
}

net::HttpResponse PortalComponent::Route(const State& st, const VirtualHost& vhost, net::HttpRequest& req,
                                         const std::shared_ptr<LoggedExchange>& exchange) {
  const std::string& path = req.path;
  bool acme = path.starts_with(kAcmePrefix);
  if (acme) return st.acme->Serve(req, path.substr(kAcmePrefix.size() - 1), path);
  if (!req.tls && vhost.enforce_https && st.https_port != 0) {
    std::string host = NormalizeHost(req.Header("Host"));
    if (host.empty()) host = settings_.admin_ip;
    std::string port = st.https_port == 443 ? "" : ":" + std::to_string(st.https_port);
    return Redirect(301, "https://" + host + port + req.target);
  }
  // Pigsty's home server turns auth_basic off for /ui/ (Grafana has its own
  // login) and for the listed static root (the repo must stay reachable by
  // nodes); every other vhost is protected as a whole, before its snippet.
  bool home_auth = vhost.auth && vhost.is_home;
  net::HttpResponse refusal;
  if (vhost.auth && !home_auth && !Authorized(st, vhost, req, &refusal)) return refusal;
  size_t index = 0;
  while (index < st.vhosts.hosts().size() && &st.vhosts.hosts()[index] != &vhost) ++index;
  if (index < st.snippets.size() && st.snippets[index]) {
    SnippetDecision decision = st.snippets[index]->Route(req);
    net::HttpResponse r;
    if (decision.kind != SnippetDecision::kBuiltin) {
      if (home_auth && !Authorized(st, vhost, req, &refusal)) {
        r = std::move(refusal);
      } else {
        r = ServeSnippetDecision(decision, req, exchange);
      }
    } else if (home_auth && !HomeAuthExempt(req.path, vhost.listing) && !Authorized(st, vhost, req, &refusal)) {
      r = std::move(refusal);
    } else {
      r = RouteBuiltin(st, vhost, req, exchange);
    }
    ApplyAddedHeaders(decision, &r);
    return r;
  }
  if (home_auth && !HomeAuthExempt(req.path, vhost.listing) && !Authorized(st, vhost, req, &refusal)) return refusal;
  return RouteBuiltin(st, vhost, req, exchange);
}

bool PortalComponent::Authorized(const State& st, const VirtualHost& vhost, const net::HttpRequest& req,
                                 net::HttpResponse* refusal) {
  std::string user, password;
  Status checked = Status::NotFound("no credentials");
  if (ParseBasicAuthorization(req.Header("Authorization"), &user, &password)) {
    checked = st.htpasswd->Check(user, password);
  }
  if (checked.ok()) return true;
  if (checked.code() == Status::Code::kIOError) {
    VLOG_ERROR("portal basic auth: cannot read the htpasswd file", {{"vhost", vhost.name}, {"error", checked.message()}});
    *refusal = ErrorPage(500, "authentication is not available");
    return false;
  }
  net::HttpResponse r = ErrorPage(401, "");
  std::string realm;
  for (char c : vhost.realm) {
    if (c == '"' || c == '\\') realm.push_back('\\');
    if (c != '\r' && c != '\n') realm.push_back(c);
  }
  r.SetHeader("WWW-Authenticate", "Basic realm=\"" + realm + "\"");
  *refusal = std::move(r);
  return false;
}

net::HttpResponse PortalComponent::ServeSnippetDecision(const SnippetDecision& d, net::HttpRequest& req,
                                                        const std::shared_ptr<LoggedExchange>& exchange) {
  switch (d.kind) {
    case SnippetDecision::kRespond:
      return d.response;
    case SnippetDecision::kProxy:
      return Proxy(req, d.proxy_base, d.proxy_target, /*websocket=*/false, exchange);
    case SnippetDecision::kStatic: {
      StaticFiles files(d.static_root, false);
      return files.Serve(req, d.static_rel, req.path);
    }
    case SnippetDecision::kFile: {
      const std::string& file = d.static_root;
      if (file.find("/../") != std::string::npos || file.ends_with("/..") || file.find('\0') != std::string::npos) {
        return ErrorPage(400, "");
      }
      size_t slash = file.rfind('/');
      StaticFiles files(slash == std::string::npos || slash == 0 ? "/" : file.substr(0, slash), false);
      return files.Serve(req, slash == std::string::npos ? "/" + file : file.substr(slash), req.path);
    }
    case SnippetDecision::kBuiltin:
      break;
  }
  return ErrorPage(500, "");
}

net::HttpResponse PortalComponent::RouteBuiltin(const State& st, const VirtualHost& vhost, net::HttpRequest& req,
                                                const std::shared_ptr<LoggedExchange>& exchange) {
  const std::string& path = req.path;
  if (!vhost.endpoint.empty()) return Proxy(req, vhost.upstream_base, req.target, vhost.websocket, exchange);
  if (vhost.is_home) {
    if (path == "/pigsty.repo" || path == "/pigsty.list") {
      std::string host(req.Header("Host"));
      std::string base = repo::RepoBaseUrl(host.empty() ? settings_.admin_ip : host, 80, st.repo_path);
      bool yum = path == "/pigsty.repo";
      return net::HttpResponse::Text(200, yum ? repo::YumRepoFile(base) : repo::AptSourceList(base));
    }
    if (path == "/ca.crt") {
      std::error_code ec;
      if (st.ca_cert.empty() || !std::filesystem::is_regular_file(st.ca_cert, ec)) {
        return ErrorPage(404, "HTTPS is disabled: there is no CA certificate");
      }
      StaticFiles pki(settings_.data_dir + "/pki", false);
      return pki.Serve(req, "/ca.crt", path);
    }
    if (path.starts_with(st.repo_path) && (path.size() == st.repo_path.size() || path[st.repo_path.size()] == '/')) {
      if (!st.repo) return ErrorPage(404, "the repo component is disabled");
      std::string rel = path.substr(st.repo_path.size());
      return st.repo->Serve(req, rel.empty() ? "/" : rel, path);
    }
    for (const auto& sub : kHomeSubPaths) {
      std::string_view bare = sub.prefix.substr(0, sub.prefix.size() - 1);
      if (path == bare) return Redirect(301, std::string(sub.prefix));
      if (!path.starts_with(sub.prefix)) continue;
      std::string address;
      for (const auto& [name, addr] : context().http_endpoints) {
        if (name == sub.component) address = addr;
      }
      if (address.empty()) {
        return ErrorPage(502, "the " + std::string(sub.component) + " component is not running in this process (" +
                                std::string(sub.prefix) + " proxies to it); enable " + std::string(sub.component) +
                                " or point an infra_portal entry at where it runs");
      }
      // Strip the prefix from the raw target, keeping its encoding and query.
      std::string_view target = req.target;
      size_t cut = sub.prefix.size() - 1;
      std::string rest = target.size() > cut ? std::string(target.substr(cut)) : "/";
      if (rest.empty() || rest[0] != '/') rest = "/" + rest;
      return Proxy(req, "http://" + address, rest, /*websocket=*/true, exchange);  // Grafana Live uses websockets
    }
  }
  const auto& hosts = st.vhosts.hosts();
  for (size_t i = 0; i < hosts.size(); ++i) {
    if (&hosts[i] == &vhost && st.statics[i]) return st.statics[i]->Serve(req, path, path);
  }
  return ErrorPage(404, "");
}

}  // namespace vigil::portal
