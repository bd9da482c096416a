#include "portal/vhosts.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace vigil::portal {
namespace {

VirtualHosts Parse(const std::string& yaml, std::string_view ssl_mode = "enable") {
  auto r = VirtualHosts::Parse(YAML::Load(yaml), "/www", ssl_mode);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : VirtualHosts();
}

TEST(VirtualHosts, MatchIgnoresPortCaseAndTrailingDot) {
  VirtualHosts v = Parse("{home: {domain: i.pigsty}, g: {domain: G.Pigsty, endpoint: '1.2.3.4:3000'}}");
  ASSERT_NE(v.Match("g.pigsty:8080"), nullptr);
  EXPECT_EQ(v.Match("G.PIGSTY.")->name, "g");
  EXPECT_EQ(v.Match("g.pigsty")->endpoint, "1.2.3.4:3000");
}

TEST(VirtualHosts, UnknownOrMissingHostFallsBackToHomeEvenWhenHomeIsNotFirst) {
  VirtualHosts v = Parse("{a: {domain: a.pigsty, path: /srv}, home: {domain: i.pigsty}}");
  EXPECT_EQ(v.Match("other.example")->name, "home");
  EXPECT_EQ(v.Match("")->name, "home");
  EXPECT_EQ(v.Match("10.0.0.1:80")->name, "home");
}

TEST(VirtualHosts, HomeGetsWwwAndListingUnlessIndexFalse) {
  VirtualHosts v = Parse("{home: {domain: i.pigsty}, b: {domain: b.pigsty, path: /srv}}");
  EXPECT_EQ(v.Match("i.pigsty")->path, "/www");
  EXPECT_TRUE(v.Match("i.pigsty")->listing);
  EXPECT_FALSE(v.Match("b.pigsty")->listing);
  VirtualHosts off = Parse("{home: {domain: i.pigsty, index: false}}");
  EXPECT_FALSE(off.Match("i.pigsty")->listing);
}

TEST(VirtualHosts, DomainsListAndWithoutDefaultTheFirstEntryIsDefault) {
  VirtualHosts v = Parse("{x: {domains: [x1.pigsty, x2.pigsty], endpoint: '127.0.0.1:1'}, y: {domain: y.pigsty}}");
  EXPECT_EQ(v.Match("x2.pigsty")->name, "x");
  EXPECT_EQ(v.Match("nope")->name, "x");
  EXPECT_EQ(v.AllDomains(), (std::vector<std::string>{"x1.pigsty", "x2.pigsty", "y.pigsty"}));
}

TEST(VirtualHosts, SslModeEnforceTurnsOnEnforceHttpsEverywhere) {
  VirtualHosts v = Parse("{home: {domain: i.pigsty}, a: {domain: a.pigsty, enforce_https: true}}", "enable");
  EXPECT_FALSE(v.Match("i.pigsty")->enforce_https);
  EXPECT_TRUE(v.Match("a.pigsty")->enforce_https);
  VirtualHosts e = Parse("{home: {domain: i.pigsty}}", "enforce");
  EXPECT_TRUE(e.Match("i.pigsty")->enforce_https);
}

TEST(VirtualHosts, BadEndpointSchemeOrLoneCertAreErrorsNamingTheEntry) {
  auto bad = VirtualHosts::Parse(YAML::Load("{g: {endpoint: 'no-port'}}"), "/www", "enable");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "infra_portal.g.endpoint: expected host:port such as 127.0.0.1:3000");
  auto scheme = VirtualHosts::Parse(YAML::Load("{g: {endpoint: 'a:1', scheme: ftp}}"), "/www", "enable");
  ASSERT_FALSE(scheme.ok());
  EXPECT_EQ(scheme.status().message(), "infra_portal.g.scheme: expected http or https");
  auto cert = VirtualHosts::Parse(YAML::Load("{g: {cert: /a.crt}}"), "/www", "enable");
  ASSERT_FALSE(cert.ok());
  EXPECT_EQ(cert.status().message(), "infra_portal.g.key: cert and key go together");
}

TEST(VirtualHosts, EmptyMapMatchesNothing) {
  VirtualHosts v = Parse("{}");
  EXPECT_EQ(v.Match("i.pigsty"), nullptr);
}

TEST(OwnCertificate, EntryCertWinsThenCertbotPairOnceBothFilesExist) {
  char tmpl[] = "/tmp/vigil-letsencrypt-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string live = tmpl;
  VirtualHosts v = Parse("{own: {domain: o.pigsty, cert: /c.crt, key: /c.key, certbot: o.pigsty},"
                         " bot: {domain: b.pigsty, certbot: b.pigsty}, plain: {domain: p.pigsty}}");
  auto own = OwnCertificate(*v.Match("o.pigsty"), live);
  ASSERT_TRUE(own.has_value());
  EXPECT_EQ(own->cert_file, "/c.crt");
  EXPECT_EQ(own->key_file, "/c.key");
  EXPECT_FALSE(OwnCertificate(*v.Match("p.pigsty"), live).has_value());

  // certbot has not issued yet: the CA-signed default serves the domain.
  const VirtualHost& bot = *v.Match("b.pigsty");
  EXPECT_FALSE(OwnCertificate(bot, live).has_value());
  std::filesystem::create_directories(live + "/b.pigsty");
  std::ofstream(live + "/b.pigsty/fullchain.pem") << "chain";
  EXPECT_FALSE(OwnCertificate(bot, live).has_value());  // the key is still missing
  std::ofstream(live + "/b.pigsty/privkey.pem") << "key";
  auto issued = OwnCertificate(bot, live);
  ASSERT_TRUE(issued.has_value());
  EXPECT_EQ(issued->cert_file, live + "/b.pigsty/fullchain.pem");
  EXPECT_EQ(issued->key_file, live + "/b.pigsty/privkey.pem");
  std::filesystem::remove_all(live);
}

TEST(NormalizeHost, BracketedIpv6KeepsBracketsAndDropsPort) {
  EXPECT_EQ(NormalizeHost("[::1]:8080"), "[::1]");
  EXPECT_EQ(NormalizeHost("Example.COM:80"), "example.com");
}

}  // namespace
}  // namespace vigil::portal
