#include "net/http_types.h"

#include <gtest/gtest.h>

namespace vigil::net {
namespace {

TEST(FindHeaderTest, CaseInsensitiveFirstMatch) {
  Headers h = {{"Content-Type", "text/plain"}, {"X-Dup", "1"}, {"x-dup", "2"}};
  EXPECT_EQ(FindHeader(h, "content-type"), "text/plain");
  EXPECT_EQ(FindHeader(h, "CONTENT-TYPE"), "text/plain");
  EXPECT_EQ(FindHeader(h, "X-DUP"), "1");
  EXPECT_EQ(FindHeader(h, "Content-Typ"), "");
  EXPECT_EQ(FindHeader(h, "Content-Type-X"), "");
  EXPECT_EQ(FindHeader({}, "a"), "");
}

TEST(FindHeaderTest, EmptyNameNeverCrashes) {
  Headers h = {{"", "empty-name"}, {"A", "b"}};
  EXPECT_EQ(FindHeader(h, std::string_view()), "empty-name");
  EXPECT_EQ(FindHeader({{"A", "b"}}, std::string_view()), "");
}

TEST(FindHeaderTest, NonAsciiBytesCompareExactly) {
  Headers h = {{"X-\xc4\xb0", "v"}};
  EXPECT_EQ(FindHeader(h, "x-\xc4\xb0"), "v");
  EXPECT_EQ(FindHeader(h, "x-\xe4\xb0"), "");
}

TEST(SetHeaderTest, ReplacesEveryCaseVariant) {
  Headers h = {{"A", "1"}, {"b", "2"}, {"a", "3"}};
  SetHeader(h, "a", "new");
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0], (std::pair<std::string, std::string>{"b", "2"}));
  EXPECT_EQ(h[1], (std::pair<std::string, std::string>{"a", "new"}));
}

TEST(UrlDecodeTest, Cases) {
  EXPECT_EQ(UrlDecode("a%20b", false), "a b");
  EXPECT_EQ(UrlDecode("a+b", false), "a+b");
  EXPECT_EQ(UrlDecode("a+b", true), "a b");
  EXPECT_EQ(UrlDecode("%2B", true), "+");
  EXPECT_EQ(UrlDecode("%2b%2F", false), "+/");
  EXPECT_EQ(UrlDecode("%e2%82%AC", false), "\xe2\x82\xac");
  EXPECT_EQ(UrlDecode("%00", false), std::string(1, '\0'));
}

TEST(UrlDecodeTest, MalformedEscapesKeptVerbatim) {
  EXPECT_EQ(UrlDecode("%", false), "%");
  EXPECT_EQ(UrlDecode("100%", false), "100%");
  EXPECT_EQ(UrlDecode("%4", false), "%4");
  EXPECT_EQ(UrlDecode("%zz", false), "%zz");
  EXPECT_EQ(UrlDecode("%4g", false), "%4g");
  EXPECT_EQ(UrlDecode("%%41", false), "%A");
  EXPECT_EQ(UrlDecode("x%41", false), "xA");  // escape ending exactly at the end
}

TEST(UrlEncodeTest, OnlyUnreservedPassThrough) {
  EXPECT_EQ(UrlEncode("AZaz09-_.~"), "AZaz09-_.~");
  EXPECT_EQ(UrlEncode("a b+c/d?e=f&g"), "a%20b%2Bc%2Fd%3Fe%3Df%26g");
  EXPECT_EQ(UrlEncode("\xe2\x82\xac"), "%E2%82%AC");
  EXPECT_EQ(UrlEncode(std::string(1, '\0')), "%00");
  EXPECT_EQ(UrlEncode(""), "");
}

TEST(UrlEncodeTest, RoundTripsEveryByte) {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  EXPECT_EQ(UrlDecode(UrlEncode(all), false), all);
  EXPECT_EQ(UrlDecode(UrlEncode(all), true), all);
}

TEST(QueryParamsTest, ParsesRepeatsEmptyAndMissingValues) {
  QueryParams p = QueryParams::Parse("match[]=up&match[]=down&empty=&flag&x=%20y+z");
  EXPECT_EQ(p.GetAll("match[]"), (std::vector<std::string>{"up", "down"}));
  EXPECT_EQ(p.Get("match[]"), "up");
  EXPECT_TRUE(p.Has("empty"));
  EXPECT_EQ(p.Get("empty"), "");
  EXPECT_TRUE(p.Has("flag"));
  EXPECT_EQ(p.Get("x"), " y z");
  EXPECT_FALSE(p.Has("missing"));
  EXPECT_EQ(p.Get("missing"), "");
  EXPECT_TRUE(p.GetAll("missing").empty());
  EXPECT_EQ(p.items().size(), 5u);
}

TEST(QueryParamsTest, EncodedSeparatorsAndKeysDecode) {
  QueryParams p = QueryParams::Parse("a%3Db=c%26d&k+1=v=w");
  EXPECT_EQ(p.Get("a=b"), "c&d");
  EXPECT_EQ(p.Get("k 1"), "v=w");  // only the first '=' splits
}

TEST(QueryParamsTest, StraySeparatorsAreSkipped) {
  QueryParams p = QueryParams::Parse("&&a=1&&&b=2&");
  ASSERT_EQ(p.items().size(), 2u);
  EXPECT_EQ(p.Get("a"), "1");
  EXPECT_EQ(p.Get("b"), "2");
  EXPECT_TRUE(QueryParams::Parse("").items().empty());
  QueryParams q = QueryParams::Parse("=v");
  EXPECT_TRUE(q.Has(""));
  EXPECT_EQ(q.Get(""), "v");
}

TEST(QueryParamsTest, AppendKeepsOrderAcrossSources) {
  QueryParams p = QueryParams::Parse("query=up&time=1");
  p.Append("query=down&step=15");
  EXPECT_EQ(p.GetAll("query"), (std::vector<std::string>{"up", "down"}));
  EXPECT_EQ(p.Get("step"), "15");
}

TEST(HttpRequestTest, PathParamAndHeaderLookups) {
  HttpRequest r;
  r.path_params = {{"name", "job"}};
  r.headers = {{"Accept", "text/plain"}};
  EXPECT_EQ(r.PathParam("name"), "job");
  EXPECT_EQ(r.PathParam("other"), "");
  EXPECT_EQ(r.Header("accept"), "text/plain");
}

TEST(HttpResponseTest, BuildersSetContentTypeOnce) {
  HttpResponse t = HttpResponse::Text(404, "nope");
  EXPECT_EQ(t.status, 404);
  EXPECT_EQ(t.body, "nope");
  EXPECT_EQ(FindHeader(t.headers, "Content-Type"), "text/plain; charset=utf-8");
  HttpResponse j = HttpResponse::Json(200, "{}");
  j.SetHeader("content-type", "application/problem+json");
  ASSERT_EQ(j.headers.size(), 1u);
  EXPECT_EQ(FindHeader(j.headers, "Content-Type"), "application/problem+json");
}

TEST(ReasonPhraseTest, KnownAndUnknown) {
  EXPECT_EQ(ReasonPhrase(200), "OK");
  EXPECT_EQ(ReasonPhrase(404), "Not Found");
  EXPECT_EQ(ReasonPhrase(503), "Service Unavailable");
  EXPECT_EQ(ReasonPhrase(299), "Unknown");
}

}  // namespace
}  // namespace vigil::net
