#include "alertmanager/alertmanager_component.h"

#include <unistd.h>

#include "alertmanager/alert_store.h"
#include "alertmanager/api.h"
#include "alertmanager/config.h"
#include "alertmanager/dispatcher.h"
#include "alertmanager/inhibitor.h"
#include "alertmanager/notification_log.h"
#include "alertmanager/silences.h"
#include "base/log.h"
#include "config/values.h"
#include "net/http_client.h"
#include "net/runtime.h"

namespace vigil::alertmanager {
namespace {

constexpr int64_t kRetentionMs = 120 * 3600'000LL;         // Alertmanager's --data.retention
constexpr int64_t kMaintenanceMs = 15 * 60'000LL;          // --data.maintenance-interval
constexpr int64_t kAlertGcMs = 30 * 60'000LL;              // resolved alerts kept this long
constexpr size_t kMaxAlerts = 1'000'000;                   // bound on stored alerts

std::string ExternalUrl(const std::string& listen) {
  auto hp = config::ParseHostPort(listen);
  std::string host = hp.ok() ? hp->first : "";
  if (host.empty() || host == "0.0.0.0" || host == "::") {
    char name[256] = {0};
    host = ::gethostname(name, sizeof name - 1) == 0 ? name : "localhost";
  }
  return "http://" + host + ":" + std::to_string(hp.ok() ? hp->second : 9059);
}

}  // namespace

Result<std::shared_ptr<const AmConfig>> LoadFromSettings(const YAML::Node& section) {
  std::string file = config::GetString(section, "config_file");
  if (!file.empty()) return LoadConfigFile(file);
  YAML::Node inline_cfg = section["config"];
  if (inline_cfg && inline_cfg.IsMap() && inline_cfg.size() > 0) {
    YAML::Emitter e;
    e << inline_cfg;
    return ParseConfigNode(inline_cfg, e.c_str());
  }
  return ParseConfig(DefaultConfigText());
}

AlertmanagerComponent::AlertmanagerComponent(const service::ServiceContext& ctx, const config::Settings& settings,
                                             const config::ComponentSettings& own)
    : HttpComponent(ctx, settings, own), data_dir_(settings.data_dir + "/alertmanager"), own_(own) {}

AlertmanagerComponent::~AlertmanagerComponent() { Stop(std::chrono::milliseconds(0)); }

Status AlertmanagerComponent::StartService() {
  auto cfg = LoadFromSettings(own_.section);
  if (!cfg.ok()) return Status::InvalidArgument("alertmanager config: " + cfg.status().message());
  alerts_ = std::make_unique<AlertStore>(kMaxAlerts);
  silences_ = std::make_unique<SilenceStore>(kRetentionMs);
  nflog_ = std::make_unique<NotificationLog>(kRetentionMs);
  inhibitor_ = std::make_unique<Inhibitor>();
  Status st = silences_->Open(data_dir_);
  if (st.ok()) st = nflog_->Open(data_dir_);
  if (!st.ok()) return Status::IOError("cannot open alertmanager state in " + data_dir_ + ": " + st.message());
  inhibitor_->SetRules((*cfg)->inhibit_rules);
  http_ = std::make_unique<net::HttpClient>(context().runtime->io());
  DispatcherDeps deps;
  deps.alerts = alerts_.get();
  deps.silences = silences_.get();
  deps.nflog = nflog_.get();
  deps.inhibitor = inhibitor_.get();
  deps.http = http_.get();
  deps.registry = &registry();
  deps.external_url = ExternalUrl(own_.listen);
  dispatcher_ = std::make_unique<Dispatcher>(deps);
  dispatcher_->SetConfig(*cfg);
  dispatcher_->Start();

  ApiDeps api;
  api.alerts = alerts_.get();
  api.silences = silences_.get();
  api.inhibitor = inhibitor_.get();
  api.dispatcher = dispatcher_.get();
  api.registry = &registry();
  api.started = std::chrono::steady_clock::now();
  api.started_unix_ms = NowMs();
  api_ = std::make_unique<Api>(api);

  auto& alerts_gauge = registry().AddGaugeFamily("alertmanager_alerts", "How many alerts by state.", {"state"});
  auto& silences_gauge =
      registry().AddGaugeFamily("alertmanager_silences", "How many silences by state.", {"state"});
  registry().AddGaugeFunc("alertmanager_nflog_entries", "Entries in the notification log.",
                          [this] { return nflog_ ? static_cast<double>(nflog_->size()) : 0.0; });
  alerts_gauge.WithLabels({"active"});
  alerts_gauge.WithLabels({"suppressed"});
  for (const char* s : {"active", "pending", "expired"}) silences_gauge.WithLabels({s});
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  maintenance_ = std::thread([this] { MaintenanceLoop(); });
  return Status::Ok();
}

void AlertmanagerComponent::MaintenanceLoop() {
  auto& alerts_gauge = registry().AddGaugeFamily("alertmanager_alerts", "How many alerts by state.", {"state"});
  auto& silences_gauge = registry().AddGaugeFamily("alertmanager_silences", "How many silences by state.", {"state"});
  int64_t last_compact = NowMs(), last_gc = NowMs();
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    int64_t now = NowMs();
    int active = 0, suppressed = 0;
    alerts_->ForEach([&](const Alert& a) {
      if (a.Resolved(now)) return;
      bool muted = inhibitor_->InhibitedBy(a.labels, now) != 0 || !silences_->Mutes(a.labels, now).empty();
      ++(muted ? suppressed : active);
    });
    alerts_gauge.WithLabels({"active"}).Set(active);
    alerts_gauge.WithLabels({"suppressed"}).Set(suppressed);
    auto counts = silences_->CountByState(now);
    silences_gauge.WithLabels({"pending"}).Set(counts[0]);
    silences_gauge.WithLabels({"active"}).Set(counts[1]);
    silences_gauge.WithLabels({"expired"}).Set(counts[2]);
    if (now - last_gc >= 60'000) {
      alerts_->GarbageCollect(now - kAlertGcMs);
      inhibitor_->Prune(now);
      last_gc = now;
    }
    if (now - last_compact >= kMaintenanceMs) {
      Status st = silences_->Maintain(now);
      if (st.ok()) st = nflog_->Maintain(now);
      if (!st.ok()) VLOG_ERROR("alertmanager maintenance failed", {{"error", st.message()}});
      last_compact = now;
    }
    lock.lock();
    cv_.wait_for(lock, std::chrono::seconds(5), [this] { return stopping_; });
  }
}

void AlertmanagerComponent::StopService() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (maintenance_.joinable()) maintenance_.join();
  if (dispatcher_) dispatcher_->Stop();
  if (silences_) {
    int64_t now = NowMs();
    Status st = silences_->Maintain(now);
    if (st.ok() && nflog_) st = nflog_->Maintain(now);
    if (!st.ok()) VLOG_ERROR("alertmanager snapshot at stop failed", {{"error", st.message()}});
  }
  // api_ stays: routes may still be in flight until the server is gone; it
  // is destroyed with the component.
}

Status AlertmanagerComponent::Reload(const config::ComponentSettings& settings) {
  Status st = HttpComponent::Reload(settings);
  if (!st.ok()) return st;
  auto cfg = LoadFromSettings(settings.section);
  if (!cfg.ok()) return Status::InvalidArgument("alertmanager config: " + cfg.status().message());
  own_ = settings;
  if (dispatcher_) {
    inhibitor_->SetRules((*cfg)->inhibit_rules);
    alerts_->ForEach([this](const Alert& a) { inhibitor_->Observe(a); });
    dispatcher_->SetConfig(*cfg);
  }
  VLOG_INFO("alertmanager config loaded", {{"receivers", std::to_string((*cfg)->receivers.size())}});
  return Status::Ok();
}

void AlertmanagerComponent::RegisterRoutes(net::Router& router) {
  router.SetErrorFormatter([](int status, std::string_view message) {
    return net::HttpResponse::Text(status, std::string(message) + "\n");
  });
  // Api is created in StartService(), after this; look it up per request.
  auto bind = [this](net::HttpResponse (Api::*fn)(net::HttpRequest&)) {
    return [this, fn](net::HttpRequest& req) {
      if (!api_) return net::HttpResponse::Text(503, "alertmanager is not started\n");
      return ((*api_).*fn)(req);
    };
  };
  router.Handle({"POST"}, "/api/v2/alerts", [this](net::HttpRequest& r) {
    return api_ ? api_->PostAlerts(r, false) : net::HttpResponse::Text(503, "not started\n");
  });
  router.Handle({"POST"}, "/api/v1/alerts", [this](net::HttpRequest& r) {
    return api_ ? api_->PostAlerts(r, true) : net::HttpResponse::Text(503, "not started\n");
  });
  router.Handle({"GET"}, "/api/v2/alerts", bind(&Api::GetAlerts));
  router.Handle({"GET"}, "/api/v2/alerts/groups", bind(&Api::GetAlertGroups));
  router.Handle({"GET"}, "/api/v2/silences", bind(&Api::GetSilences));
  router.Handle({"POST"}, "/api/v2/silences", bind(&Api::PostSilence));
  router.Handle({"GET"}, "/api/v2/silence/:id", bind(&Api::GetSilence));
  router.Handle({"DELETE"}, "/api/v2/silence/:id", bind(&Api::DeleteSilence));
  router.Handle({"GET"}, "/api/v2/status", bind(&Api::GetStatus));
  router.Handle({"GET"}, "/api/v2/receivers", bind(&Api::GetReceivers));
  router.Handle({"GET"}, "/", bind(&Api::Index));
}

}  // namespace vigil::alertmanager
