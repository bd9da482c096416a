// The contents of the vigil.yml schema: one function per section, one line
// per key. Defaults here are the single source of truth; docs/configuration.md
// and the root vigil.yml must agree with them (tests/unit/config checks).

#include "config/schema.h"

namespace vigil::config {
namespace {

FieldSpec Field(std::string name, FieldType type, std::string default_yaml, std::string doc) {
  FieldSpec f;
  f.name = std::move(name);
  f.type = type;
  f.default_yaml = std::move(default_yaml);
  f.doc = std::move(doc);
  return f;
}

FieldSpec Bool(std::string name, bool def, std::string doc) {
  return Field(std::move(name), FieldType::kBool, def ? "true" : "false", std::move(doc));
}

FieldSpec Int(std::string name, int64_t def, int64_t min, int64_t max, std::string doc) {
  FieldSpec f = Field(std::move(name), FieldType::kInt, std::to_string(def), std::move(doc));
  f.min = min;
  f.max = max;
  return f;
}

FieldSpec String(std::string name, std::string def, std::string doc, bool allow_empty = true) {
  FieldSpec f = Field(std::move(name), FieldType::kString, "\"" + def + "\"", std::move(doc));
  f.allow_empty = allow_empty;
  return f;
}

FieldSpec Duration(std::string name, std::string def, std::string doc) {
  return Field(std::move(name), FieldType::kDuration, std::move(def), std::move(doc));
}

FieldSpec Size(std::string name, std::string def, std::string doc) {
  return Field(std::move(name), FieldType::kSize, std::move(def), std::move(doc));
}

FieldSpec HostPort(std::string name, std::string def, std::string doc, bool allow_empty = false) {
  FieldSpec f = Field(std::move(name), FieldType::kHostPort, "\"" + def + "\"", std::move(doc));
  f.allow_empty = allow_empty;
  return f;
}

FieldSpec StringList(std::string name, std::string def_yaml, std::string doc) {
  return Field(std::move(name), FieldType::kStringList, std::move(def_yaml), std::move(doc));
}

FieldSpec Enum(std::string name, std::string def, std::vector<std::string> allowed, std::string doc) {
  FieldSpec f = Field(std::move(name), FieldType::kEnum, std::move(def), std::move(doc));
  f.allowed = std::move(allowed);
  return f;
}

FieldSpec Any(std::string name, std::string def_yaml, std::string doc) {
  return Field(std::move(name), FieldType::kAny, std::move(def_yaml), std::move(doc));
}

FieldSpec Enabled() { return Bool("enabled", true, "run this component in `vigil serve`"); }

FieldSpec MaxBody(std::string def) {
  return Size("max_body_size", std::move(def), "largest request body accepted (wire or decoded); larger gets 413");
}

SectionSpec Section(std::string name, std::string doc, bool component, std::vector<FieldSpec> fields) {
  SectionSpec s;
  s.name = std::move(name);
  s.doc = std::move(doc);
  s.component = component;
  s.fields = std::move(fields);
  return s;
}

SectionSpec Component(std::string name, std::string doc, std::vector<FieldSpec> fields) {
  return Section(std::move(name), std::move(doc), true, std::move(fields));
}

// Pigsty's portal map, pointed at Vigil's own ports.
constexpr const char* kDefaultInfraPortal = R"({
  home: { domain: i.pigsty },
  grafana: { domain: g.pigsty, endpoint: "${admin_ip}:3000", websocket: true },
  vmetrics: { domain: p.pigsty, endpoint: "${admin_ip}:8428" },
  vmalert: { domain: r.pigsty, endpoint: "${admin_ip}:8880" },
  alertmanager: { domain: a.pigsty, endpoint: "${admin_ip}:9059" },
  vlogs: { domain: l.pigsty, endpoint: "${admin_ip}:9428" },
  vtraces: { domain: t.pigsty, endpoint: "${admin_ip}:10428" },
  blackbox: { endpoint: "${admin_ip}:9115" }
})";

Schema Build() {
  Schema s;
  s.top_fields = {
      String("admin_ip", "127.0.0.1", "this node's address; substituted for ${admin_ip} in every string", false),
      String("data_dir", "/var/lib/vigil", "root of all stored data; substituted for ${data_dir} in every string", false),
      Any("infra_portal", kDefaultInfraPortal, "Pigsty's infra_portal map: vhosts the portal serves and proxies"),
  };
  s.sections.push_back(Section("log", "process logging to stderr", false,
                               {
                                   Enum("level", "info", {"debug", "info", "warn", "error"}, "lowest level written"),
                                   Enum("format", "logfmt", {"logfmt", "json"}, "line format"),
                               }));
  s.sections.push_back(Section(
      "http", "limits of every HTTP server in the process", false,
      {
          Size("max_header_size", "16KiB", "largest request line plus headers; larger gets 431"),
          Duration("idle_timeout", "60s", "how long a keep-alive connection may wait for its next request"),
          Duration("read_timeout", "30s", "how long reading one whole request may take"),
          Int("max_connections", 10000, 1, 1000000, "open connections per port; more are closed at once"),
          Size("gzip_min_size", "1KiB", "responses at least this large are compressed when the client accepts it"),
      }));
  s.sections.push_back(Component("portal", "the Nginx role: vhosts from infra_portal, reverse proxy, static files",
                                 {Enabled(), HostPort("listen", "0.0.0.0:80", "plain HTTP address"),
                                  HostPort("listen_https", "0.0.0.0:443", "HTTPS address; \"\" disables HTTPS", true),
                                  MaxBody("400MiB"),
                                  Duration("proxy_read_timeout", "120s",
                                           "longest wait for one read from a proxied upstream (nginx's proxy_read_timeout); then 504"),
                                  String("www", "/www", "static root of the `home` vhost (Nginx's nginx_home)", false),
                                  Enum("ssl_mode", "enable", {"disable", "enable", "enforce"},
                                       "Pigsty's nginx_sslmode: enforce redirects http to https"),
                                  String("log_dir", "${data_dir}/portal/log",
                                         "one JSON access log per vhost: <log_dir>/<name>.log; \"\" disables", true),
                                  String("htpasswd", "/etc/nginx/.htpasswd",
                                         "htpasswd file for entries with `auth: true` (bcrypt, SHA-crypt, apr1)", false)}));
  s.sections.push_back(Component("repo", "the local software repository (yum/apt), served by the portal",
                                 {Enabled(),
                                  HostPort("listen", "", "own address; \"\" means served through the portal", true),
                                  String("home", "/www", "Pigsty's repo_home: the directory holding the repository",
                                         false),
                                  String("name", "pigsty",
                                         "Pigsty's repo_name: the repository is <home>/<name>, served at /<name>",
                                         false),
                                  String("dir", "",
                                         "overrides <home>/<name> as the repository directory; the URL stays /<name>")}));
  s.sections.push_back(Component(
      "metrics", "the VictoriaMetrics role: time series storage and the Prometheus query API",
      {Enabled(), HostPort("listen", "0.0.0.0:8428", "HTTP address"),
       Duration("retention", "15d", "samples older than this are deleted"),
       Duration("dedup_interval", "0s", "keep one sample per series per interval; 0s keeps all"),
       Duration("query_timeout", "30s", "a query running longer is cancelled"),
       Int("max_query_series", 100000, 1, 100000000, "a query returning more series fails (422)"),
       Int("max_query_samples", 50000000, 1000, 2000000000, "samples one query may hold in memory"),
       MaxBody("64MiB")}));
  s.sections.push_back(Component(
      "scrape", "the Prometheus scraper, running inside metrics",
      {Enabled(), HostPort("listen", "", "own address; \"\" means it runs inside metrics", true),
       Duration("scrape_interval", "10s", "default interval between scrapes of a target"),
       Duration("scrape_timeout", "8s", "default time limit of one scrape; at most scrape_interval"),
       String("targets_dir", "${data_dir}/targets",
              "Pigsty's file_sd layout: <targets_dir>/<job>/*.yml, used by the built-in jobs", false),
       String("config_file", "", "a prometheus.yml whose global and scrape_configs are used; \"\" uses scrape_configs"),
       Any("scrape_configs", "[]", "Prometheus scrape_configs, in Prometheus' own format; [] uses Pigsty's jobs"),
       Bool("self_scrape", true, "also scrape the /metrics of every component of this process (job \"vigil\")")}));
  s.sections.push_back(Component("rules", "the VMAlert role: recording and alerting rules",
                                 {Enabled(), HostPort("listen", "0.0.0.0:8880", "HTTP address"),
                                  Duration("evaluation_interval", "10s", "default interval between rule evaluations"),
                                  StringList("files", "[\"${data_dir}/rules/*.yml\"]", "rule files (globs allowed)"),
                                  StringList("notifiers", "[]",
                                             "Alertmanager base URLs to send alerts to; [] = this process's alertmanager"),
                                  String("datasource_url", "",
                                         "a Prometheus-compatible server to query; \"\" = this process's metrics"),
                                  String("remote_write_url", "",
                                         "where results go with remote_write; \"\" = <datasource_url>/api/v1/write"),
                                  Duration("resend_delay", "1m", "how often a firing alert is re-sent"),
                                  Duration("for_outage_tolerance", "1h",
                                           "after a restart, `for` state older than this is not restored"),
                                  Duration("for_grace_period", "10m",
                                           "after a restart, a restored alert fires no sooner than this"),
                                  String("external_url", "", "base of alerts' generatorURL; \"\" = http://<rules.listen>"),
                                  MaxBody("32MiB")}));
  s.sections.push_back(Component(
      "alertmanager", "the Alertmanager role: grouping, silencing and routing alerts",
      {Enabled(), HostPort("listen", "0.0.0.0:9059", "HTTP address"),
       String("config_file", "", "an alertmanager.yml to load; \"\" uses `config` below"),
       Any("config", "{}", "inline alertmanager.yml content, used when config_file is \"\""), MaxBody("32MiB")}));
  s.sections.push_back(Component("logs", "the VictoriaLogs role: log ingestion and LogsQL",
                                 {Enabled(), HostPort("listen", "0.0.0.0:9428", "HTTP address"),
                                  Duration("retention", "15d", "log entries older than this are deleted"),
                                  Size("max_disk_usage", "50GiB", "oldest day partitions are dropped while the logs take more"),
                                  Size("max_line_size", "1MiB", "longer log lines are rejected and counted"),
                                  Duration("max_query_duration", "120s", "a LogsQL query running longer is cancelled"),
                                  Int("max_concurrent_queries", 8, 1, 1024, "more simultaneous queries wait for a slot"),
                                  MaxBody("64MiB")}));
  s.sections.push_back(Component("traces", "the VictoriaTraces role: OTLP ingestion and the Jaeger query API",
                                 {Enabled(), HostPort("listen", "0.0.0.0:10428", "HTTP address"),
                                  Duration("retention", "15d", "spans older than this are deleted"),
                                  Size("max_disk_usage", "50GiB", "oldest day partitions are dropped while the spans take more"),
                                  Bool("slow_sql_from_logs", false,
                                       "turn PostgreSQL duration log lines in the logs component's store into spans"),
                                  MaxBody("32MiB")}));
  s.sections.push_back(Component("probe", "the Blackbox exporter role: /probe",
                                 {Enabled(), HostPort("listen", "0.0.0.0:9115", "HTTP address"),
                                  String("config_file", "", "a blackbox.yml with modules; \"\" uses `modules` below"),
                                  Any("modules", "{}",
                                      "inline blackbox.yml modules (name: {prober, timeout, http|tcp|icmp|dns: ...}), used when config_file is \"\"; {} = the built-in modules"),
                                  MaxBody("32MiB")}));
  s.sections.push_back(Component("ui", "dashboards and explore (the Grafana role)",
                                 {Enabled(), HostPort("listen", "0.0.0.0:3000", "HTTP address"), MaxBody("32MiB")}));
  s.sections.push_back(Component(
      "dns", "the dnsmasq role: names from hosts files and the CMDB, forwarding to upstreams",
      {Enabled(), HostPort("listen", "0.0.0.0:53", "DNS address (UDP and TCP)"),
       HostPort("http_listen", "0.0.0.0:9153", "HTTP address for /health and /metrics"),
       StringList("hosts_dir", "[/etc/hosts.d, /etc/dnsmasq.d/pigsty]", "directories of hosts files (\"IP name...\")"),
       StringList("upstreams", "[/etc/resolv.conf]",
                  "servers to forward other names to (\"1.1.1.1\", \"[::1]:53\"; a path reads a resolv.conf's nameservers, skipping Vigil itself); [] answers only local names"),
       Int("ttl", 60, 0, 2147483647, "TTL in seconds of local answers"),
       StringList("records", "[]", "extra hosts-format lines (\"10.10.10.10 h.pigsty a.pigsty\"), like Pigsty's dns_records"),
       StringList("local_domains", "[]",
                  "domains answered authoritatively (NXDOMAIN for unknown names); [] = the parent domains of the local names"),
       StringList("allow", "[]", "client networks answered (\"10.0.0.0/8\", \"::1\"); [] = everyone; others are dropped"),
       Int("rate_limit", 0, 0, 1000000, "queries per second per client IP; more are dropped; 0 = no limit"),
       MaxBody("1MiB")}));
  s.sections.push_back(Component(
      "ntp", "the chronyd role: NTPv4 server",
      {Enabled(), HostPort("listen", "0.0.0.0:123", "NTP address (UDP)"),
       HostPort("http_listen", "0.0.0.0:9124", "HTTP address for /health and /metrics"),
       Int("local_stratum", 10, 1, 15, "stratum served while no upstream server is reachable"),
       StringList("servers", "[]", "upstream NTP servers to follow (\"10.0.0.1\", \"[::1]:123\"); [] serves the local clock"),
       Duration("poll_interval", "64s", "how often each upstream server is asked"),
       Bool("discipline", false, "step/slew the system clock toward the selected upstream (needs CAP_SYS_TIME)"),
       Int("rate_limit", 0, 0, 1000000, "requests per second per client IP; more get a RATE kiss-o'-death; 0 = no limit"),
       MaxBody("1MiB")}));
  s.sections.push_back(Component(
      "cmdb", "the inventory: embedded SQLite by default, or PostgreSQL",
      {Enabled(), HostPort("listen", "0.0.0.0:9099", "HTTP API address"),
       String("url", "", "postgres://... to use PostgreSQL; \"\" uses SQLite at ${data_dir}/cmdb.db"),
       String("api_token", "", "bearer token the change endpoints require; \"\" makes the API read-only"),
       MaxBody("32MiB")}));
  return s;
}

}  // namespace

const Schema& DefaultSchema() {
  static const Schema* schema = new Schema(Build());
  return *schema;
}

}  // namespace vigil::config
