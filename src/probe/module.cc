#include "probe/module.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include <re2/re2.h>

#include "config/values.h"

namespace vigil::probe {
namespace {

// Parsing state for one module: the first error wins and names its path.
class Reader {
 public:
  explicit Reader(std::string where) : where_(std::move(where)) {}
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }

  void Fail(const std::string& key, const std::string& why) {
    if (error_.empty()) error_ = where_ + "." + key + ": " + why;
  }

  // Refuses keys of `node` not in `known`.
  void CheckKeys(const YAML::Node& node, const std::string& prefix, std::initializer_list<const char*> known) {
    if (!node.IsMap()) {
      Fail(prefix, "must be a mapping");
      return;
    }
    std::set<std::string> names;
    for (const char* k : known) names.insert(k);
    for (const auto& kv : node) {
      std::string key = kv.first.as<std::string>("");
      if (names.count(key) == 0) {
        Fail(prefix.empty() ? key : prefix + "." + key,
             "unknown field (line " + std::to_string(kv.first.Mark().line + 1) + ")");
      }
    }
  }

  std::string Str(const YAML::Node& node, const std::string& key, std::string def) {
    const YAML::Node v = node[key];
    if (!v) return def;
    if (!v.IsScalar()) {
      Fail(key, "must be a string");
      return def;
    }
    return v.as<std::string>();
  }

  bool Bool(const YAML::Node& node, const std::string& key, bool def) {
    const YAML::Node v = node[key];
    if (!v) return def;
    try {
      return v.as<bool>();
    } catch (const YAML::Exception&) {
      Fail(key, "must be true or false");
      return def;
    }
  }

  int64_t Int(const YAML::Node& node, const std::string& key, int64_t def, int64_t lo, int64_t hi) {
    const YAML::Node v = node[key];
    if (!v) return def;
    try {
      int64_t n = v.as<int64_t>();
      if (n < lo || n > hi) Fail(key, "out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
      return n;
    } catch (const YAML::Exception&) {
      Fail(key, "must be an integer");
      return def;
    }
  }

  std::vector<std::string> StrList(const YAML::Node& node, const std::string& key) {
    std::vector<std::string> out;
    const YAML::Node v = node[key];
    if (!v) return out;
    if (!v.IsSequence()) {
      Fail(key, "must be a list");
      return out;
    }
    for (const auto& item : v) out.push_back(item.as<std::string>(""));
    return out;
  }

  std::vector<std::string> Regexps(const YAML::Node& node, const std::string& key) {
    std::vector<std::string> out = StrList(node, key);
    for (const auto& re : out) {
      RE2 compiled(re, RE2::Quiet);
      if (!compiled.ok()) Fail(key, "bad regexp \"" + re + "\": " + compiled.error());
    }
    return out;
  }

  std::string FileContents(const std::string& key, const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      Fail(key, "cannot read " + path);
      return "";
    }
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    return text;
  }

 private:
  std::string where_;
  std::string error_;
};

void ReadAddressChoice(Reader& r, const YAML::Node& node, AddressChoice* out) {
  std::string proto = r.Str(node, "preferred_ip_protocol", "ip6");
  if (proto == "ip4") {
    out->preferred = IpProtocol::kIp4;
  } else if (proto == "ip6" || proto.empty()) {
    out->preferred = IpProtocol::kIp6;
  } else {
    r.Fail("preferred_ip_protocol", "must be ip4 or ip6, got \"" + proto + "\"");
  }
  out->fallback = r.Bool(node, "ip_protocol_fallback", true);
  out->source_ip = r.Str(node, "source_ip_address", "");
}

void ReadTls(Reader& r, const YAML::Node& node, TlsSettings* out) {
  if (!node) return;
  r.CheckKeys(node, "tls_config",
              {"ca_file", "cert_file", "key_file", "server_name", "insecure_skip_verify", "min_version",
               "max_version"});
  out->ca_file = r.Str(node, "ca_file", "");
  out->cert_file = r.Str(node, "cert_file", "");
  out->key_file = r.Str(node, "key_file", "");
  out->server_name = r.Str(node, "server_name", "");
  out->insecure_skip_verify = r.Bool(node, "insecure_skip_verify", false);
}

std::vector<HeaderMatch> ReadHeaderMatches(Reader& r, const YAML::Node& node, const std::string& key) {
  std::vector<HeaderMatch> out;
  const YAML::Node list = node[key];
  if (!list) return out;
  if (!list.IsSequence()) {
    r.Fail(key, "must be a list");
    return out;
  }
  for (const auto& item : list) {
    r.CheckKeys(item, key, {"header", "regexp", "allow_missing"});
    if (r.failed()) return out;
    HeaderMatch m;
    m.header = r.Str(item, "header", "");
    m.regexp = r.Str(item, "regexp", "");
    m.allow_missing = r.Bool(item, "allow_missing", false);
    if (m.header.empty()) r.Fail(key, "header is required");
    RE2 compiled(m.regexp, RE2::Quiet);
    if (!compiled.ok()) r.Fail(key, "bad regexp \"" + m.regexp + "\": " + compiled.error());
    out.push_back(std::move(m));
  }
  return out;
}

void ReadHttp(Reader& r, const YAML::Node& node, HttpModule* h) {
  if (!node) return;
  ReadAddressChoice(r, node, &h->ip);
  r.CheckKeys(node, "http",
              {"valid_status_codes", "valid_http_versions", "method", "headers", "body", "body_size_limit",
               "compression", "follow_redirects", "no_follow_redirects", "fail_if_ssl", "fail_if_not_ssl",
               "fail_if_body_matches_regexp", "fail_if_body_not_matches_regexp", "fail_if_header_matches",
               "fail_if_header_not_matches", "tls_config", "basic_auth", "bearer_token", "bearer_token_file",
               "preferred_ip_protocol", "ip_protocol_fallback", "source_ip_address", "enable_http2",
               "skip_resolve_phase_with_proxy", "proxy_url", "oauth2", "authorization", "hostname"});
  if (const YAML::Node codes = node["valid_status_codes"]) {
    if (!codes.IsSequence()) r.Fail("http.valid_status_codes", "must be a list");
    for (const auto& c : codes) {
      int code = c.as<int>(0);
      if (code < 100 || code > 999) r.Fail("http.valid_status_codes", "bad status code " + c.as<std::string>(""));
      h->valid_status_codes.push_back(code);
    }
  }
  h->valid_http_versions = r.StrList(node, "valid_http_versions");
  h->method = r.Str(node, "method", "GET");
  if (const YAML::Node hdrs = node["headers"]) {
    if (!hdrs.IsMap()) r.Fail("http.headers", "must be a mapping");
    for (const auto& kv : hdrs) h->headers.emplace_back(kv.first.as<std::string>(""), kv.second.as<std::string>(""));
  }
  h->body = r.Str(node, "body", "");
  if (const YAML::Node limit = node["body_size_limit"]) {
    auto size = config::ParseSize(limit.as<std::string>(""));
    if (!size.ok()) {
      r.Fail("http.body_size_limit", size.status().message());
    } else {
      h->body_size_limit = *size;
    }
  }
  h->compression = r.Str(node, "compression", "");
  if (!h->compression.empty() && h->compression != "gzip" && h->compression != "deflate" &&
      h->compression != "identity") {
    r.Fail("http.compression", "unsupported \"" + h->compression + "\" (gzip, deflate, identity)");
  }
  h->follow_redirects = r.Bool(node, "follow_redirects", true);
  if (node["no_follow_redirects"]) h->follow_redirects = !r.Bool(node, "no_follow_redirects", false);
  h->fail_if_ssl = r.Bool(node, "fail_if_ssl", false);
  h->fail_if_not_ssl = r.Bool(node, "fail_if_not_ssl", false);
  h->fail_if_body_matches_regexp = r.Regexps(node, "fail_if_body_matches_regexp");
  h->fail_if_body_not_matches_regexp = r.Regexps(node, "fail_if_body_not_matches_regexp");
  h->fail_if_header_matches = ReadHeaderMatches(r, node, "fail_if_header_matches");
  h->fail_if_header_not_matches = ReadHeaderMatches(r, node, "fail_if_header_not_matches");
  ReadTls(r, node["tls_config"], &h->tls);
  if (const YAML::Node auth = node["basic_auth"]) {
    r.CheckKeys(auth, "http.basic_auth", {"username", "password", "password_file"});
    h->basic_auth_username = r.Str(auth, "username", "");
    h->basic_auth_password = r.Str(auth, "password", "");
    std::string file = r.Str(auth, "password_file", "");
    if (!file.empty()) h->basic_auth_password = r.FileContents("http.basic_auth.password_file", file);
  }
  h->bearer_token = r.Str(node, "bearer_token", "");
  std::string token_file = r.Str(node, "bearer_token_file", "");
  if (!token_file.empty()) h->bearer_token = r.FileContents("http.bearer_token_file", token_file);
}

void ReadTcp(Reader& r, const YAML::Node& node, TcpModule* t) {
  if (!node) return;
  ReadAddressChoice(r, node, &t->ip);
  r.CheckKeys(node, "tcp",
              {"query_response", "tls", "tls_config", "preferred_ip_protocol", "ip_protocol_fallback",
               "source_ip_address"});
  if (const YAML::Node steps = node["query_response"]) {
    if (!steps.IsSequence()) r.Fail("tcp.query_response", "must be a list");
    for (const auto& step : steps) {
      r.CheckKeys(step, "tcp.query_response", {"expect", "send", "starttls"});
      QueryResponse qr;
      qr.expect = r.Str(step, "expect", "");
      qr.send = r.Str(step, "send", "");
      qr.starttls = r.Bool(step, "starttls", false);
      RE2 compiled(qr.expect, RE2::Quiet);
      if (!compiled.ok()) r.Fail("tcp.query_response.expect", "bad regexp: " + compiled.error());
      t->query_response.push_back(std::move(qr));
    }
  }
  t->tls = r.Bool(node, "tls", false);
  ReadTls(r, node["tls_config"], &t->tls_config);
}

void ReadIcmp(Reader& r, const YAML::Node& node, IcmpModule* i) {
  if (!node) return;
  ReadAddressChoice(r, node, &i->ip);
  r.CheckKeys(node, "icmp",
              {"payload_size", "dont_fragment", "ttl", "preferred_ip_protocol", "ip_protocol_fallback",
               "source_ip_address"});
  i->payload_size = static_cast<int>(r.Int(node, "payload_size", 0, 0, 65000));
  i->dont_fragment = r.Bool(node, "dont_fragment", false);
  i->ttl = static_cast<int>(r.Int(node, "ttl", 64, 0, 255));
}

void ReadRrValidator(Reader& r, const YAML::Node& node, const std::string& key, RrValidator* v) {
  const YAML::Node section = node[key];
  if (!section) return;
  r.CheckKeys(section, key,
              {"fail_if_matches_regexp", "fail_if_all_match_regexp", "fail_if_not_matches_regexp",
               "fail_if_none_matches_regexp"});
  v->fail_if_matches_regexp = r.Regexps(section, "fail_if_matches_regexp");
  v->fail_if_all_match_regexp = r.Regexps(section, "fail_if_all_match_regexp");
  v->fail_if_not_matches_regexp = r.Regexps(section, "fail_if_not_matches_regexp");
  v->fail_if_none_matches_regexp = r.Regexps(section, "fail_if_none_matches_regexp");
}

void ReadDns(Reader& r, const YAML::Node& node, DnsModule* d) {
  if (!node) return;
  ReadAddressChoice(r, node, &d->ip);
  r.CheckKeys(node, "dns",
              {"query_name", "query_type", "query_class", "transport_protocol", "recursion_desired",
               "valid_rcodes", "validate_answer_rrs", "validate_authority_rrs", "validate_additional_rrs",
               "preferred_ip_protocol", "ip_protocol_fallback", "source_ip_address", "dns_over_tls",
               "tls_config"});
  d->query_name = r.Str(node, "query_name", "");
  d->query_type = r.Str(node, "query_type", "ANY");
  d->query_class = r.Str(node, "query_class", "IN");
  d->transport_protocol = r.Str(node, "transport_protocol", "udp");
  if (d->transport_protocol.empty()) d->transport_protocol = "udp";
  if (d->transport_protocol != "udp" && d->transport_protocol != "tcp") {
    r.Fail("dns.transport_protocol", "must be udp or tcp");
  }
  if (r.Bool(node, "dns_over_tls", false)) r.Fail("dns.dns_over_tls", "not supported");
  d->recursion_desired = r.Bool(node, "recursion_desired", true);
  d->valid_rcodes = r.StrList(node, "valid_rcodes");
  ReadRrValidator(r, node, "validate_answer_rrs", &d->validate_answer);
  ReadRrValidator(r, node, "validate_authority_rrs", &d->validate_authority);
  ReadRrValidator(r, node, "validate_additional_rrs", &d->validate_additional);
}

Result<Module> ReadModule(const std::string& name, const YAML::Node& node) {
  Reader r("modules." + name);
  Module m;
  r.CheckKeys(node, "", {"prober", "timeout", "http", "tcp", "icmp", "dns", "grpc"});
  if (r.failed()) return Status::InvalidArgument(r.error());
  m.prober = r.Str(node, "prober", "");
  if (m.prober != "http" && m.prober != "tcp" && m.prober != "icmp" && m.prober != "dns") {
    r.Fail("prober", m.prober.empty() ? "is required" : "unsupported prober \"" + m.prober + "\"");
  }
  if (const YAML::Node t = node["timeout"]) {
    auto d = config::ParseDuration(t.as<std::string>(""));
    if (!d.ok()) {
      r.Fail("timeout", d.status().message());
    } else {
      m.timeout = *d;
    }
  }
  ReadHttp(r, node["http"], &m.http);
  ReadTcp(r, node["tcp"], &m.tcp);
  ReadIcmp(r, node["icmp"], &m.icmp);
  ReadDns(r, node["dns"], &m.dns);
  if (!r.failed() && m.prober == "dns" && m.dns.query_name.empty()) r.Fail("dns.query_name", "is required");
  if (r.failed()) return Status::InvalidArgument(r.error());
  YAML::Emitter out;
  out << node;
  m.yaml = out.c_str();
  return m;
}

}  // namespace

ModuleMap DefaultModules() {
  auto parsed = ParseModules(R"(modules:
  http_2xx:
    prober: http
  http_post_2xx:
    prober: http
    http:
      method: POST
  tcp_connect:
    prober: tcp
  icmp:
    prober: icmp
  dns:
    prober: dns
    dns:
      query_name: localhost
      query_type: A
)");
  return parsed.ok() ? std::move(*parsed) : ModuleMap{};
}

Result<ModuleMap> ParseModules(std::string_view yaml_text) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string("blackbox config: ") + e.what());
  }
  ModuleMap out;
  if (!root || root.IsNull()) return out;
  if (!root.IsMap()) return Status::InvalidArgument("blackbox config: top level must be a mapping");
  for (const auto& kv : root) {
    if (kv.first.as<std::string>("") != "modules") {
      return Status::InvalidArgument("blackbox config: unknown field \"" + kv.first.as<std::string>("") + "\"");
    }
  }
  const YAML::Node modules = root["modules"];
  if (!modules || modules.IsNull()) return out;
  if (!modules.IsMap()) return Status::InvalidArgument("blackbox config: modules must be a mapping");
  try {
    for (const auto& kv : modules) {
      std::string name = kv.first.as<std::string>("");
      auto m = ReadModule(name, kv.second);
      if (!m.ok()) return m.status();
      out.emplace(std::move(name), std::move(*m));
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string("blackbox config: ") + e.what());
  }
  return out;
}

Result<ModuleMap> LoadModulesFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto parsed = ParseModules(ss.str());
  if (!parsed.ok()) return Status::InvalidArgument(path + ": " + parsed.status().message());
  return parsed;
}

}  // namespace vigil::probe
