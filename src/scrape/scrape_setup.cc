#include "scrape/scrape_setup.h"

#include <yaml-cpp/yaml.h>

#include "config/config.h"
#include "config/values.h"

namespace vigil::scrape {
namespace {

// Pigsty's victoria/prometheus.yml rendered with its defaults
// (exporter_metrics_path /metrics, redis_exporter_port 9121, minio over
// https, patroni without SSL). @TD@ is the targets directory, @PROBE@ the
// blackbox prober's address.
constexpr char kPigstyJobs[] = R"(
- job_name: ping
  metrics_path: /probe
  params: {module: [icmp]}
  file_sd_configs: [{files: ["@TD@/ping/*.yml"]}]
  relabel_configs:
    - {source_labels: [__address__], target_label: __param_target}
    - {source_labels: [__param_target], target_label: instance}
    - {target_label: __address__, replacement: "@PROBE@"}
- job_name: infra
  metrics_path: /metrics
  file_sd_configs: [{files: ["@TD@/infra/*.yml"]}]
- job_name: node
  metrics_path: /metrics
  file_sd_configs: [{files: ["@TD@/node/*.yml"]}]
- job_name: docker
  metrics_path: /metrics
  file_sd_configs: [{files: ["@TD@/docker/*.yml"]}]
  relabel_configs:
    - {source_labels: [job], target_label: job, replacement: node}
- job_name: etcd
  metrics_path: /metrics
  file_sd_configs: [{files: ["@TD@/etcd/*.yml"]}]
  scheme: https
  tls_config: {ca_file: /etc/pki/ca.crt, cert_file: /etc/pki/infra.crt, key_file: /etc/pki/infra.key}
- job_name: minio
  metrics_path: /minio/metrics/v3
  file_sd_configs: [{files: ["@TD@/minio/*.yml"]}]
  scheme: https
  metric_relabel_configs:
    - {source_labels: [bucket], regex: '.+', action: drop}
  tls_config: {ca_file: /etc/pki/ca.crt, cert_file: /etc/pki/infra.crt, key_file: /etc/pki/infra.key}
- job_name: pgsql
  metrics_path: /metrics
  file_sd_configs: [{files: ["@TD@/pgsql/*.yml"]}]
- job_name: pgrds
  metrics_path: /metrics
  file_sd_configs: [{files: ["@TD@/pgrds/*.yml"]}]
- job_name: redis
  metrics_path: /scrape
  file_sd_configs: [{files: ["@TD@/redis/*.yml"]}]
  relabel_configs:
    - {source_labels: [__address__], target_label: __param_target}
    - {source_labels: [__param_target], regex: '^redis://(.*):(\d+)$', replacement: '$1:$2', target_label: instance}
    - {source_labels: [__param_target], regex: '^redis://(.*):(\d+)$', replacement: '$1', target_label: ip}
    - {source_labels: [__param_target], regex: '^redis://(.*):\d+$', replacement: '$1:9121', target_label: __address__}
- job_name: mysql
  metrics_path: /metrics
  file_sd_configs: [{files: ["@TD@/mysql/*.yml"]}]
- job_name: kafka
  metrics_path: /metrics
  file_sd_configs: [{files: ["@TD@/kafka/*.yml"]}]
- job_name: juice
  metrics_path: /metrics
  file_sd_configs: [{files: ["@TD@/juice/*.yml"]}]
)";

void ReplaceAll(std::string* s, std::string_view from, std::string_view to) {
  for (size_t pos = s->find(from); pos != std::string::npos; pos = s->find(from, pos + to.size())) {
    s->replace(pos, from.size(), to);
  }
}

// YAML-quotes `s` for a double-quoted scalar.
std::string Quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

Result<ScrapeSettings> SettingsFromSection(const YAML::Node& section, const std::vector<SelfEndpoint>& self) {
  GlobalConfig defaults;
  defaults.scrape_interval = config::GetDuration(section, "scrape_interval");
  defaults.scrape_timeout = config::GetDuration(section, "scrape_timeout");
  const std::string config_file = config::GetString(section, "config_file");
  ScrapeSettings settings;
  settings.global = defaults;
  try {
    if (!config_file.empty()) {
      auto loaded = LoadPrometheusConfigFile(config_file, defaults);
      if (!loaded.ok()) return Status::InvalidArgument("scrape.config_file: " + loaded.status().message());
      settings = std::move(*loaded);
    } else if (const YAML::Node jobs = section["scrape_configs"]; jobs.IsSequence() && jobs.size() > 0) {
      if (Status st = ParseScrapeConfigs(jobs, &settings); !st.ok()) {
        return Status::InvalidArgument("scrape.scrape_configs: " + st.message());
      }
    } else {
      std::string text = kPigstyJobs;
      std::string probe = "127.0.0.1:9115";
      for (const auto& e : self) {
        if (e.component == "probe") probe = e.address;
      }
      ReplaceAll(&text, "@TD@", config::GetString(section, "targets_dir"));
      ReplaceAll(&text, "@PROBE@", probe);
      if (Status st = ParseScrapeConfigs(YAML::Load(text), &settings); !st.ok()) {
        return Status::Internal("built-in scrape jobs: " + st.message());
      }
    }
    bool has_vigil_job = false;
    for (const auto& job : settings.jobs) has_vigil_job |= job.job_name == "vigil";
    if (config::GetBool(section, "self_scrape") && !has_vigil_job && !self.empty()) {
      std::string text = "- job_name: vigil\n  static_configs:\n    - targets: [";
      for (size_t i = 0; i < self.size(); ++i) text += (i ? ", " : "") + Quoted(self[i].address);
      text += "]\n";
      if (Status st = ParseScrapeConfigs(YAML::Load(text), &settings); !st.ok()) {
        return Status::Internal("self-scrape job: " + st.message());
      }
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string("scrape: ") + e.what());
  }
  return settings;
}

}  // namespace vigil::scrape
