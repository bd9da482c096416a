#include <crypt.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "portal/htpasswd.h"
#include "portal/nginx_snippet.h"
#include "portal/snippet_router.h"

namespace vigil::portal {
namespace {

std::string Crypt(const std::string& password, const std::string& prefix) {
  std::string salt = crypt_gensalt(prefix.c_str(), 0, nullptr, 0);
  crypt_data data{};
  return crypt_r(password.c_str(), salt.c_str(), &data);
}

TEST(HtpasswdTest, VerifiesBcryptAndShaCryptHashes) {
  for (const char* prefix : {"$2b$", "$2y$", "$5$", "$6$"}) {
    std::string hash = Crypt("s3cret", prefix);
    ASSERT_TRUE(hash.starts_with(prefix)) << hash;
    EXPECT_TRUE(VerifyPasswordHash("s3cret", hash)) << prefix;
    EXPECT_FALSE(VerifyPasswordHash("s3cret ", hash)) << prefix;
    EXPECT_FALSE(VerifyPasswordHash("", hash)) << prefix;
  }
}

TEST(HtpasswdTest, Apr1MatchesApacheKnownAnswer) {
  // `htpasswd -nbm user password` with salt "WEnrr2p/" (Apache's output).
  std::string hash = Apr1Hash("password", "WEnrr2p/");
  EXPECT_TRUE(hash.starts_with("$apr1$WEnrr2p/$"));
  EXPECT_EQ(hash.size(), 6u + 8u + 1u + 22u);
  EXPECT_TRUE(VerifyPasswordHash("password", hash));
  EXPECT_FALSE(VerifyPasswordHash("Password", hash));
}

TEST(HtpasswdTest, ShaBase64AndUnknownSchemes) {
  EXPECT_TRUE(VerifyPasswordHash("password", "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g="));
  EXPECT_FALSE(VerifyPasswordHash("password", "password"));  // plain text is never accepted
  EXPECT_FALSE(VerifyPasswordHash("x", "$9$whatever"));
  EXPECT_FALSE(VerifyPasswordHash("x", ""));
}

TEST(HtpasswdTest, ParsesBasicAuthorizationHeaders) {
  std::string user, password;
  EXPECT_TRUE(ParseBasicAuthorization("Basic Ym9iOnA6dw==", &user, &password));  // bob:p:w
  EXPECT_EQ(user, "bob");
  EXPECT_EQ(password, "p:w");
  EXPECT_TRUE(ParseBasicAuthorization("basic   Ym9iOg==", &user, &password));  // bob:
  EXPECT_EQ(password, "");
  EXPECT_FALSE(ParseBasicAuthorization("Bearer abc", &user, &password));
  EXPECT_FALSE(ParseBasicAuthorization("Basic !!!", &user, &password));
  EXPECT_FALSE(ParseBasicAuthorization("Basic Ym9i", &user, &password));  // no colon
}

TEST(HtpasswdTest, FileCheckSkipsCommentsAndReportsMissingFile) {
  std::string path = std::filesystem::temp_directory_path() / ("vigil-htpasswd-" + std::to_string(::getpid()));
  std::ofstream(path) << "# comment\n\nalice:" << Crypt("pw", "$6$") << "\nbob:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n";
  HtpasswdFile file(path);
  EXPECT_TRUE(file.Check("alice", "pw").ok());
  EXPECT_TRUE(file.Check("bob", "password").ok());
  EXPECT_EQ(file.Check("alice", "nope").code(), Status::Code::kNotFound);
  EXPECT_EQ(file.Check("# comment", "").code(), Status::Code::kNotFound);
  std::filesystem::remove(path);
  EXPECT_EQ(file.Check("alice", "pw").code(), Status::Code::kIOError);
}

TEST(SnippetParseTest, ParsesLocationsOfEveryKindAndDirectives) {
  auto s = ParseSnippet(R"(
    # comment
    add_header X-A "b c";
    location = /x { return 204; }
    location ^~ /static/ { alias /srv/static/; }
    location ~* \.png$ { root /srv; add_header Cache-Control max-age=60 always; }
    location /api/ {
      rewrite ^/api/(.*)$ /v2/$1 break;
      proxy_pass http://127.0.0.1:8080/;
      proxy_set_header X-Real-IP $remote_addr;
    }
  )");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->locations.size(), 4u);
  EXPECT_EQ(s->locations[0].kind, SnippetLocation::kExact);
  EXPECT_EQ(s->locations[1].kind, SnippetLocation::kPrefixNoRegex);
  EXPECT_EQ(s->locations[2].kind, SnippetLocation::kRegexNoCase);
  EXPECT_EQ(s->locations[3].proxy_pass_base, "http://127.0.0.1:8080");
  EXPECT_EQ(s->locations[3].proxy_pass_uri, "/");
  EXPECT_EQ(s->server_headers[0].value.source, "b c");
}

TEST(SnippetParseTest, ErrorsNameTheLineAndDirective) {
  struct Case {
    const char* text;
    const char* message;
  };
  for (const Case& c : {
           Case{"gzip on;", "line 1: unsupported directive \"gzip\""},
           Case{"\n\nlocation / {\n  proxy_buffering off;\n}", "line 4: unsupported directive \"proxy_buffering\""},
           Case{"location / { location /a { } }", "line 1: nested location"},
           Case{"location / { return 200 \"x\" }", "line 1:"},
           Case{"return 444;", "not supported"},
           Case{"return 0;", "invalid return code"},
           Case{"return 101;", "invalid return code"},
           Case{"rewrite (a) $1 sideways;", "invalid rewrite flag"},
           Case{"location ~ ^/(?=x) { }", "RE2"},
           Case{"location ~ ^/x { proxy_pass http://h:1/y; }", "URI part"},
           Case{"proxy_pass http://h:1;", "only inside a location"},
           Case{"location / { return 200 $nosuchvar; }", "unsupported variable"},
           Case{"location /a { } location /a { }", "duplicate location"},
           Case{"location @named { }", "named locations"},
           Case{"server { }", "unsupported block \"server\""},
           Case{"location / {", "no closing"},
           Case{"}", "unexpected"},
           Case{"return \"unterminated;", "unterminated"},
       }) {
    auto s = ParseSnippet(c.text);
    ASSERT_FALSE(s.ok()) << c.text;
    EXPECT_NE(s.status().message().find(c.message), std::string::npos) << c.text << " -> " << s.status().message();
  }
}

net::HttpRequest Req(const std::string& target, const std::string& host = "h.test") {
  net::HttpRequest r;
  r.method = "GET";
  r.target = target;
  r.path = target.substr(0, target.find('?'));
  r.headers.emplace_back("Host", host);
  r.remote_addr = "10.0.0.9:1234";
  return r;
}

SnippetRouter Router(const std::string& text, std::vector<std::string> builtins = {"/"}) {
  auto s = ParseSnippet(text);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return SnippetRouter(std::move(*s), std::move(builtins), "h.test");
}

std::string BodyOf(const SnippetRouter& router, const std::string& target) {
  auto req = Req(target);
  SnippetDecision d = router.Route(req);
  if (d.kind != SnippetDecision::kRespond) return "<kind " + std::to_string(d.kind) + ">";
  return d.response.body;
}

TEST(SnippetRouterTest, SelectionOrderExactThenCaretTildeThenRegexThenLongestPrefix) {
  SnippetRouter r = Router(R"(
    location /a/ { return 200 prefix-a; }
    location /a/b/ { return 200 prefix-ab; }
    location ^~ /a/b/c/ { return 200 caret; }
    location ~ \.txt$ { return 200 regex1; }
    location ~ ^/a/ { return 200 regex2; }
    location = /a/b/x.txt { return 200 exact; }
  )");
  EXPECT_EQ(BodyOf(r, "/a/b/x.txt"), "exact");
  EXPECT_EQ(BodyOf(r, "/a/b/c/x.txt"), "caret");   // ^~ as the longest prefix skips regexes
  EXPECT_EQ(BodyOf(r, "/a/b/y.txt"), "regex1");    // first regex in order beats prefixes
  EXPECT_EQ(BodyOf(r, "/a/zz"), "regex2");
  EXPECT_EQ(BodyOf(r, "/other"), "<kind 0>");      // the vhost's own "/"
}

TEST(SnippetRouterTest, BuiltinLongerPrefixBeatsSnippetPrefixButNotRegex) {
  SnippetRouter r = Router("location / { return 200 snippet-root; }\nlocation ~ ^/vmetrics/x { return 200 re; }",
                           {"/", "/vmetrics/"});
  EXPECT_EQ(BodyOf(r, "/index.html"), "snippet-root");  // same length: the snippet wins
  EXPECT_EQ(BodyOf(r, "/vmetrics/api"), "<kind 0>");
  EXPECT_EQ(BodyOf(r, "/vmetrics/x"), "re");
}

TEST(SnippetRouterTest, RewriteArgsHandlingAndQuestionMarkSuffix) {
  SnippetRouter r = Router(R"(
    location /keep/ { rewrite ^/keep/(.*)$ /k/$1 redirect; }
    location /add/ { rewrite ^/add/(.*)$ /a/$1?x=1 redirect; }
    location /drop/ { rewrite ^/drop/(.*)$ /d/$1? permanent; }
  )");
  auto check = [&](const std::string& target, int code, const std::string& location) {
    auto req = Req(target);
    SnippetDecision d = r.Route(req);
    ASSERT_EQ(d.kind, SnippetDecision::kRespond) << target;
    EXPECT_EQ(d.response.status, code) << target;
    std::string got;
    for (const auto& [k, v] : d.response.headers) {
      if (k == "Location") got = v;
    }
    EXPECT_EQ(got, location) << target;
  };
  check("/keep/p?q=2", 302, "http://h.test/k/p?q=2");
  check("/add/p?q=2", 302, "http://h.test/a/p?x=1&q=2");
  check("/drop/p?q=2", 301, "http://h.test/d/p");
}

TEST(SnippetRouterTest, RewriteWithoutFlagReselectsAndBuiltinSeesNewUri) {
  SnippetRouter r = Router("location /old/ { rewrite ^/old/(.*)$ /new/$1; }");
  auto req = Req("/old/a%20b?z=1");
  req.path = "/old/a b";
  SnippetDecision d = r.Route(req);
  EXPECT_EQ(d.kind, SnippetDecision::kBuiltin);
  EXPECT_EQ(req.path, "/new/a b");
  EXPECT_EQ(req.target, "/new/a%20b?z=1");
}

TEST(SnippetRouterTest, RewriteCycleStopsAfterTenRounds) {
  SnippetRouter r = Router("location / { rewrite ^(.*)$ $1 last; }");
  auto req = Req("/x");
  SnippetDecision d = r.Route(req);
  EXPECT_EQ(d.kind, SnippetDecision::kRespond);
  EXPECT_EQ(d.response.status, 500);
}

TEST(SnippetRouterTest, AddHeaderOnlyOnSuccessUnlessAlways) {
  SnippetRouter r = Router("add_header X-A a;\nadd_header X-B b always;");
  auto req = Req("/");
  SnippetDecision d = r.Route(req);
  net::HttpResponse ok;
  ok.status = 200;
  ApplyAddedHeaders(d, &ok);
  EXPECT_EQ(ok.headers.size(), 2u);
  net::HttpResponse missing;
  missing.status = 404;
  ApplyAddedHeaders(d, &missing);
  ASSERT_EQ(missing.headers.size(), 1u);
  EXPECT_EQ(missing.headers[0].first, "X-B");
}

TEST(SnippetRouterTest, VariablesExpand) {
  SnippetRouter r = Router(
      "location / { return 200 \"$scheme $host $uri $args $is_args $remote_addr $http_user_agent $arg_k ${uri}x\"; }");
  auto req = Req("/p/q?k=v&j=2");
  req.headers.emplace_back("User-Agent", "ua/1");
  SnippetDecision d = r.Route(req);
  EXPECT_EQ(d.response.body, "http h.test /p/q k=v&j=2 ? 10.0.0.9 ua/1 v /p/qx");
}

}  // namespace
}  // namespace vigil::portal
