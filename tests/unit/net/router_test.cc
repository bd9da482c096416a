#include "net/router.h"

#include <gtest/gtest.h>

namespace vigil::net {
namespace {

HttpRequest Req(std::string method, std::string path) {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  return r;
}

Handler Named(std::string name) {
  return [name](HttpRequest&) { return HttpResponse::Text(200, name); };
}

std::string Call(const Router& router, HttpRequest req) {
  auto m = router.Find(req);
  if (!m.route) return "status " + std::to_string(m.status);
  return m.route->handler(req).body;
}

TEST(RouterTest, LiteralBeatsParamBeatsWildcard) {
  Router r;
  r.Handle({"GET"}, "/static/*rest", Named("wild"));
  r.Handle({"GET"}, "/api/v1/label/:name/values", Named("param"));
  r.Handle({"GET"}, "/api/v1/label/__name__/values", Named("literal"));
  EXPECT_EQ(Call(r, Req("GET", "/api/v1/label/__name__/values")), "literal");
  EXPECT_EQ(Call(r, Req("GET", "/api/v1/label/job/values")), "param");
  EXPECT_EQ(Call(r, Req("GET", "/static/a/b.js")), "wild");
}

TEST(RouterTest, CapturesPathParamsAndWildcardRest) {
  Router r;
  r.Handle({"GET"}, "/api/v1/label/:name/values", Named("x"));
  r.Handle({"GET"}, "/proxy/*rest", Named("y"));
  HttpRequest a = Req("GET", "/api/v1/label/job/values");
  ASSERT_NE(r.Find(a).route, nullptr);
  EXPECT_EQ(a.PathParam("name"), "job");
  HttpRequest b = Req("GET", "/proxy/a/b/c");
  ASSERT_NE(r.Find(b).route, nullptr);
  EXPECT_EQ(b.PathParam("rest"), "a/b/c");
  HttpRequest c = Req("GET", "/proxy/");
  ASSERT_NE(r.Find(c).route, nullptr);
  EXPECT_EQ(c.PathParam("rest"), "");
}

TEST(RouterTest, EmptyParamSegmentDoesNotMatch) {
  Router r;
  r.Handle({"GET"}, "/api/v1/label/:name/values", Named("x"));
  EXPECT_EQ(Call(r, Req("GET", "/api/v1/label//values")), "status 404");
}

TEST(RouterTest, UnknownPathIs404) {
  Router r;
  r.Handle({"GET"}, "/health", Named("h"));
  EXPECT_EQ(Call(r, Req("GET", "/healthz")), "status 404");
  EXPECT_EQ(Call(r, Req("GET", "/health/x")), "status 404");
}

TEST(RouterTest, WrongMethodIs405WithAllow) {
  Router r;
  r.Handle({"GET", "POST"}, "/api/v1/query", Named("q"));
  HttpRequest req = Req("DELETE", "/api/v1/query");
  auto m = r.Find(req);
  EXPECT_EQ(m.status, 405);
  EXPECT_EQ(m.allow, "GET, POST, HEAD, OPTIONS");
}

TEST(RouterTest, HeadUsesGetHandler) {
  Router r;
  r.Handle({"GET"}, "/health", Named("h"));
  EXPECT_EQ(Call(r, Req("HEAD", "/health")), "h");
}

TEST(RouterTest, EmptyMethodListMatchesAny) {
  Router r;
  r.Handle({}, "/any", Named("a"));
  EXPECT_EQ(Call(r, Req("PATCH", "/any")), "a");
}

TEST(RouterTest, ErrorFormatterIsUsed) {
  Router r;
  EXPECT_EQ(r.Error(404, "nope").body, "nope\n");
  r.SetErrorFormatter([](int status, std::string_view msg) {
    return HttpResponse::Json(status, "{\"status\":\"error\",\"error\":\"" + std::string(msg) + "\"}");
  });
  auto resp = r.Error(400, "bad");
  EXPECT_EQ(resp.status, 400);
  EXPECT_EQ(resp.body, "{\"status\":\"error\",\"error\":\"bad\"}");
  EXPECT_EQ(FindHeader(resp.headers, "content-type"), "application/json");
}

}  // namespace
}  // namespace vigil::net
