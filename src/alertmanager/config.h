#pragma once
// alertmanager.yml: parsing and validation of Alertmanager 0.25's config
// format (global, route tree, receivers, inhibit_rules, time_intervals,
// templates). Unknown keys are errors, as in Alertmanager's strict YAML
// decoding; integrations Vigil does not implement (slack, pagerduty, ...)
// are accepted and reported in `unsupported_integrations`.
//
// Thread-safety: a parsed AmConfig is immutable and shared by pointer.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "alertmanager/matcher.h"
#include "alertmanager/time_interval.h"
#include "base/status.h"

namespace vigil::alertmanager {

class NotificationTemplates;

// The subset of Prometheus' common http_config that notifications use.
struct HttpConfig {
  std::string basic_auth_username;
  std::string basic_auth_password;
  std::string authorization;  // full header value ("Bearer xyz")
  bool insecure_skip_verify = false;
  std::string ca_file;
};

struct WebhookConfig {
  std::string url;
  bool send_resolved = true;
  uint64_t max_alerts = 0;  // 0 = all
  HttpConfig http;
};

// Prometheus' tls_config as the email integration uses it.
struct TlsConfig {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string server_name;  // "" = the smarthost's host
  bool insecure_skip_verify = false;
};

struct EmailConfig {
  bool send_resolved = false;
  std::string to;
  std::string from;
  std::string smarthost;  // host:port
  std::string hello = "localhost";
  std::string auth_username;
  std::string auth_password;
  std::string auth_identity;
  bool require_tls = true;
  TlsConfig tls;
  // Header templates by canonical name; Subject, To and From are always
  // present (defaults: the default subject template, `to`, `from`).
  std::map<std::string, std::string> headers;
  std::string html = "{{ template \"email.default.html\" . }}";  // "" = no HTML part
  std::string text;                                              // "" = no text part
};

struct Receiver {
  std::string name;
  std::vector<WebhookConfig> webhooks;
  std::vector<EmailConfig> emails;
  std::vector<std::string> unsupported;  // e.g. "slack_configs"
};

// Per-route timing and grouping after inheritance from the parent.
struct RouteOptions {
  std::string receiver;
  std::vector<std::string> group_by;  // sorted, unique
  bool group_by_all = false;          // group_by: ['...']
  int64_t group_wait_ms = 30'000;
  int64_t group_interval_ms = 300'000;
  int64_t repeat_interval_ms = 4 * 3600'000;
  std::vector<std::string> mute_time_intervals;
  std::vector<std::string> active_time_intervals;
};

// One node of the route tree. Children own their subtrees.
struct Route {
  RouteOptions opts;
  Matchers matchers;
  bool continue_matching = false;
  std::vector<std::unique_ptr<Route>> routes;
  const Route* parent = nullptr;
  int index = 0;  // position among its siblings

  // Alertmanager's Route.Key(): the matchers of every ancestor, "/"-joined.
  const std::string& Key() const { return key; }
  // Key plus sibling indices, unique in the tree (Route.ID()).
  const std::string& Id() const { return id; }
  std::string key;  // filled in by the parser
  std::string id;
  // The routes an alert with `labels` goes to: depth-first, first matching
  // child wins unless it has `continue`; the node itself when no child matches.
  // Empty when this node's matchers do not match.
  void Match(const LabelSet& labels, std::vector<const Route*>* out) const;
};

struct InhibitRule {
  Matchers source;
  Matchers target;
  std::vector<std::string> equal;
};

struct GlobalConfig {
  int64_t resolve_timeout_ms = 300'000;
  std::string smtp_from;
  std::string smtp_smarthost;
  std::string smtp_hello = "localhost";
  std::string smtp_auth_username;
  std::string smtp_auth_password;
  std::string smtp_auth_identity;
  bool smtp_require_tls = true;
  HttpConfig http;
};

struct AmConfig {
  GlobalConfig global;
  std::unique_ptr<Route> route;
  std::vector<Receiver> receivers;
  std::vector<InhibitRule> inhibit_rules;
  std::map<std::string, TimeInterval> time_intervals;
  std::vector<std::string> templates;
  // The default templates and the `templates:` files (relative globs are
  // taken from the config file's directory), parsed at load.
  std::shared_ptr<const NotificationTemplates> notification_templates;
  std::string original;  // the YAML text as given (for /api/v2/status)

  // The receiver called `name`, or nullptr.
  const Receiver* FindReceiver(const std::string& name) const;
};

// Parses and validates `text` (alertmanager.yml). On failure the Status is
// InvalidArgument with every problem found, "; "-separated.
// `directory` is where relative template globs are looked up.
Result<std::shared_ptr<const AmConfig>> ParseConfig(const std::string& text, const std::string& directory = "");
// The same for an already-parsed YAML tree (inline `alertmanager.config`);
// `original` is kept as the config's text.
Result<std::shared_ptr<const AmConfig>> ParseConfigNode(const YAML::Node& root, std::string original,
                                                        const std::string& directory = "");
// Reads and parses a file (at most 16 MiB).
Result<std::shared_ptr<const AmConfig>> LoadConfigFile(const std::string& path);

// Pigsty's default alertmanager.yml: receiver "default", group_by
// [alertname], 30s/5m/4h, NodeDown inhibits category=node on equal ip.
const char* DefaultConfigText();

}  // namespace vigil::alertmanager
