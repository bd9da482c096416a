// Parsing of Prometheus 2.42 scrape configuration (config.ScrapeConfig,
// config.GlobalConfig, discovery/file.SDConfig, targetgroup.Group) from YAML.

#include "scrape/scrape_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <span>
#include <sstream>
#include <string_view>

#include "config/yaml_position.h"
#include "config/values.h"
#include "tsdb/labels.h"

namespace vigil::scrape {
namespace {

Status ErrorAt(const YAML::Node& node, const std::string& message) {
  return Status::InvalidArgument(config::YamlLinePrefix(node) + message);
}

// Service-discovery kinds of Prometheus 2.42 that Vigil accepts but does not run.
constexpr std::string_view kUnsupportedDiscovery[] = {
    "azure_sd_configs",     "consul_sd_configs",    "digitalocean_sd_configs", "docker_sd_configs",
    "dockerswarm_sd_configs", "dns_sd_configs",     "ec2_sd_configs",          "eureka_sd_configs",
    "gce_sd_configs",       "hetzner_sd_configs",   "http_sd_configs",         "ionos_sd_configs",
    "kubernetes_sd_configs", "kuma_sd_configs",     "lightsail_sd_configs",    "linode_sd_configs",
    "marathon_sd_configs",  "nerve_sd_configs",     "nomad_sd_configs",        "openstack_sd_configs",
    "ovhcloud_sd_configs",  "puppetdb_sd_configs",  "scaleway_sd_configs",     "serverset_sd_configs",
    "triton_sd_configs",    "uyuni_sd_configs",     "vultr_sd_configs"};

// HTTP client fields Vigil accepts but does not apply.
constexpr std::string_view kUnsupportedHttpFields[] = {"oauth2", "proxy_url", "no_proxy", "proxy_from_environment",
                                                       "proxy_connect_header", "enable_http2"};

bool Contains(std::span<const std::string_view> list, std::string_view key) {
  return std::find(list.begin(), list.end(), key) != list.end();
}

Status ReadString(const YAML::Node& node, std::string* out) {
  if (node.IsNull()) {
    out->clear();
    return Status::Ok();
  }
  if (!node.IsScalar()) return ErrorAt(node, "expected a string");
  *out = node.Scalar();
  return Status::Ok();
}

Status ReadBool(const YAML::Node& node, bool* out) {
  if (node.IsNull()) return Status::Ok();
  bool value = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
    return ErrorAt(node, "cannot unmarshal !!str `" + node.Scalar() + "` into bool");
  }
  *out = value;
  return Status::Ok();
}

Status ReadUint(const YAML::Node& node, uint64_t* out) {
  if (node.IsNull()) return Status::Ok();
  const std::string& s = node.Scalar();
  if (!node.IsScalar() || s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      s.size() > 19) {
    return ErrorAt(node, "cannot unmarshal !!str `" + s + "` into uint");
  }
  *out = std::stoull(s);
  return Status::Ok();
}

Status ReadDuration(const YAML::Node& node, Millis* out) {
  std::string text;
  if (Status st = ReadString(node, &text); !st.ok()) return st;
  auto d = config::ParseDuration(text);
  if (!d.ok()) return ErrorAt(node, "not a valid duration string: \"" + text + "\"");
  *out = *d;
  return Status::Ok();
}

Status ReadSize(const YAML::Node& node, uint64_t* out) {
  std::string text;
  if (Status st = ReadString(node, &text); !st.ok()) return st;
  if (text.empty()) return Status::Ok();
  auto size = config::ParseSize(text);
  if (!size.ok()) return ErrorAt(node, "not a valid size: \"" + text + "\"");
  *out = *size;
  return Status::Ok();
}

Status ReadStringList(const YAML::Node& node, std::vector<std::string>* out) {
  out->clear();
  if (node.IsNull()) return Status::Ok();
  if (!node.IsSequence()) return ErrorAt(node, "expected a list of strings");
  for (const auto& item : node) {
    std::string s;
    if (Status st = ReadString(item, &s); !st.ok()) return st;
    out->push_back(std::move(s));
  }
  return Status::Ok();
}

Status ReadLabelMap(const YAML::Node& node, std::map<std::string, std::string>* out) {
  out->clear();
  if (node.IsNull()) return Status::Ok();
  if (!node.IsMap()) return ErrorAt(node, "expected a map of label names to values");
  for (const auto& kv : node) {
    const std::string& name = kv.first.Scalar();
    if (!tsdb::IsValidLabelName(name)) return ErrorAt(kv.first, "\"" + name + "\" is not a valid label name");
    std::string value;
    if (Status st = ReadString(kv.second, &value); !st.ok()) return st;
    (*out)[name] = std::move(value);
  }
  return Status::Ok();
}

// Calls `fn(key, value)` for every entry of the map `node`; a key for which
// `fn` returns NotFound becomes Prometheus' strict-mode error.
template <typename Fn>
Status ForEachField(const YAML::Node& node, std::string_view type_name, Fn&& fn) {
  if (node.IsNull()) return Status::Ok();
  if (!node.IsMap()) return ErrorAt(node, "expected a map for " + std::string(type_name));
  for (const auto& kv : node) {
    const std::string& key = kv.first.Scalar();
    Status st = fn(key, kv.second);
    if (st.code() == Status::Code::kNotFound) {
      return ErrorAt(kv.first, "field " + key + " not found in type " + std::string(type_name));
    }
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

Status ParseTls(const YAML::Node& node, TlsConfig* tls) {
  return ForEachField(node, "config.TLSConfig", [&](const std::string& key, const YAML::Node& v) -> Status {
    if (key == "ca_file") return ReadString(v, &tls->ca_file);
    if (key == "cert_file") return ReadString(v, &tls->cert_file);
    if (key == "key_file") return ReadString(v, &tls->key_file);
    if (key == "server_name") return ReadString(v, &tls->server_name);
    if (key == "insecure_skip_verify") return ReadBool(v, &tls->insecure_skip_verify);
    if (key == "min_version" || key == "ca" || key == "cert" || key == "key") return Status::Ok();
    return Status::NotFound(key);
  });
}

Status ParseBasicAuth(const YAML::Node& node, HttpClientConfig* http) {
  http->has_basic_auth = !node.IsNull();
  return ForEachField(node, "config.BasicAuth", [&](const std::string& key, const YAML::Node& v) -> Status {
    if (key == "username") return ReadString(v, &http->basic_auth_username);
    if (key == "password") return ReadString(v, &http->basic_auth_password);
    if (key == "password_file") return ReadString(v, &http->basic_auth_password_file);
    return Status::NotFound(key);
  });
}

Status ParseAuthorization(const YAML::Node& node, HttpClientConfig* http) {
  return ForEachField(node, "config.Authorization", [&](const std::string& key, const YAML::Node& v) -> Status {
    if (key == "type") return ReadString(v, &http->authorization_type);
    if (key == "credentials") return ReadString(v, &http->authorization_credentials);
    if (key == "credentials_file") return ReadString(v, &http->authorization_credentials_file);
    return Status::NotFound(key);
  });
}

Status ParseStaticGroup(const YAML::Node& node, StaticGroup* group) {
  return ForEachField(node, "targetgroup.Group", [&](const std::string& key, const YAML::Node& v) -> Status {
    if (key == "targets") return ReadStringList(v, &group->targets);
    if (key == "labels") return ReadLabelMap(v, &group->labels);
    return Status::NotFound(key);
  });
}

Status ParseFileSd(const YAML::Node& node, FileSdConfig* sd) {
  Status st = ForEachField(node, "file.SDConfig", [&](const std::string& key, const YAML::Node& v) -> Status {
    if (key == "files") return ReadStringList(v, &sd->files);
    if (key == "refresh_interval") return ReadDuration(v, &sd->refresh_interval);
    return Status::NotFound(key);
  });
  if (!st.ok()) return st;
  if (sd->files.empty()) return ErrorAt(node, "file service discovery config must contain at least one path name");
  for (const auto& f : sd->files) {
    auto ends_with = [&](std::string_view ext) { return f.size() >= ext.size() && f.ends_with(ext); };
    if (!ends_with(".json") && !ends_with(".yml") && !ends_with(".yaml")) {
      return ErrorAt(node, "path name \"" + f + "\" is not valid for file discovery");
    }
  }
  return Status::Ok();
}

Status ParseJob(const YAML::Node& node, const GlobalConfig& global, ScrapeConfig* job,
                std::vector<std::string>* warnings) {
  if (!node.IsMap()) return ErrorAt(node, "a scrape config must be a map");
  bool timeout_set = false, interval_set = false;
  std::string bearer_token, bearer_token_file;
  bool has_authorization = false;
  std::vector<std::string> ignored;
  Status st = ForEachField(node, "config.ScrapeConfig", [&](const std::string& key, const YAML::Node& v) -> Status {
    if (key == "job_name") return ReadString(v, &job->job_name);
    if (key == "honor_labels") return ReadBool(v, &job->honor_labels);
    if (key == "honor_timestamps") return ReadBool(v, &job->honor_timestamps);
    if (key == "params") {
      return ForEachField(v, "url.Values", [&](const std::string& name, const YAML::Node& values) -> Status {
        return ReadStringList(values, &job->params[name]);
      });
    }
    if (key == "scrape_interval") return interval_set = true, ReadDuration(v, &job->scrape_interval);
    if (key == "scrape_timeout") return timeout_set = true, ReadDuration(v, &job->scrape_timeout);
    if (key == "metrics_path") return ReadString(v, &job->metrics_path);
    if (key == "scheme") return ReadString(v, &job->scheme);
    if (key == "body_size_limit") return ReadSize(v, &job->body_size_limit);
    if (key == "sample_limit") return ReadUint(v, &job->sample_limit);
    if (key == "target_limit") return ReadUint(v, &job->target_limit);
    if (key == "label_limit") return ReadUint(v, &job->label_limit);
    if (key == "label_name_length_limit") return ReadUint(v, &job->label_name_length_limit);
    if (key == "label_value_length_limit") return ReadUint(v, &job->label_value_length_limit);
    if (key == "basic_auth") return ParseBasicAuth(v, &job->http);
    if (key == "authorization") return has_authorization = true, ParseAuthorization(v, &job->http);
    if (key == "bearer_token") return ReadString(v, &bearer_token);
    if (key == "bearer_token_file") return ReadString(v, &bearer_token_file);
    if (key == "tls_config") return ParseTls(v, &job->http.tls);
    if (key == "follow_redirects") return ReadBool(v, &job->http.follow_redirects);
    if (key == "static_configs") {
      if (v.IsNull()) return Status::Ok();
      if (!v.IsSequence()) return ErrorAt(v, "static_configs must be a list");
      for (const auto& g : v) {
        if (Status s = ParseStaticGroup(g, &job->static_configs.emplace_back()); !s.ok()) return s;
      }
      return Status::Ok();
    }
    if (key == "file_sd_configs") {
      if (v.IsNull()) return Status::Ok();
      if (!v.IsSequence()) return ErrorAt(v, "file_sd_configs must be a list");
      for (const auto& f : v) {
        if (Status s = ParseFileSd(f, &job->file_sd_configs.emplace_back()); !s.ok()) return s;
      }
      return Status::Ok();
    }
    if (key == "relabel_configs" || key == "metric_relabel_configs") {
      auto rules = relabel::ParseRelabelConfigs(v);
      if (!rules.ok()) return Status::InvalidArgument(rules.status().message());
      (key == "relabel_configs" ? job->relabel_configs : job->metric_relabel_configs) = std::move(*rules);
      return Status::Ok();
    }
    if (Contains(kUnsupportedDiscovery, key) || Contains(kUnsupportedHttpFields, key)) {
      ignored.push_back(key);
      return Status::Ok();
    }
    return Status::NotFound(key);
  });
  if (!st.ok()) return st;
  if (job->job_name.empty()) return ErrorAt(node, "job_name is empty");
  for (const auto& key : ignored) {
    warnings->push_back("scrape config \"" + job->job_name + "\": " + key + " is not supported and is ignored");
  }
  if (job->scheme != "http" && job->scheme != "https") {
    return ErrorAt(node, "unknown scheme \"" + job->scheme + "\" in scrape config with job name \"" + job->job_name +
                             "\"");
  }
  if (job->metrics_path.empty() || job->metrics_path[0] != '/') {
    job->metrics_path.insert(0, "/");
  }
  // Authentication: the checks of Prometheus' HTTPClientConfig.Validate.
  HttpClientConfig& http = job->http;
  if (!bearer_token.empty() && !bearer_token_file.empty()) {
    return ErrorAt(node, "at most one of bearer_token & bearer_token_file must be configured");
  }
  if (http.has_basic_auth && (!bearer_token.empty() || !bearer_token_file.empty())) {
    return ErrorAt(node, "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured");
  }
  if (http.has_basic_auth && !http.basic_auth_password.empty() && !http.basic_auth_password_file.empty()) {
    return ErrorAt(node, "at most one of basic_auth password & password_file must be configured");
  }
  if (has_authorization) {
    if (!bearer_token.empty() || !bearer_token_file.empty()) {
      return ErrorAt(node, "authorization is not compatible with bearer_token & bearer_token_file");
    }
    if (!http.authorization_credentials.empty() && !http.authorization_credentials_file.empty()) {
      return ErrorAt(node, "at most one of authorization credentials & credentials_file must be configured");
    }
    if (http.has_basic_auth) {
      return ErrorAt(node, "at most one of basic_auth, oauth2 & authorization must be configured");
    }
    if (http.authorization_type.empty()) http.authorization_type = "Bearer";
    if (http.authorization_type == "Basic" || http.authorization_type == "basic") {
      return ErrorAt(node, "authorization type cannot be set to \"basic\", use \"basic_auth\" instead");
    }
  } else if (!bearer_token.empty() || !bearer_token_file.empty()) {
    http.authorization_type = "Bearer";
    http.authorization_credentials = bearer_token;
    http.authorization_credentials_file = bearer_token_file;
  }
  // Intervals: the job's own, else the global ones; an unset timeout larger
  // than the interval shrinks to it, a set one is an error.
  if (!interval_set) job->scrape_interval = global.scrape_interval;
  if (!timeout_set) {
    job->scrape_timeout = std::min(global.scrape_timeout, job->scrape_interval);
  }
  if (job->scrape_interval.count() <= 0) {
    return ErrorAt(node, "scrape interval must be positive in scrape config with job name \"" + job->job_name + "\"");
  }
  if (job->scrape_timeout > job->scrape_interval) {
    return ErrorAt(node, "scrape timeout greater than scrape interval for scrape config with job name \"" +
                             job->job_name + "\"");
  }
  for (const auto& rules : {&job->relabel_configs, &job->metric_relabel_configs}) {
    if (auto compiled = relabel::Relabeler::Compile(*rules); !compiled.ok()) {
      return ErrorAt(node, compiled.status().message());
    }
  }
  YAML::Emitter out;
  out << node;
  job->fingerprint = std::string(out.c_str()) + "\n#interval=" + std::to_string(job->scrape_interval.count()) +
                     " timeout=" + std::to_string(job->scrape_timeout.count());
  return Status::Ok();
}

Status ParseGlobal(const YAML::Node& node, GlobalConfig* global) {
  bool timeout_set = false;
  Status st = ForEachField(node, "config.GlobalConfig", [&](const std::string& key, const YAML::Node& v) -> Status {
    if (key == "scrape_interval") return ReadDuration(v, &global->scrape_interval);
    if (key == "scrape_timeout") return timeout_set = true, ReadDuration(v, &global->scrape_timeout);
    if (key == "external_labels") return ReadLabelMap(v, &global->external_labels);
    if (key == "evaluation_interval" || key == "query_log_file") return Status::Ok();
    return Status::NotFound(key);
  });
  if (!st.ok()) return st;
  if (!timeout_set) global->scrape_timeout = std::min(global->scrape_timeout, global->scrape_interval);
  if (global->scrape_timeout > global->scrape_interval) {
    return ErrorAt(node, "global scrape timeout greater than scrape interval");
  }
  return Status::Ok();
}

}  // namespace

Status ParseScrapeConfigs(const YAML::Node& list, ScrapeSettings* settings) {
  try {
    if (list.IsNull() || !list.IsDefined()) return Status::Ok();
    if (!list.IsSequence()) return ErrorAt(list, "scrape_configs must be a list");
    std::set<std::string> names;
    for (const auto& job : settings->jobs) names.insert(job.job_name);
    for (const auto& node : list) {
      if (node.IsNull()) return ErrorAt(node, "empty or null scrape config section");
      ScrapeConfig job;
      if (Status st = ParseJob(node, settings->global, &job, &settings->warnings); !st.ok()) return st;
      if (!names.insert(job.job_name).second) {
        return ErrorAt(node, "found multiple scrape configs with job name \"" + job.job_name + "\"");
      }
      settings->jobs.push_back(std::move(job));
    }
    return Status::Ok();
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string("scrape_configs: ") + e.what());
  }
}

Result<ScrapeSettings> ParsePrometheusConfig(const YAML::Node& root, const GlobalConfig& defaults) {
  ScrapeSettings settings;
  settings.global = defaults;
  try {
    if (root.IsNull() || !root.IsDefined()) return settings;
    if (!root.IsMap()) return ErrorAt(root, "a Prometheus config must be a map");
    for (const auto& kv : root) {
      const std::string& key = kv.first.Scalar();
      if (key == "global") {
        if (Status st = ParseGlobal(kv.second, &settings.global); !st.ok()) return st;
      } else if (key == "alerting" || key == "rule_files" || key == "remote_write" || key == "remote_read" ||
                 key == "storage" || key == "tracing") {
        settings.warnings.push_back(key + " is not used by the scraper and is ignored");
      } else if (key != "scrape_configs") {
        return ErrorAt(kv.first, "field " + key + " not found in type config.plain");
      }
    }
    if (Status st = ParseScrapeConfigs(root["scrape_configs"], &settings); !st.ok()) return st;
    return settings;
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string("prometheus config: ") + e.what());
  }
}

Result<ScrapeSettings> LoadPrometheusConfigFile(const std::string& path, const GlobalConfig& defaults) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot read scrape config file " + path);
  std::stringstream text;
  text << in.rdbuf();
  YAML::Node root;
  try {
    root = YAML::Load(text.str());
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(path + ": " + e.what());
  }
  auto parsed = ParsePrometheusConfig(root, defaults);
  if (!parsed.ok()) return Status::InvalidArgument(path + ": " + parsed.status().message());
  return parsed;
}

}  // namespace vigil::scrape
