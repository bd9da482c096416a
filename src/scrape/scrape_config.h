#pragma once
// Scrape configuration in Prometheus 2.42's own format: the `global` block
// and `scrape_configs` of a prometheus.yml, or the same list inline in
// vigil.yml's `scrape.scrape_configs`. Parsing is strict as Prometheus' is
// (an unknown field is an error), except that the service-discovery kinds
// Vigil does not implement (kubernetes_sd_configs, consul_sd_configs, ...)
// are accepted with a warning and discover nothing.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "relabel/relabel.h"

namespace YAML {
class Node;
}  // namespace YAML

namespace vigil::scrape {

using Millis = std::chrono::milliseconds;

// The `tls_config` block of an HTTP client.
struct TlsConfig {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string server_name;
  bool insecure_skip_verify = false;
};

// How to authenticate and connect to a target (Prometheus' HTTPClientConfig,
// the parts that apply to scraping). At most one of basic auth and
// authorization is set; `bearer_token(_file)` is folded into authorization.
struct HttpClientConfig {
  std::string basic_auth_username;
  std::string basic_auth_password;
  std::string basic_auth_password_file;
  bool has_basic_auth = false;
  std::string authorization_type;  // "Bearer" when credentials are set without a type
  std::string authorization_credentials;
  std::string authorization_credentials_file;
  TlsConfig tls;
  bool follow_redirects = true;
};

// One `static_configs` entry.
struct StaticGroup {
  std::vector<std::string> targets;
  std::map<std::string, std::string> labels;
};

// One `file_sd_configs` entry.
struct FileSdConfig {
  std::vector<std::string> files;  // paths or globs (*.json, *.yml, *.yaml)
  Millis refresh_interval{std::chrono::minutes(5)};
};

// One scrape job, with every default applied (global intervals included).
struct ScrapeConfig {
  std::string job_name;
  bool honor_labels = false;
  bool honor_timestamps = true;
  std::map<std::string, std::vector<std::string>> params;
  Millis scrape_interval{0};
  Millis scrape_timeout{0};
  std::string metrics_path = "/metrics";
  std::string scheme = "http";
  uint64_t body_size_limit = 0;  // bytes; 0 means Vigil's own bound (64 MiB)
  uint64_t sample_limit = 0;     // 0 means no limit, for all *_limit fields
  uint64_t target_limit = 0;
  uint64_t label_limit = 0;
  uint64_t label_name_length_limit = 0;
  uint64_t label_value_length_limit = 0;
  HttpClientConfig http;
  std::vector<StaticGroup> static_configs;
  std::vector<FileSdConfig> file_sd_configs;
  std::vector<relabel::RelabelConfig> relabel_configs;
  std::vector<relabel::RelabelConfig> metric_relabel_configs;
  // The job's YAML as written plus the applied defaults: equal fingerprints
  // mean the job did not change across a reload.
  std::string fingerprint;
};

// Defaults for jobs that do not set their own, and labels for every series.
struct GlobalConfig {
  Millis scrape_interval{std::chrono::minutes(1)};
  Millis scrape_timeout{std::chrono::seconds(10)};
  // Added to every scraped series that does not carry the label already, as
  // VictoriaMetrics' scraper does with a prometheus.yml's external_labels.
  std::map<std::string, std::string> external_labels;
};

// A parsed scrape configuration.
struct ScrapeSettings {
  GlobalConfig global;
  std::vector<ScrapeConfig> jobs;
  std::vector<std::string> warnings;  // accepted but ignored parts
};

// Parses a prometheus.yml document: its `global` block (when present, over
// `defaults`) and `scrape_configs`. Other top-level Prometheus sections
// (rule_files, alerting, remote_write, ...) are ignored with a warning.
// Errors are InvalidArgument with Prometheus' wording where it has one
// (`found multiple scrape configs with job name "x"`, `scrape timeout greater
// than scrape interval for scrape config with job name "x"`), prefixed by
// "line N: " where the position is known.
Result<ScrapeSettings> ParsePrometheusConfig(const YAML::Node& root, const GlobalConfig& defaults);

// Parses a `scrape_configs` sequence with the given global defaults and
// appends the jobs to `*settings`. Job names must be unique across all jobs
// already in `*settings`.
Status ParseScrapeConfigs(const YAML::Node& list, ScrapeSettings* settings);

// Reads and parses the prometheus.yml at `path` (see ParsePrometheusConfig).
Result<ScrapeSettings> LoadPrometheusConfigFile(const std::string& path, const GlobalConfig& defaults);

}  // namespace vigil::scrape
