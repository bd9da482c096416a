#include "server/app.h"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "alertmanager/alertmanager_component.h"
#include "base/log.h"
#include "config/values.h"
#include "base/process_metrics.h"
#include "cmdb_service/cmdb_component.h"
#include "dns/dns_component.h"
#include "logs/logs_component.h"
#include "metrics/metrics_component.h"
#include "net/runtime.h"
#include "ntp/ntp_component.h"
#include "portal/portal_component.h"
#include "probe/probe_component.h"
#include "rules/rules_component.h"
#include "logstore/log_store.h"
#include "traces/traces_component.h"
#include "server/native_configs.h"
#include "service/http_component.h"

namespace vigil::server {
namespace {

void ApplyLogging(const config::Settings& s) {
  log::Level level = log::Level::kInfo;
  log::Format format = log::Format::kLogfmt;
  log::ParseLevel(s.log_level, &level);
  log::ParseFormat(s.log_format, &format);
  log::Configure(level, format);
}

std::string JoinErrors(const std::vector<config::ConfigError>& errors) {
  std::string out;
  for (const auto& e : errors) {
    if (!out.empty()) out += "; ";
    out += e.ToString();
  }
  return out;
}

// A component that has an HTTP endpoint of its own; the rest (repo, scrape)
// are served inside another component.
bool HasOwnPort(const config::ComponentSettings& c) { return !c.listen.empty() || !c.http_listen.empty(); }

}  // namespace

std::unique_ptr<service::Component> App::MakeComponent(const service::ServiceContext& ctx,
                                                      const config::ComponentSettings& c) {
  if (c.name == "metrics") return std::make_unique<metrics::MetricsComponent>(ctx, settings_, c);
  if (c.name == "rules") {
    // Rules query and record into this process's metrics storage, when it runs here.
    metrics::MetricsComponent* metrics = nullptr;
    for (auto& built : components_) {
      if (built->name() == "metrics") metrics = static_cast<metrics::MetricsComponent*>(built.get());
    }
    return std::make_unique<rules::RulesComponent>(
        ctx, settings_, c, [metrics]() -> tsdb::Storage* { return metrics ? metrics->storage() : nullptr; });
  }
  if (c.name == "alertmanager") return std::make_unique<alertmanager::AlertmanagerComponent>(ctx, settings_, c);
  if (c.name == "dns") return std::make_unique<dns::DnsComponent>(ctx, settings_, c);
  if (c.name == "ntp") return std::make_unique<ntp::NtpComponent>(ctx, settings_, c);
  if (c.name == "probe") return std::make_unique<probe::ProbeComponent>(ctx, settings_, c);
  if (c.name == "logs") return std::make_unique<logs::LogsComponent>(ctx, settings_, c);
  if (c.name == "traces") {
    // Slow SQL reads the logs component's store, when it runs in this process.
    logs::LogsComponent* logs = nullptr;
    for (auto& built : components_) {
      if (built->name() == "logs") logs = static_cast<logs::LogsComponent*>(built.get());
    }
    return std::make_unique<traces::TracesComponent>(
        ctx, settings_, c, [logs]() -> const logstore::LogReader* { return logs ? logs->store() : nullptr; });
  }
  if (c.name == "portal") return std::make_unique<portal::PortalComponent>(ctx, settings_, c);
  if (c.name == "cmdb") return std::make_unique<cmdb_service::CmdbComponent>(ctx, settings_, c);
  // Components whose protocol has not landed yet serve the common endpoints.
  return std::make_unique<service::HttpComponent>(ctx, settings_, c);
}

App::App(ServeOptions options) : options_(std::move(options)) {}

App::~App() {
  components_.clear();
  if (runtime_) runtime_->Stop();
}

Status App::Build() {
  service::ServiceContext ctx;
  ctx.runtime = runtime_.get();
  ctx.process_registry = &process_registry_;
  ctx.reload = [this] { return Reload(); };
  std::vector<const config::ComponentSettings*> chosen;
  for (const auto& c : settings_.components) {
    if (!c.enabled || !HasOwnPort(c)) continue;
    if (!options_.only.empty() &&
        std::find(options_.only.begin(), options_.only.end(), c.name) == options_.only.end()) {
      continue;
    }
    chosen.push_back(&c);
    ctx.http_endpoints.emplace_back(c.name, config::DialAddress(c.http_listen.empty() ? c.listen : c.http_listen));
  }
  for (const auto* c : chosen) components_.push_back(MakeComponent(ctx, *c));
  return Status::Ok();
}

int App::Run() {
  std::vector<config::ConfigError> errors;
  if (!config::LoadSettings(options_.load, &settings_, &errors)) {
    for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.ToString().c_str());
    return 2;
  }
  if (auto native = CheckNativeConfigs(settings_); !native.empty()) {
    for (const auto& e : native) std::fprintf(stderr, "%s\n", e.c_str());
    return 2;
  }
  for (const auto& name : options_.only) {
    if (settings_.Find(name) == nullptr) {
      std::fprintf(stderr, "vigil: --only: unknown component \"%s\"\n", name.c_str());
      return 2;
    }
  }
  ApplyLogging(settings_);

  std::error_code fs_ec;
  std::filesystem::create_directories(settings_.data_dir, fs_ec);
  if (fs_ec) {
    std::fprintf(stderr, "vigil: cannot create data_dir %s: %s (set data_dir or --data-dir)\n",
                 settings_.data_dir.c_str(), fs_ec.message().c_str());
    return 1;
  }

  // Signals are taken synchronously by this thread only.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  RegisterProcessMetrics(process_registry_);
  runtime_ = std::make_unique<net::Runtime>();
  runtime_->Start();
  Build();

  for (auto& c : components_) {
    Status st = c->Start();
    if (!st.ok()) {
      std::fprintf(stderr, "vigil: cannot start %s on %s (set %s)\n", std::string(c->name()).c_str(),
                   st.message().c_str(), c->listen_key().c_str());
      for (auto& other : components_) other->Stop(std::chrono::milliseconds(0));
      components_.clear();
      runtime_->Stop();
      return 1;
    }
  }
  VLOG_INFO("vigil started", {{"config", settings_.source},
                              {"data_dir", settings_.data_dir},
                              {"components", std::to_string(components_.size())}});

  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      Status st = Reload();
      if (!st.ok()) VLOG_ERROR("reload failed; keeping the old config", {{"error", st.message()}});
      continue;
    }
    VLOG_INFO("stopping", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    break;
  }

  // Components stop in reverse start order; the whole stop stays within ~10 s.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(8);
  for (auto it = components_.rbegin(); it != components_.rend(); ++it) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    (*it)->Stop(std::max(left, std::chrono::milliseconds(0)));
  }
  components_.clear();
  runtime_->Stop();
  VLOG_INFO("vigil stopped");
  return 0;
}

Status App::Reload() {
  std::lock_guard lock(mu_);
  config::Settings fresh;
  std::vector<config::ConfigError> errors;
  if (!config::LoadSettings(options_.load, &fresh, &errors)) {
    return Status::InvalidArgument(JoinErrors(errors));
  }
  if (auto native = CheckNativeConfigs(fresh); !native.empty()) {
    std::string joined;
    for (const auto& e : native) joined += (joined.empty() ? "" : "; ") + e;
    return Status::InvalidArgument(joined);
  }
  ApplyLogging(fresh);
  std::string kept;  // components that refused the new settings and kept theirs
  for (auto& c : components_) {
    const config::ComponentSettings* cs = fresh.Find(c->name());
    if (cs == nullptr) continue;
    Status st = c->Reload(*cs);
    if (!st.ok()) {
      VLOG_WARN("reload: setting kept", {{"component", std::string(c->name())}, {"reason", st.message()}});
      kept += (kept.empty() ? "" : "; ") + std::string(c->name()) + ": " + st.message();
    }
  }
  for (auto& c : components_) c->ReloadRelated(fresh);
  settings_ = std::move(fresh);
  VLOG_INFO("config reloaded", {{"config", settings_.source}});
  if (!kept.empty()) return Status::InvalidArgument(kept);
  return Status::Ok();
}

}  // namespace vigil::server
