#include "probe/module.h"

#include <gtest/gtest.h>

namespace vigil::probe {
namespace {

TEST(ProbeModules, DefaultsAreTheOnesBlackboxExporterShips) {
  ModuleMap m = DefaultModules();
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m.at("http_2xx").prober, "http");
  EXPECT_EQ(m.at("http_post_2xx").http.method, "POST");
  EXPECT_EQ(m.at("tcp_connect").prober, "tcp");
  EXPECT_EQ(m.at("icmp").icmp.ttl, 64);
  EXPECT_EQ(m.at("dns").dns.query_name, "localhost");
  EXPECT_EQ(m.at("http_2xx").http.ip.preferred, IpProtocol::kIp6);
  EXPECT_TRUE(m.at("http_2xx").http.follow_redirects);
}

TEST(ProbeModules, ParsesPigstyStyleFileWithEveryProber) {
  auto m = ParseModules(R"(modules:
  icmp_ttl5:
    prober: icmp
    timeout: 5s
    icmp:
      ttl: 5
      preferred_ip_protocol: ip4
      ip_protocol_fallback: false
  web:
    prober: http
    http:
      valid_status_codes: [200, 301]
      no_follow_redirects: true
      headers: {X-A: b}
      fail_if_header_not_matches: [{header: Server, regexp: "^nginx", allow_missing: true}]
      tls_config: {insecure_skip_verify: true, server_name: pigsty}
  banner:
    prober: tcp
    tcp:
      query_response: [{expect: "^SSH"}, {send: "x", starttls: true}]
  q:
    prober: dns
    dns:
      query_name: a.pigsty
      transport_protocol: tcp
      validate_answer_rrs: {fail_if_none_matches_regexp: ["10\\.10"]}
)");
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->at("icmp_ttl5").timeout.count(), 5000);
  EXPECT_EQ(m->at("icmp_ttl5").icmp.ttl, 5);
  EXPECT_EQ(m->at("icmp_ttl5").icmp.ip.preferred, IpProtocol::kIp4);
  EXPECT_FALSE(m->at("icmp_ttl5").icmp.ip.fallback);
  const HttpModule& web = m->at("web").http;
  EXPECT_EQ(web.valid_status_codes, (std::vector<int>{200, 301}));
  EXPECT_FALSE(web.follow_redirects);
  ASSERT_EQ(web.headers.size(), 1u);
  EXPECT_TRUE(web.fail_if_header_not_matches[0].allow_missing);
  EXPECT_TRUE(web.tls.insecure_skip_verify);
  EXPECT_EQ(web.tls.server_name, "pigsty");
  ASSERT_EQ(m->at("banner").tcp.query_response.size(), 2u);
  EXPECT_TRUE(m->at("banner").tcp.query_response[1].starttls);
  EXPECT_EQ(m->at("q").dns.transport_protocol, "tcp");
  EXPECT_EQ(m->at("q").dns.validate_answer.fail_if_none_matches_regexp.size(), 1u);
  EXPECT_NE(m->at("web").yaml.find("prober: http"), std::string::npos);
}

TEST(ProbeModules, UnknownKeyIsRefusedWithItsPath) {
  auto m = ParseModules("modules:\n  a:\n    prober: http\n    http:\n      methd: GET\n");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("modules.a.http.methd"), std::string::npos) << m.status().message();
}

TEST(ProbeModules, UnsupportedProberIsRefused) {
  auto m = ParseModules("modules:\n  a:\n    prober: grpc\n");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("unsupported prober"), std::string::npos);
}

TEST(ProbeModules, DnsWithoutQueryNameIsRefused) {
  auto m = ParseModules("modules:\n  a:\n    prober: dns\n");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("query_name"), std::string::npos);
}

TEST(ProbeModules, BadRegexpIsRefused) {
  auto m = ParseModules("modules:\n  a:\n    prober: http\n    http:\n      fail_if_body_matches_regexp: ['(']\n");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("bad regexp"), std::string::npos);
}

TEST(ProbeModules, BadDurationAndTtlAreRefused) {
  EXPECT_FALSE(ParseModules("modules:\n  a:\n    prober: icmp\n    timeout: soon\n").ok());
  EXPECT_FALSE(ParseModules("modules:\n  a:\n    prober: icmp\n    icmp: {ttl: 300}\n").ok());
}

TEST(ProbeModules, EmptyDocumentHasNoModules) {
  auto m = ParseModules("");
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->empty());
}

TEST(ProbeModules, MissingFileIsAnError) {
  EXPECT_FALSE(LoadModulesFile("/nonexistent/blackbox.yml").ok());
}

}  // namespace
}  // namespace vigil::probe
