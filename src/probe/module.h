#pragma once
// Probe modules in blackbox_exporter 0.23's configuration shape: a
// `modules:` map from name to {prober, timeout, http|tcp|icmp|dns}. Parsing
// accepts the same YAML keys as blackbox.yml so that Pigsty's file drops in;
// unknown keys are refused with their position, as blackbox_exporter refuses
// them (it parses strictly).
//
// Modules are plain values; the functions are pure and thread-safe.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace vigil::probe {

enum class IpProtocol { kIp4, kIp6 };

// Where to find an address for a target and what to do when the preferred
// family has none.
struct AddressChoice {
  IpProtocol preferred = IpProtocol::kIp6;  // blackbox_exporter's default
  bool fallback = true;                     // try the other family next
  std::string source_ip;                    // bind to this address first; "" = any
};

// The TLS settings a probe verifies the peer with.
struct TlsSettings {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string server_name;  // SNI and verified name; default: the target host
  bool insecure_skip_verify = false;
};

// A header that must (not) match a regular expression.
struct HeaderMatch {
  std::string header;
  std::string regexp;
  bool allow_missing = false;
};

struct HttpModule {
  std::vector<int> valid_status_codes;     // empty = any 2xx
  std::vector<std::string> valid_http_versions;  // "HTTP/1.1"; empty = any
  std::string method = "GET";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  uint64_t body_size_limit = 0;  // 0 = the component's bound
  std::string compression;       // "" | gzip | deflate | identity (br unsupported)
  bool follow_redirects = true;
  bool fail_if_ssl = false;
  bool fail_if_not_ssl = false;
  std::vector<std::string> fail_if_body_matches_regexp;
  std::vector<std::string> fail_if_body_not_matches_regexp;
  std::vector<HeaderMatch> fail_if_header_matches;
  std::vector<HeaderMatch> fail_if_header_not_matches;
  TlsSettings tls;
  std::string basic_auth_username;
  std::string basic_auth_password;  // password_file is read at parse time
  std::string bearer_token;         // bearer_token_file is read at parse time
  AddressChoice ip;
};

// One step of a TCP conversation.
struct QueryResponse {
  std::string expect;  // RE2 regexp a received line must match; "" = none
  std::string send;    // sent with "\n" appended; may use ${1} from expect
  bool starttls = false;
};

struct TcpModule {
  std::vector<QueryResponse> query_response;
  bool tls = false;
  TlsSettings tls_config;
  AddressChoice ip;
};

struct IcmpModule {
  int payload_size = 0;
  bool dont_fragment = false;
  int ttl = 64;  // blackbox_exporter's default
  AddressChoice ip;
};

// Checks applied to one section of a DNS answer.
struct RrValidator {
  std::vector<std::string> fail_if_matches_regexp;
  std::vector<std::string> fail_if_all_match_regexp;
  std::vector<std::string> fail_if_not_matches_regexp;
  std::vector<std::string> fail_if_none_matches_regexp;
};

struct DnsModule {
  std::string query_name;
  std::string query_type = "ANY";
  std::string query_class = "IN";
  std::string transport_protocol = "udp";
  bool recursion_desired = true;
  std::vector<std::string> valid_rcodes;  // empty = NOERROR
  RrValidator validate_answer;
  RrValidator validate_authority;
  RrValidator validate_additional;
  AddressChoice ip;
};

struct Module {
  std::string prober;  // http | tcp | icmp | dns
  std::chrono::milliseconds timeout{0};  // 0 = the scrape's timeout
  HttpModule http;
  TcpModule tcp;
  IcmpModule icmp;
  DnsModule dns;
  std::string yaml;  // the module as configured, for debug output
};

using ModuleMap = std::map<std::string, Module, std::less<>>;

// The modules blackbox_exporter ships in its example config: http_2xx,
// http_post_2xx, tcp_connect, icmp, dns (query_name "localhost" type A).
ModuleMap DefaultModules();

// Parses a blackbox.yml document. Fails with InvalidArgument naming the
// module and key for unknown probers, keys, bad durations, bad regexps,
// unreadable password/token files and DNS modules without query_name.
Result<ModuleMap> ParseModules(std::string_view yaml_text);

// Reads and parses a blackbox.yml file.
Result<ModuleMap> LoadModulesFile(const std::string& path);

}  // namespace vigil::probe
