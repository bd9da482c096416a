#include "net/url.h"

#include <gtest/gtest.h>

namespace vigil::net {
namespace {

Url MustParse(std::string_view text) {
  Result<Url> r = ParseUrl(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().ToString();
  return r.ok() ? r.value() : Url{};
}

TEST(ParseUrlTest, FullUrl) {
  Url u = MustParse("https://user:p%40ss@Example.COM:8443/a/b?x=1&y=2#frag");
  EXPECT_EQ(u.scheme, "https");
  EXPECT_EQ(u.userinfo, "user:p%40ss");
  EXPECT_EQ(u.host, "example.com");
  EXPECT_EQ(u.port, "8443");
  EXPECT_EQ(u.path, "/a/b");
  EXPECT_EQ(u.query, "x=1&y=2");
  EXPECT_EQ(u.HostPort(), "example.com:8443");
  EXPECT_EQ(u.Target(), "/a/b?x=1&y=2");
  EXPECT_EQ(u.ToString(), "https://example.com:8443/a/b?x=1&y=2");
}

TEST(ParseUrlTest, DefaultPortsAndPath) {
  Url http = MustParse("http://host");
  EXPECT_EQ(http.port, "80");
  EXPECT_EQ(http.path, "/");
  EXPECT_EQ(http.Target(), "/");
  EXPECT_EQ(http.HostHeader(), "host");
  EXPECT_EQ(http.HostPort(), "host:80");
  Url https = MustParse("HTTPS://host?q");
  EXPECT_EQ(https.scheme, "https");
  EXPECT_EQ(https.port, "443");
  EXPECT_EQ(https.path, "/");
  EXPECT_EQ(https.Target(), "/?q");
  EXPECT_EQ(MustParse("http://host:/x").port, "80");  // empty port means default
  EXPECT_EQ(MustParse("http://host:080/").port, "80");
  EXPECT_EQ(MustParse("http://host:8080/").HostHeader(), "host:8080");
  EXPECT_EQ(MustParse("ftp://host/").port, "");  // no default known
}

TEST(ParseUrlTest, Ipv6Literals) {
  Url u = MustParse("http://[::1]:8080/metrics");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, "8080");
  EXPECT_EQ(u.HostPort(), "[::1]:8080");
  EXPECT_EQ(u.HostHeader(), "[::1]:8080");
  Url v = MustParse("https://[FE80::1]");
  EXPECT_EQ(v.host, "fe80::1");
  EXPECT_EQ(v.HostPort(), "[fe80::1]:443");
  EXPECT_EQ(v.HostHeader(), "[fe80::1]");
  EXPECT_EQ(v.ToString(), "https://[fe80::1]/");
}

TEST(ParseUrlTest, EmptyQueryAndFragmentOnly) {
  Url u = MustParse("http://h/p?#f");
  EXPECT_EQ(u.query, "");
  EXPECT_EQ(u.Target(), "/p");
  EXPECT_EQ(MustParse("http://h#f").path, "/");
  EXPECT_EQ(MustParse("http://h/a?b=/c@d").query, "b=/c@d");
}

TEST(ParseUrlTest, RejectsMalformed) {
  for (std::string_view bad : {"", "host:80/path", "//host/x", "http://", "http:///path", "http://:80/",
                               "http://[::1/x", "http://[::1]x/", "http://::1/", "http://h:0/", "http://h:65536/",
                               "http://h:12a/", "http://h:123456/", "1http://h/", "http://h/a b",
                               "http://h/\r\nX: y", "http://h/\x7f", "http://[zz::1]/"}) {
    Result<Url> r = ParseUrl(bad);
    EXPECT_FALSE(r.ok()) << "accepted: " << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
    }
  }
}

TEST(ParseUrlTest, UserinfoUsesLastAtSign) {
  Url u = MustParse("http://a@b@host/");
  EXPECT_EQ(u.userinfo, "a@b");
  EXPECT_EQ(u.host, "host");
}

TEST(ResolveReferenceTest, Rfc3986Examples) {
  // From RFC 3986 section 5.4 (base "http://a/b/c/d;p?q"), those without fragments.
  Url base = MustParse("http://a/b/c/d;p?q");
  auto f = [&](std::string_view ref, std::string_view want) {
    Result<Url> r = ResolveReference(base, ref);
    ASSERT_TRUE(r.ok()) << ref << ": " << r.status().ToString();
    EXPECT_EQ(r->ToString(), want) << "ref: " << ref;
  };
  f("g", "http://a/b/c/g");
  f("./g", "http://a/b/c/g");
  f("g/", "http://a/b/c/g/");
  f("/g", "http://a/g");
  f("//g", "http://g/");
  f("?y", "http://a/b/c/d;p?y");
  f("g?y", "http://a/b/c/g?y");
  f("", "http://a/b/c/d;p?q");
  f("#s", "http://a/b/c/d;p?q");
  f(".", "http://a/b/c/");
  f("./", "http://a/b/c/");
  f("..", "http://a/b/");
  f("../", "http://a/b/");
  f("../g", "http://a/b/g");
  f("../..", "http://a/");
  f("../../g", "http://a/g");
  f("../../../g", "http://a/g");
  f("/./g", "http://a/g");
  f("/../g", "http://a/g");
  f("g.", "http://a/b/c/g.");
  f("..g", "http://a/b/c/..g");
  f("./../g", "http://a/b/g");
  f("g/./h", "http://a/b/c/g/h");
  f("g/../h", "http://a/b/c/h");
  f("https://other:8443/x", "https://other:8443/x");
}

TEST(ResolveReferenceTest, KeepsBaseAuthorityAndRejectsBadResults) {
  Url base = MustParse("https://u:p@[::1]:9443/api/v1/x");
  Result<Url> r = ResolveReference(base, "/login");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->userinfo, "u:p");
  EXPECT_EQ(r->HostPort(), "[::1]:9443");
  EXPECT_EQ(r->path, "/login");
  EXPECT_FALSE(ResolveReference(base, "/a b").ok());
  EXPECT_FALSE(ResolveReference(base, "mailto:x@y").ok());
}

}  // namespace
}  // namespace vigil::net
