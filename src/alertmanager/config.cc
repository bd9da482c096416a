#include "alertmanager/config.h"

#include "alertmanager/notify_template.h"

#include <algorithm>
#include <set>

#include "base/file_util.h"
#include "config/values.h"

namespace vigil::alertmanager {
namespace {

const char kDefaultConfig[] = R"(# Pigsty's default alertmanager.yml
global:
  resolve_timeout: 5m
route:
  receiver: 'default'
  group_by: ['alertname']
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
receivers:
  - name: 'default'
inhibit_rules:
  - source_matchers: [ alertname="NodeDown" ]
    target_matchers: [ category="node" ]
    equal: ['ip']
)";

// Integrations Alertmanager 0.25 knows and Vigil accepts without sending.
const std::set<std::string> kOtherIntegrations = {
    "slack_configs",   "pagerduty_configs", "opsgenie_configs", "pushover_configs", "sns_configs",
    "victorops_configs", "wechat_configs",  "telegram_configs", "webex_configs",    "discord_configs",
    "msteams_configs"};

const std::set<std::string> kGlobalKeys = {
    "resolve_timeout",   "smtp_from",          "smtp_smarthost",        "smtp_hello",
    "smtp_auth_username", "smtp_auth_password", "smtp_auth_password_file", "smtp_auth_identity",
    "smtp_auth_secret",  "smtp_require_tls",   "slack_api_url",         "slack_api_url_file",
    "pagerduty_url",     "opsgenie_api_key",   "opsgenie_api_key_file", "opsgenie_api_url",
    "victorops_api_key", "victorops_api_key_file", "victorops_api_url", "wechat_api_url",
    "wechat_api_secret", "wechat_api_corp_id", "telegram_api_url",      "webex_api_url",
    "http_config"};

// Collects errors while walking the tree, each prefixed with where it is.
class Parser {
 public:
  std::vector<std::string> errors;

  void Error(const std::string& msg) { errors.push_back(msg); }

  void CheckKeys(const YAML::Node& n, const std::set<std::string>& allowed, const std::string& type) {
    if (!n.IsMap()) return;
    for (const auto& kv : n) {
      std::string k = kv.first.Scalar();
      if (!allowed.count(k)) {
        Error("line " + std::to_string(kv.first.Mark().line + 1) + ": field " + k + " not found in type " + type);
      }
    }
  }

  std::string Str(const YAML::Node& n, const std::string& what) {
    if (!n || n.IsNull()) return "";
    if (!n.IsScalar()) {
      Error(what + " must be a string");
      return "";
    }
    return n.Scalar();
  }

  bool Bool(const YAML::Node& n, bool def, const std::string& what) {
    if (!n || n.IsNull()) return def;
    std::string s = n.IsScalar() ? n.Scalar() : "";
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
    Error(what + ": cannot unmarshal " + s + " into bool");
    return def;
  }

  // Returns -1 when absent.
  int64_t Duration(const YAML::Node& n, const std::string& what) {
    if (!n || n.IsNull()) return -1;
    auto d = config::ParseDuration(n.IsScalar() ? n.Scalar() : "");
    if (!d.ok()) {
      Error(what + ": " + d.status().message());
      return -1;
    }
    return d->count();
  }

  std::vector<std::string> StrList(const YAML::Node& n, const std::string& what) {
    std::vector<std::string> out;
    if (!n || n.IsNull()) return out;
    if (!n.IsSequence()) {
      Error(what + " must be a list");
      return out;
    }
    for (const auto& item : n) out.push_back(Str(item, what));
    return out;
  }

  Matchers MatcherList(const YAML::Node& n, const std::string& what) {
    Matchers out;
    for (const auto& s : StrList(n, what)) {
      auto ms = ParseMatchers(s);
      if (!ms.ok()) {
        Error(what + ": " + ms.status().message());
        continue;
      }
      for (auto& m : *ms) out.push_back(std::move(m));
    }
    return out;
  }

  // Legacy `match` / `match_re` maps.
  void LegacyMatchers(const YAML::Node& n, bool regex, const std::string& what, Matchers* out) {
    if (!n || n.IsNull()) return;
    if (!n.IsMap()) {
      Error(what + " must be a map");
      return;
    }
    for (const auto& kv : n) {
      std::string name = kv.first.Scalar();
      if (!ValidLabelName(name)) {
        Error("invalid label name \"" + name + "\" in " + what);
        continue;
      }
      auto m = Matcher::Make(regex ? MatchType::kRegex : MatchType::kEqual, name, Str(kv.second, what));
      if (!m.ok()) {
        Error(what + ": " + m.status().message());
        continue;
      }
      out->push_back(std::move(*m));
    }
  }

  HttpConfig Http(const YAML::Node& n, const HttpConfig& def) {
    HttpConfig h = def;
    if (!n || n.IsNull()) return h;
    CheckKeys(n,
              {"basic_auth", "authorization", "bearer_token", "bearer_token_file", "tls_config", "proxy_url",
               "follow_redirects", "enable_http2", "oauth2", "no_proxy", "proxy_from_environment",
               "proxy_connect_header"},
              "config.HTTPClientConfig");
    if (n["basic_auth"]) {
      h.basic_auth_username = Str(n["basic_auth"]["username"], "basic_auth.username");
      h.basic_auth_password = Str(n["basic_auth"]["password"], "basic_auth.password");
    }
    if (n["bearer_token"]) h.authorization = "Bearer " + Str(n["bearer_token"], "bearer_token");
    if (n["authorization"]) {
      std::string type = Str(n["authorization"]["type"], "authorization.type");
      if (type.empty()) type = "Bearer";
      h.authorization = type + " " + Str(n["authorization"]["credentials"], "authorization.credentials");
    }
    if (n["tls_config"]) {
      h.insecure_skip_verify = Bool(n["tls_config"]["insecure_skip_verify"], false, "insecure_skip_verify");
      h.ca_file = Str(n["tls_config"]["ca_file"], "tls_config.ca_file");
    }
    if (!h.basic_auth_username.empty() && !h.authorization.empty()) {
      Error("at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured");
    }
    return h;
  }

  void Global(const YAML::Node& n, GlobalConfig* g) {
    if (!n || n.IsNull()) return;
    if (!n.IsMap()) {
      Error("global must be a map");
      return;
    }
    CheckKeys(n, kGlobalKeys, "config.GlobalConfig");
    int64_t rt = Duration(n["resolve_timeout"], "global.resolve_timeout");
    if (rt >= 0) g->resolve_timeout_ms = rt;
    g->smtp_from = Str(n["smtp_from"], "smtp_from");
    g->smtp_smarthost = Str(n["smtp_smarthost"], "smtp_smarthost");
    if (n["smtp_hello"]) g->smtp_hello = Str(n["smtp_hello"], "smtp_hello");
    g->smtp_auth_username = Str(n["smtp_auth_username"], "smtp_auth_username");
    g->smtp_auth_password = Str(n["smtp_auth_password"], "smtp_auth_password");
    g->smtp_auth_identity = Str(n["smtp_auth_identity"], "smtp_auth_identity");
    g->smtp_require_tls = Bool(n["smtp_require_tls"], true, "smtp_require_tls");
    g->http = Http(n["http_config"], HttpConfig{});
  }

  void Receivers(const YAML::Node& n, const GlobalConfig& g, std::vector<Receiver>* out) {
    if (!n || n.IsNull()) return;
    if (!n.IsSequence()) {
      Error("receivers must be a list");
      return;
    }
    std::set<std::string> names;
    for (const auto& r : n) {
      std::set<std::string> keys = {"name", "webhook_configs", "email_configs"};
      keys.insert(kOtherIntegrations.begin(), kOtherIntegrations.end());
      CheckKeys(r, keys, "config.plain");
      Receiver rc;
      rc.name = Str(r["name"], "receiver name");
      if (rc.name.empty()) {
        Error("missing name in receiver");
        continue;
      }
      if (!names.insert(rc.name).second) Error("notification config name \"" + rc.name + "\" is not unique");
      for (const auto& w : r["webhook_configs"]) {
        CheckKeys(w, {"send_resolved", "url", "url_file", "http_config", "max_alerts"}, "config.plain");
        WebhookConfig wc;
        wc.url = Str(w["url"], "webhook url");
        wc.send_resolved = Bool(w["send_resolved"], true, "send_resolved");
        if (w["max_alerts"]) {
          std::string s = Str(w["max_alerts"], "max_alerts");
          char* end = nullptr;
          wc.max_alerts = std::strtoull(s.c_str(), &end, 10);
          if (s.empty() || *end != '\0') Error("max_alerts: cannot unmarshal " + s + " into uint64");
        }
        wc.http = Http(w["http_config"], g.http);
        if (wc.url.empty()) {
          Error("one of url or url_file must be configured");
        } else if (!wc.url.starts_with("http://") && !wc.url.starts_with("https://")) {
          Error("unsupported scheme \"" + wc.url.substr(0, wc.url.find(':')) + "\" for URL");
        }
        rc.webhooks.push_back(std::move(wc));
      }
      for (const auto& e : r["email_configs"]) {
        CheckKeys(e,
                  {"send_resolved", "to", "from", "hello", "smarthost", "auth_username", "auth_password",
                   "auth_password_file", "auth_secret", "auth_identity", "headers", "html", "text", "require_tls",
                   "tls_config"},
                  "config.plain");
        EmailConfig ec;
        ec.send_resolved = Bool(e["send_resolved"], false, "send_resolved");
        ec.to = Str(e["to"], "to");
        if (ec.to.empty()) Error("missing to address in email config");
        ec.from = e["from"] ? Str(e["from"], "from") : g.smtp_from;
        ec.smarthost = e["smarthost"] ? Str(e["smarthost"], "smarthost") : g.smtp_smarthost;
        ec.hello = e["hello"] ? Str(e["hello"], "hello") : g.smtp_hello;
        ec.auth_username = e["auth_username"] ? Str(e["auth_username"], "auth_username") : g.smtp_auth_username;
        ec.auth_password = e["auth_password"] ? Str(e["auth_password"], "auth_password") : g.smtp_auth_password;
        ec.auth_identity = e["auth_identity"] ? Str(e["auth_identity"], "auth_identity") : g.smtp_auth_identity;
        ec.require_tls = Bool(e["require_tls"], g.smtp_require_tls, "require_tls");
        if (e["html"]) ec.html = Str(e["html"], "html");
        ec.text = Str(e["text"], "text");
        if (const YAML::Node& t = e["tls_config"]; t && t.IsMap()) {
          CheckKeys(t, {"ca_file", "cert_file", "key_file", "server_name", "insecure_skip_verify", "min_version"},
                    "config.TLSConfig");
          ec.tls.ca_file = Str(t["ca_file"], "tls_config.ca_file");
          ec.tls.cert_file = Str(t["cert_file"], "tls_config.cert_file");
          ec.tls.key_file = Str(t["key_file"], "tls_config.key_file");
          ec.tls.server_name = Str(t["server_name"], "tls_config.server_name");
          ec.tls.insecure_skip_verify = Bool(t["insecure_skip_verify"], false, "tls_config.insecure_skip_verify");
          if (ec.tls.cert_file.empty() != ec.tls.key_file.empty()) {
            Error("exactly one of key or key_file must be configured when a client certificate is configured");
          }
        }
        if (e["headers"] && e["headers"].IsMap()) {
          for (const auto& h : e["headers"]) {
            std::string name = h.first.Scalar();
            std::string canon;
            bool up = true;
            for (char c : name) {
              canon += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
                          : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
              up = c == '-';
            }
            if (ec.headers.count(canon)) Error("duplicate header \"" + canon + "\" in email config");
            ec.headers[canon] = Str(h.second, "header");
          }
        }
        ec.headers.emplace("Subject", "{{ template \"email.default.subject\" . }}");
        ec.headers.emplace("To", ec.to);
        ec.headers.emplace("From", ec.from);
        if (ec.smarthost.empty()) Error("no global SMTP smarthost set");
        if (ec.from.empty()) Error("no global SMTP from set");
        rc.emails.push_back(std::move(ec));
      }
      for (const auto& kind : kOtherIntegrations) {
        if (r[kind]) rc.unsupported.push_back(kind);
      }
      out->push_back(std::move(rc));
    }
  }

  std::unique_ptr<Route> ParseRoute(const YAML::Node& n, const Route* parent, int index,
                                    const std::string& where) {
    auto r = std::make_unique<Route>();
    r->parent = parent;
    r->index = index;
    if (parent) r->opts = parent->opts;
    r->opts.mute_time_intervals.clear();
    r->opts.active_time_intervals.clear();
    if (!n.IsMap()) {
      Error(where + " must be a map");
      return r;
    }
    CheckKeys(n,
              {"receiver", "group_by", "match", "match_re", "matchers", "continue", "routes", "group_wait",
               "group_interval", "repeat_interval", "mute_time_intervals", "active_time_intervals"},
              "config.plain");
    if (n["receiver"]) r->opts.receiver = Str(n["receiver"], "receiver");
    if (n["group_by"]) {
      auto labels = StrList(n["group_by"], "group_by");
      r->opts.group_by.clear();
      r->opts.group_by_all = false;
      std::set<std::string> uniq;
      for (const auto& l : labels) {
        if (l == "...") {
          r->opts.group_by_all = true;
        } else if (!ValidLabelName(l)) {
          Error("invalid label name \"" + l + "\" in group_by list");
        } else if (!uniq.insert(l).second) {
          Error("duplicated label \"" + l + "\" in group_by");
        }
      }
      if (r->opts.group_by_all && labels.size() > 1) {
        Error("cannot have wildcard group_by (`...`) and other other labels at the same time");
      }
      r->opts.group_by.assign(uniq.begin(), uniq.end());
    }
    LegacyMatchers(n["match"], false, "match", &r->matchers);
    LegacyMatchers(n["match_re"], true, "match_re", &r->matchers);
    for (auto& m : MatcherList(n["matchers"], "matchers")) r->matchers.push_back(std::move(m));
    std::sort(r->matchers.begin(), r->matchers.end(), [](const Matcher& a, const Matcher& b) {
      if (a.name() != b.name()) return a.name() < b.name();
      if (a.value() != b.value()) return a.value() < b.value();
      return a.type() < b.type();
    });
    r->key = (parent ? parent->key + "/" : "") + MatchersString(r->matchers);
    r->id = (parent ? parent->id + "/" : "") + MatchersString(r->matchers);
    if (parent) r->id += "/" + std::to_string(index);
    r->continue_matching = Bool(n["continue"], false, "continue");
    int64_t d = Duration(n["group_wait"], "group_wait");
    if (d >= 0) r->opts.group_wait_ms = d;
    d = Duration(n["group_interval"], "group_interval");
    if (d == 0) Error("group_interval cannot be zero");
    if (d > 0) r->opts.group_interval_ms = d;
    d = Duration(n["repeat_interval"], "repeat_interval");
    if (d == 0) Error("repeat_interval cannot be zero");
    if (d > 0) r->opts.repeat_interval_ms = d;
    r->opts.mute_time_intervals = StrList(n["mute_time_intervals"], "mute_time_intervals");
    r->opts.active_time_intervals = StrList(n["active_time_intervals"], "active_time_intervals");
    if (n["routes"] && !n["routes"].IsNull()) {
      if (!n["routes"].IsSequence()) {
        Error("routes must be a list");
      } else {
        int i = 0;
        for (const auto& child : n["routes"]) {
          r->routes.push_back(ParseRoute(child, r.get(), i, where + ".routes[" + std::to_string(i) + "]"));
          ++i;
        }
      }
    }
    return r;
  }

  void CheckRouteRefs(const Route& r, const AmConfig& c) {
    if (!r.opts.receiver.empty() && !c.FindReceiver(r.opts.receiver)) {
      Error("undefined receiver \"" + r.opts.receiver + "\" used in route");
    }
    for (const auto* list : {&r.opts.mute_time_intervals, &r.opts.active_time_intervals}) {
      for (const auto& name : *list) {
        if (!c.time_intervals.count(name)) Error("undefined time interval \"" + name + "\" used in route");
      }
    }
    for (const auto& child : r.routes) CheckRouteRefs(*child, c);
  }
};

std::string JoinErrors(const std::vector<std::string>& errs) {
  std::string out;
  for (const auto& e : errs) {
    if (!out.empty()) out += "; ";
    out += e;
  }
  return out;
}

}  // namespace


void Route::Match(const LabelSet& labels, std::vector<const Route*>* out) const {
  if (!MatchesAll(matchers, labels)) return;
  size_t before = out->size();
  for (const auto& child : routes) {
    size_t n = out->size();
    child->Match(labels, out);
    if (out->size() > n && !child->continue_matching) break;
  }
  if (out->size() == before) out->push_back(this);
}

const Receiver* AmConfig::FindReceiver(const std::string& name) const {
  for (const auto& r : receivers) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

Result<std::shared_ptr<const AmConfig>> ParseConfigNode(const YAML::Node& root, std::string original,
                                                        const std::string& directory) {
  Parser p;
  auto cfg = std::make_shared<AmConfig>();
  cfg->original = std::move(original);
  try {
    if (!root || root.IsNull() || (root.IsMap() && root.size() == 0)) {
      return Status::InvalidArgument("no route provided in config");
    }
    if (!root.IsMap()) return Status::InvalidArgument("the config must be a YAML map");
    p.CheckKeys(root,
                {"global", "route", "receivers", "inhibit_rules", "templates", "time_intervals",
                 "mute_time_intervals"},
                "config.plain");
    p.Global(root["global"], &cfg->global);
    p.Receivers(root["receivers"], cfg->global, &cfg->receivers);
    cfg->templates = p.StrList(root["templates"], "templates");
    for (const char* key : {"time_intervals", "mute_time_intervals"}) {
      const YAML::Node list = root[key];
      if (!list || list.IsNull()) continue;
      for (const auto& ti : list) {
        TimeInterval interval;
        interval.name = p.Str(ti["name"], "time interval name");
        if (interval.name.empty()) {
          p.Error("missing name in time interval");
          continue;
        }
        if (cfg->time_intervals.count(interval.name)) {
          p.Error("time interval \"" + interval.name + "\" is not unique");
        }
        auto periods = ParseTimePeriods(ti["time_intervals"]);
        if (!periods.ok()) {
          p.Error(periods.status().message());
          continue;
        }
        interval.periods = std::move(*periods);
        cfg->time_intervals[interval.name] = std::move(interval);
      }
    }
    const YAML::Node route = root["route"];
    if (!route || route.IsNull()) {
      p.Error("no routes provided");
    } else {
      cfg->route = p.ParseRoute(route, nullptr, 0, "route");
      if (cfg->route->opts.receiver.empty()) p.Error("root route must specify a default receiver");
      if (!cfg->route->matchers.empty()) p.Error("root route must not have any matchers");
      if (!cfg->route->opts.mute_time_intervals.empty()) p.Error("root route must not have any mute time intervals");
      if (!cfg->route->opts.active_time_intervals.empty()) {
        p.Error("root route must not have any active time intervals");
      }
      if (route["continue"] && cfg->route->continue_matching) p.Error("cannot have continue in root route");
      p.CheckRouteRefs(*cfg->route, *cfg);
    }
    const YAML::Node inhibits = root["inhibit_rules"];
    if (inhibits && !inhibits.IsNull()) {
      for (const auto& ir : inhibits) {
        p.CheckKeys(ir,
                    {"source_match", "source_match_re", "source_matchers", "target_match", "target_match_re",
                     "target_matchers", "equal"},
                    "config.plain");
        InhibitRule rule;
        p.LegacyMatchers(ir["source_match"], false, "source_match", &rule.source);
        p.LegacyMatchers(ir["source_match_re"], true, "source_match_re", &rule.source);
        for (auto& m : p.MatcherList(ir["source_matchers"], "source_matchers")) rule.source.push_back(std::move(m));
        p.LegacyMatchers(ir["target_match"], false, "target_match", &rule.target);
        p.LegacyMatchers(ir["target_match_re"], true, "target_match_re", &rule.target);
        for (auto& m : p.MatcherList(ir["target_matchers"], "target_matchers")) rule.target.push_back(std::move(m));
        for (const auto& l : p.StrList(ir["equal"], "equal")) {
          if (!ValidLabelName(l)) p.Error("invalid label name \"" + l + "\" in equal list");
          rule.equal.push_back(l);
        }
        cfg->inhibit_rules.push_back(std::move(rule));
      }
    }
  } catch (const YAML::Exception& e) {
    p.Error(std::string("yaml: ") + e.what());
  }
  if (p.errors.empty()) {
    auto templates = NotificationTemplates::Load(cfg->templates, directory);
    if (templates.ok()) {
      cfg->notification_templates = *std::move(templates);
    } else {
      p.Error(templates.status().message());
    }
  }
  if (!p.errors.empty()) return Status::InvalidArgument(JoinErrors(p.errors));
  return std::shared_ptr<const AmConfig>(std::move(cfg));
}

Result<std::shared_ptr<const AmConfig>> ParseConfig(const std::string& text, const std::string& directory) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string("yaml: ") + e.what());
  }
  return ParseConfigNode(root, text, directory);
}

Result<std::shared_ptr<const AmConfig>> LoadConfigFile(const std::string& path) {
  auto text = ReadFile(path, 16 << 20);
  if (!text.ok()) return Status::InvalidArgument("cannot read " + path + ": " + text.status().message());
  const size_t slash = path.rfind('/');
  return ParseConfig(*text, slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash));
}

const char* DefaultConfigText() { return kDefaultConfig; }

}  // namespace vigil::alertmanager
