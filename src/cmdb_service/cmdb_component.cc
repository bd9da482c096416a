#include "cmdb_service/cmdb_component.h"

#include <nlohmann/json.hpp>

#include "base/log.h"
#include "base/metrics_registry.h"
#include "cmdb/yaml_codec.h"

namespace vigil::cmdb_service {
namespace {

using nlohmann::json;

net::HttpResponse JsonError(int status, std::string_view message) {
  json body = {{"status", "error"}, {"error", message}};
  return net::HttpResponse::Json(status, body.dump(-1, ' ', false, json::error_handler_t::replace));
}

net::HttpResponse FromStatus(const Status& st) {
  switch (st.code()) {
    case Status::Code::kInvalidArgument: return JsonError(400, st.message());
    case Status::Code::kNotFound: return JsonError(404, st.message());
    case Status::Code::kResourceExhausted: return JsonError(413, st.message());
    case Status::Code::kUnavailable: return JsonError(503, st.message());
    default: return JsonError(500, st.message());
  }
}

// Compares without leaking the position of the first difference.
bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size() || b.empty()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

// The var lists a request's ?group=&host= names (see commands.cc's ScopeVars).
Result<std::vector<std::vector<cmdb::Var>*>> Scope(cmdb::Inventory* inv, const net::HttpRequest& req) {
  const std::string group(req.query.Get("group")), host(req.query.Get("host"));
  std::vector<std::vector<cmdb::Var>*> out;
  if (group.empty() && host.empty()) return std::vector<std::vector<cmdb::Var>*>{&inv->global_vars};
  for (auto& g : inv->groups) {
    if (!group.empty() && g.name != group) continue;
    if (host.empty()) {
      out.push_back(&g.vars);
      continue;
    }
    for (auto& h : g.hosts) {
      if (h.name == host) out.push_back(&h.vars);
    }
  }
  if (out.empty()) return Status::NotFound(host.empty() ? "no group \"" + group + "\"" : "no host \"" + host + "\"");
  return out;
}

}  // namespace

CmdbComponent::CmdbComponent(const service::ServiceContext& ctx, const config::Settings& settings,
                             const config::ComponentSettings& own)
    : HttpComponent(ctx, settings, own), paths_(PathsFromSettings(settings)) {
  api_token_ = config::GetString(own.section, "api_token");
  changes_ = &registry().AddCounterFamily("vigil_cmdb_changes_total",
                                          "Change requests by result (changed, unchanged, error).", {"result"});
  derives_ = &registry().AddCounter("vigil_cmdb_derive_total",
                                    "Regenerations of the derived target and hosts files.");
  registry().AddGaugeFunc("vigil_cmdb_revision", "Revision of the stored inventory.",
                          [this] { return static_cast<double>(revision_.load()); });
  registry().AddGaugeFunc("vigil_cmdb_hosts", "Distinct hosts in the inventory.",
                          [this] { return static_cast<double>(hosts_.load()); });
}

CmdbComponent::~CmdbComponent() { StopService(); }

Status CmdbComponent::Reload(const config::ComponentSettings& settings) {
  {
    std::lock_guard lock(mu_);
    api_token_ = config::GetString(settings.section, "api_token");
  }
  return HttpComponent::Reload(settings);
}

std::shared_ptr<InventoryService> CmdbComponent::service() {
  std::lock_guard lock(mu_);
  return service_;
}

void CmdbComponent::EnsureOpen() {
  if (service()) return;
  auto opened = InventoryService::Open(paths_);
  std::lock_guard lock(mu_);
  if (!opened.ok()) {
    if (open_error_ != opened.status().message()) {
      VLOG_ERROR("cmdb: cannot open the store; retrying", {{"error", opened.status().message()}});
    }
    open_error_ = opened.status().message();
    return;
  }
  service_ = std::shared_ptr<InventoryService>(std::move(*opened));
  open_error_.clear();
}

Status CmdbComponent::StartService() {
  EnsureOpen();
  {
    std::lock_guard lock(mu_);
    stop_ = false;
  }
  syncer_ = std::thread([this] { SyncLoop(); });
  return Status::Ok();
}

void CmdbComponent::StopService() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (syncer_.joinable()) syncer_.join();
}

void CmdbComponent::SyncLoop() {
  for (;;) {
    EnsureOpen();
    if (auto svc = service()) {
      auto synced = svc->SyncIfChanged();
      if (!synced.ok()) {
        VLOG_WARN("cmdb: derived files not regenerated", {{"error", synced.status().message()}});
      } else if (*synced) {
        derives_->Inc();
      }
      if (auto rev = svc->store().Revision(); rev.ok()) revision_.store(*rev);
      if (auto inv = svc->store().Read(); inv.ok()) hosts_.store(static_cast<int64_t>(inv->HostCount()));
    }
    std::unique_lock lock(mu_);
    if (wake_.wait_for(lock, kSyncPollInterval, [this] { return stop_; })) return;
  }
}

bool CmdbComponent::Authorized(const net::HttpRequest& req, net::HttpResponse* denied) const {
  std::string token;
  {
    std::lock_guard lock(mu_);
    token = api_token_;
  }
  if (token.empty()) {
    *denied = JsonError(403, "the CMDB API is read-only: set cmdb.api_token to allow changes");
    return false;
  }
  std::string_view auth = req.Header("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (auth.substr(0, kBearer.size()) != kBearer || !ConstantTimeEquals(auth.substr(kBearer.size()), token)) {
    *denied = JsonError(401, "missing or wrong bearer token (Authorization: Bearer <cmdb.api_token>)");
    denied->SetHeader("WWW-Authenticate", "Bearer realm=\"vigil cmdb\"");
    return false;
  }
  return true;
}

net::HttpResponse CmdbComponent::Change(const cmdb::Mutator& mutate) {
  auto svc = service();
  if (!svc) {
    std::lock_guard lock(mu_);
    return JsonError(503, "cmdb store unavailable: " + open_error_);
  }
  DeriveStats stats;
  auto r = svc->Change(mutate, &stats);
  if (!r.ok()) {
    changes_->WithLabels({"error"}).Inc();
    return FromStatus(r.status());
  }
  changes_->WithLabels({r->changed ? "changed" : "unchanged"}).Inc();
  if (r->changed) derives_->Inc();
  revision_.store(r->revision);
  json body = {{"status", "success"}, {"changed", r->changed}, {"revision", r->revision}};
  return net::HttpResponse::Json(200, body.dump());
}

void CmdbComponent::RegisterRoutes(net::Router& router) {
  router.SetErrorFormatter(JsonError);
  const net::RouteOptions offload{.offload = true};
  // Runs `fn` with the current inventory, or answers 503.
  auto with_inventory = [this](auto fn) {
    return [this, fn](net::HttpRequest& req) -> net::HttpResponse {
      auto svc = service();
      if (!svc) {
        std::lock_guard lock(mu_);
        return JsonError(503, "cmdb store unavailable: " + open_error_);
      }
      auto inv = svc->store().Read();
      if (!inv.ok()) return FromStatus(inv.status());
      return fn(req, *inv);
    };
  };
  router.Handle({"GET"}, "/api/v1/cmdb/inventory",
                with_inventory([](net::HttpRequest& req, const cmdb::Inventory& inv) {
                  std::string host(req.query.Get("host"));
                  return net::HttpResponse::Json(
                      200, host.empty() ? cmdb::RenderAnsibleList(inv) : cmdb::RenderAnsibleHost(inv, host));
                }),
                offload);
  router.Handle({"GET"}, "/api/v1/cmdb/hosts",
                with_inventory([](net::HttpRequest& req, const cmdb::Inventory& inv) {
                  auto hosts = cmdb::ListHosts(inv, req.query.Get("group"));
                  if (!hosts.ok()) return FromStatus(hosts.status());
                  json out = json::array();
                  for (const auto& h : *hosts) out.push_back({{"ip", h.name}, {"groups", h.groups}});
                  return net::HttpResponse::Json(200, out.dump(-1, ' ', false, json::error_handler_t::replace));
                }),
                offload);
  router.Handle({"GET"}, "/api/v1/cmdb/dump",
                with_inventory([](net::HttpRequest&, const cmdb::Inventory& inv) {
                  net::HttpResponse resp = net::HttpResponse::Text(200, cmdb::DumpInventoryYaml(inv));
                  resp.SetHeader("Content-Type", "application/yaml; charset=utf-8");
                  return resp;
                }),
                offload);
  router.Handle({"GET"}, "/api/v1/cmdb/vars/:key",
                with_inventory([](net::HttpRequest& req, const cmdb::Inventory& inv) {
                  cmdb::Inventory copy = inv;
                  const std::string key(req.PathParam("key"));
                  const std::string host(req.query.Get("host")), group(req.query.Get("group"));
                  const std::string* value = nullptr;
                  std::map<std::string, std::string> host_vars;
                  auto lists = Scope(&copy, req);
                  if (!lists.ok()) return FromStatus(lists.status());
                  if (!host.empty() && group.empty()) {
                    host_vars = cmdb::HostVars(inv, host);
                    if (auto it = host_vars.find(key); it != host_vars.end()) value = &it->second;
                  } else {
                    value = cmdb::FindVar(*lists->front(), key);
                  }
                  if (value == nullptr) return JsonError(404, key + " is not set");
                  return net::HttpResponse::Json(200, *value);
                }),
                offload);
  router.Handle(
      {"POST"}, "/api/v1/cmdb/load",
      [this](net::HttpRequest& req) {
        net::HttpResponse denied;
        if (!Authorized(req, &denied)) return denied;
        auto parsed = cmdb::ParseInventoryYaml(req.body, "body");
        if (!parsed.ok()) return FromStatus(parsed.status());
        const bool merge = req.query.Get("merge") == "true" || req.query.Get("merge") == "1";
        cmdb::Inventory loaded = std::move(*parsed);
        return Change([&](cmdb::Inventory* inv) {
          if (merge) {
            cmdb::Merge(inv, loaded);
          } else {
            *inv = loaded;
          }
          return Status::Ok();
        });
      },
      offload);
  router.Handle(
      {"PUT"}, "/api/v1/cmdb/vars/:key",
      [this](net::HttpRequest& req) {
        net::HttpResponse denied;
        if (!Authorized(req, &denied)) return denied;
        auto value = cmdb::YamlValueToJson(req.body);
        if (!value.ok()) return FromStatus(value.status());
        const std::string key(req.PathParam("key"));
        return Change([&](cmdb::Inventory* inv) -> Status {
          auto lists = Scope(inv, req);
          if (!lists.ok()) return lists.status();
          cmdb::SetVar(lists->front(), key, *value);
          return Status::Ok();
        });
      },
      offload);
  router.Handle(
      {"DELETE"}, "/api/v1/cmdb/vars/:key",
      [this](net::HttpRequest& req) {
        net::HttpResponse denied;
        if (!Authorized(req, &denied)) return denied;
        const std::string key(req.PathParam("key"));
        return Change([&](cmdb::Inventory* inv) -> Status {
          auto lists = Scope(inv, req);
          if (!lists.ok()) return lists.status();
          bool removed = false;
          for (auto* vars : *lists) removed |= cmdb::RemoveVar(vars, key);
          return removed ? Status::Ok() : Status::NotFound(key + " is not set");
        });
      },
      offload);
}

}  // namespace vigil::cmdb_service
