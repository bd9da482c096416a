#include "probe/probe_component.h"

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cmath>
#include <cstdlib>

#include "base/log.h"
#include "net/runtime.h"
#include "probe/prober.h"

namespace vigil::probe {
namespace {

constexpr double kTimeoutOffsetSeconds = 0.5;  // blackbox_exporter's --timeout-offset default
constexpr double kDefaultScrapeTimeoutSeconds = 120;

// blackbox_exporter's http.Error: text/plain, nosniff, message + "\n".
net::HttpResponse BlackboxError(int status, const std::string& message) {
  net::HttpResponse resp = net::HttpResponse::Text(status, message + "\n");
  resp.SetHeader("Content-Type", "text/plain; charset=utf-8");
  resp.SetHeader("X-Content-Type-Options", "nosniff");
  return resp;
}

// The probe timeout in seconds for this request, or an error message.
Result<double> ProbeTimeout(const net::HttpRequest& req, const Module& module) {
  double seconds = kDefaultScrapeTimeoutSeconds;
  std::string_view header = req.Header("X-Prometheus-Scrape-Timeout-Seconds");
  if (!header.empty()) {
    std::string text(header);
    char* end = nullptr;
    seconds = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end != '\0' || std::isnan(seconds)) {
      return Status::InvalidArgument("Failed to parse timeout from Prometheus header: strconv.ParseFloat: parsing \"" +
                                     text + "\": invalid syntax");
    }
  }
  if (seconds == 0) seconds = kDefaultScrapeTimeoutSeconds;
  double module_seconds = module.timeout.count() / 1000.0;
  double offset = kTimeoutOffsetSeconds;
  if (seconds < offset) offset = 0;  // too small to subtract from
  seconds -= offset;
  if ((module_seconds < seconds && module_seconds > 0) || seconds < 0) seconds = module_seconds;
  return seconds;
}

}  // namespace

ProbeComponent::ProbeComponent(const service::ServiceContext& ctx, const config::Settings& settings,
                               const config::ComponentSettings& own)
    : HttpComponent(ctx, settings, own), max_body_bytes_(config::GetSize(own.section, "max_body_size")) {
  unknown_module_total_ = &registry().AddCounter("blackbox_module_unknown_total", "Count of unknown modules requested by probes");
  reload_successful_ = &registry().AddGauge("blackbox_exporter_config_last_reload_successful",
                                            "Blackbox exporter config loaded successfully.");
  reload_timestamp_ = &registry().AddGauge("blackbox_exporter_config_last_reload_success_timestamp_seconds",
                                           "Timestamp of the last successful configuration reload.");
  probes_total_ = &registry().AddCounter("vigil_probe_probes_total", "Probes run by /probe");
  probes_failed_total_ = &registry().AddCounter("vigil_probe_failed_total", "Probes that ended with probe_success 0");
  if (!LoadModules(own).ok()) modules_ = std::make_shared<const ModuleMap>(DefaultModules());
}

ProbeComponent::~ProbeComponent() { Stop(std::chrono::milliseconds(0)); }

Status ProbeComponent::LoadModules(const config::ComponentSettings& own) {
  Result<ModuleMap> loaded = ModulesFromSettings(own);
  if (!loaded.ok()) {
    reload_successful_->Set(0);
    return loaded.status();
  }
  auto fresh = std::make_shared<const ModuleMap>(std::move(*loaded));
  {
    std::lock_guard lock(mu_);
    modules_ = std::move(fresh);
  }
  reload_successful_->Set(1);
  reload_timestamp_->Set(std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
  return Status::Ok();
}

std::shared_ptr<const ModuleMap> ProbeComponent::modules() const {
  std::lock_guard lock(mu_);
  return modules_;
}

Status ProbeComponent::StartService() {
  std::shared_ptr<const ModuleMap> current = modules();
  VLOG_INFO("probe modules loaded", {{"modules", std::to_string(current->size())}});
  return Status::Ok();
}

Status ProbeComponent::Reload(const config::ComponentSettings& settings) {
  Status st = HttpComponent::Reload(settings);
  if (!st.ok()) return st;
  return LoadModules(settings);
}

void ProbeComponent::RegisterRoutes(net::Router& router) {
  router.HandleAsync({"GET", "POST"}, "/probe",
                     [this](net::HttpRequest& req, net::Responder respond) { HandleProbe(req, std::move(respond)); });
}

void ProbeComponent::HandleProbe(net::HttpRequest& req, net::Responder respond) {
  std::string module_name(req.query.Get("module"));
  if (module_name.empty()) module_name = "http_2xx";
  std::shared_ptr<const ModuleMap> current = modules();
  auto it = current->find(module_name);
  if (it == current->end()) {
    unknown_module_total_->Inc();
    respond(BlackboxError(400, "Unknown module \"" + module_name + "\""));
    return;
  }
  const Module& module = it->second;
  auto timeout = ProbeTimeout(req, module);
  if (!timeout.ok()) {
    respond(BlackboxError(500, timeout.status().message()));
    return;
  }
  std::string target(req.query.Get("target"));
  if (target.empty()) {
    respond(BlackboxError(400, "Target parameter is missing"));
    return;
  }
  std::string hostname(req.query.Get("hostname"));
  if (module.prober == "http" && !hostname.empty()) {
    for (char c : hostname) {
      if (static_cast<unsigned char>(c) < 0x21 || c == 0x7f) {
        respond(BlackboxError(400, "Invalid hostname parameter"));
        return;
      }
    }
  }
  bool debug = req.query.Get("debug") == "true";
  ProbeRequest probe;
  probe.target = target;
  probe.module_name = module_name;
  probe.module = module;
  probe.timeout = std::chrono::milliseconds(static_cast<int64_t>(*timeout * 1000));
  probe.hostname = module.prober == "http" ? hostname : "";
  probe.max_body_bytes = max_body_bytes_;
  probes_total_->Inc();
  Counter* failed = probes_failed_total_;
  std::string module_yaml = module.yaml;
  RunProbe(context().runtime->io(), std::move(probe),
           [respond = std::move(respond), debug, failed, module_yaml](ProbeOutcome outcome) {
             if (!outcome.success) failed->Inc();
             std::string metrics = outcome.metrics.Render();
             if (debug) {
               std::string body = "Logs for the probe:\n" + outcome.log + "\n\n\nMetrics that would have been returned:\n" +
                                  metrics + "\n\n\nModule configuration:\n" + module_yaml + "\n";
               respond(net::HttpResponse::Text(200, std::move(body)));
               return;
             }
             net::HttpResponse resp;
             resp.status = 200;
             resp.body = std::move(metrics);
             resp.SetHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
             respond(std::move(resp));
           });
}

Result<ModuleMap> ModulesFromSettings(const config::ComponentSettings& own) {
  const std::string path = config::GetString(own.section, "config_file");
  if (!path.empty()) return LoadModulesFile(path);
  const YAML::Node inline_modules = own.section["modules"];
  if (!inline_modules.IsDefined() || inline_modules.IsNull() || (inline_modules.IsMap() && inline_modules.size() == 0))
    return DefaultModules();
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "modules" << YAML::Value << inline_modules << YAML::EndMap;
  return ParseModules(out.c_str());
}

std::vector<std::string> CheckProbeConfig(const config::ComponentSettings& own) {
  auto loaded = ModulesFromSettings(own);
  if (loaded.ok()) return {};
  const bool from_file = !config::GetString(own.section, "config_file").empty();
  return {std::string(from_file ? "probe.config_file: " : "probe.modules: ") + loaded.status().message()};
}

}  // namespace vigil::probe
