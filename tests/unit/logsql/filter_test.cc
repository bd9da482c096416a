// Every filter against a brute-force reference over the same random rows:
// Execute() on the in-memory store and on a store that skips blocks strictly
// by the request's required tokens must both return exactly the rows the
// reference predicate picks (so token derivation never drops a match).

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <algorithm>
#include <functional>
#include <map>
#include <random>

#include "logsql/logsql.h"
#include "logsql/values.h"
#include "logstore/memory_store.h"
#include "test_util.h"

namespace vigil::logsql {
namespace {

using test_util::RunQuery;
using test_util::StrictSkippingStore;

constexpr int64_t kBase = 1672531200LL * 1'000'000'000;  // 2023-01-01T00:00:00Z
constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kNow = kBase + 600 * kSec;

struct RefRow {
  int64_t t = 0;
  logstore::StreamLabels stream;
  std::map<std::string, std::string> f;
  std::string Get(const std::string& name) const {
    if (name == "_stream") return logstore::FormatStream(stream);
    if (name == "_time") return FormatRfc3339Nano(t);
    auto it = f.find(name);
    return it == f.end() ? "" : it->second;
  }
};

// --- the reference: regex/token based, written independently of the engine.

std::vector<std::string> Words(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '_' || c >= 0x80) {
      cur.push_back(static_cast<char>(c));
    } else if (!cur.empty()) {
      out.push_back(cur);
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

bool HasWord(const std::string& s, const std::string& w) {
  auto ws = Words(s);
  return std::find(ws.begin(), ws.end(), w) != ws.end();
}

bool HasWordPrefix(const std::string& s, const std::string& p) {
  for (const auto& w : Words(s))
    if (w.rfind(p, 0) == 0) return true;
  return false;
}

bool RefPhrase(const std::string& s, const std::string& phrase, bool prefix) {
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || static_cast<unsigned char>(c) >= 0x80; };
  std::string re = word(phrase.front()) ? "(?:^|[^A-Za-z0-9_\\x80-\\xff])" : "";
  re += RE2::QuoteMeta(phrase);
  if (!prefix && word(phrase.back())) re += "(?:$|[^A-Za-z0-9_\\x80-\\xff])";
  RE2::Options o;
  o.set_encoding(RE2::Options::EncodingLatin1);
  RE2 r(re, o);
  return RE2::PartialMatch(s, r);
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

double Num(const std::string& s) {
  if (s.empty()) return std::nan("");
  if (s.size() > 3 && s.substr(s.size() - 3) == "KiB") return std::stod(s.substr(0, s.size() - 3)) * 1024;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  return *end == '\0' ? v : std::nan("");
}

uint32_t Ip(const std::string& s) {
  unsigned a, b, c, d;
  char tail;
  if (std::sscanf(s.c_str(), "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) != 4) return 0;
  return (a << 24) | (b << 16) | (c << 8) | d;
}

// --- random data.

std::vector<RefRow> Generate(uint32_t seed, size_t n) {
  std::mt19937 rng(seed);
  static const std::vector<std::string> kWords = {"error", "ERROR", "Error", "warn", "info", "foo", "foobar", "bar",
                                                  "ssh:", "login", "failed", "fail", "x-y", "10.0.0.5", "42", "héllo",
                                                  "errors", "GET", "/api/v1"};
  static const std::vector<std::string> kSeps = {" ", ": ", ",", " - ", "="};
  static const std::vector<std::string> kLevels = {"error", "warn", "info", "", "fatal error"};
  static const std::vector<std::string> kDurs = {"1", "5", "10", "11.5", "-3", "1e3", "10KiB", "abc", "", "7"};
  static const std::vector<std::string> kIps = {"10.0.0.1", "10.0.0.255", "10.0.1.0", "192.168.1.1", "x", ""};
  static const std::vector<std::string> kHosts = {"a", "b", "bz", "c", "cc", "d", "e", ""};
  std::vector<RefRow> rows;
  for (size_t i = 0; i < n; ++i) {
    RefRow r;
    r.t = kBase + static_cast<int64_t>(rng() % 700) * kSec + static_cast<int64_t>(rng() % 1000);
    r.stream = {{"ins", std::vector<std::string>{"pg-1", "pg-2", "x"}[rng() % 3]},
                {"job", std::vector<std::string>{"a", "b", "c"}[rng() % 3]}};
    std::string msg;
    const size_t words = rng() % 6;
    for (size_t w = 0; w < words; ++w) {
      if (w > 0) msg += kSeps[rng() % kSeps.size()];
      msg += kWords[rng() % kWords.size()];
    }
    r.f["id"] = std::to_string(i);
    if (!msg.empty()) r.f["_msg"] = msg;
    auto put = [&](const char* name, const std::string& v) {
      if (!v.empty()) r.f[name] = v;
    };
    put("level", kLevels[rng() % kLevels.size()]);
    put("dur", kDurs[rng() % kDurs.size()]);
    put("ip", kIps[rng() % kIps.size()]);
    put("host", kHosts[rng() % kHosts.size()]);
    rows.push_back(std::move(r));
  }
  return rows;
}

struct Case {
  std::string query;
  std::function<bool(const RefRow&)> ref;
};

std::vector<Case> Cases() {
  auto msg = [](const RefRow& r) { return r.Get("_msg"); };
  auto lvl = [](const RefRow& r) { return r.Get("level"); };
  auto job = [](const RefRow& r) { return r.stream[1].second; };
  auto ins = [](const RefRow& r) { return r.stream[0].second; };
  const std::string stream_a_id = FormatStreamId(logstore::StreamIdOf({{"ins", "pg-1"}, {"job", "a"}}));
  return {
      {"error", [=](const RefRow& r) { return HasWord(msg(r), "error"); }},
      {"ERROR", [=](const RefRow& r) { return HasWord(msg(r), "ERROR"); }},
      {"i(error)", [=](const RefRow& r) { return HasWord(Lower(msg(r)), "error"); }},
      {"i(err*)", [=](const RefRow& r) { return HasWordPrefix(Lower(msg(r)), "err"); }},
      {"\"ssh: login\"", [=](const RefRow& r) { return RefPhrase(msg(r), "ssh: login", false); }},
      {"err*", [=](const RefRow& r) { return HasWordPrefix(msg(r), "err"); }},
      {"\"login fa\"*", [=](const RefRow& r) { return RefPhrase(msg(r), "login fa", true); }},
      {"x-y", [=](const RefRow& r) { return RefPhrase(msg(r), "x-y", false); }},
      {"héllo", [=](const RefRow& r) { return HasWord(msg(r), "héllo"); }},
      {"\"/api/v1\"", [=](const RefRow& r) { return RefPhrase(msg(r), "/api/v1", false); }},
      {"level:error", [=](const RefRow& r) { return HasWord(lvl(r), "error"); }},
      {"level:=error", [=](const RefRow& r) { return lvl(r) == "error"; }},
      {"level:exact(\"fatal error\")", [=](const RefRow& r) { return lvl(r) == "fatal error"; }},
      {"level:=\"fat\"*", [=](const RefRow& r) { return lvl(r).rfind("fat", 0) == 0; }},
      {"level:\"\"", [=](const RefRow& r) { return lvl(r).empty(); }},
      {"level:*", [=](const RefRow& r) { return !lvl(r).empty(); }},
      {"level:!=error", [=](const RefRow& r) { return lvl(r) != "error"; }},
      {"_msg:\"\"", [=](const RefRow& r) { return msg(r).empty(); }},
      {"*", [](const RefRow&) { return true; }},
      {"level:in(error, warn)", [=](const RefRow& r) { return lvl(r) == "error" || lvl(r) == "warn"; }},
      {"level:(error OR warn)", [=](const RefRow& r) { return HasWord(lvl(r), "error") || HasWord(lvl(r), "warn"); }},
      {"-level:error", [=](const RefRow& r) { return !HasWord(lvl(r), "error"); }},
      {"error OR warn", [=](const RefRow& r) { return HasWord(msg(r), "error") || HasWord(msg(r), "warn"); }},
      {"error warn", [=](const RefRow& r) { return HasWord(msg(r), "error") && HasWord(msg(r), "warn"); }},
      {"error AND foo -warn", [=](const RefRow& r) { return HasWord(msg(r), "error") && HasWord(msg(r), "foo") && !HasWord(msg(r), "warn"); }},
      {"(error OR warn) foo", [=](const RefRow& r) { return (HasWord(msg(r), "error") || HasWord(msg(r), "warn")) && HasWord(msg(r), "foo"); }},
      {"error foo OR bar", [=](const RefRow& r) { return (HasWord(msg(r), "error") && HasWord(msg(r), "foo")) || HasWord(msg(r), "bar"); }},
      {"not (error or warn)", [=](const RefRow& r) { return !(HasWord(msg(r), "error") || HasWord(msg(r), "warn")); }},
      {"!foo !bar", [=](const RefRow& r) { return !HasWord(msg(r), "foo") && !HasWord(msg(r), "bar"); }},
      {"dur:>10", [](const RefRow& r) { return Num(r.Get("dur")) > 10; }},
      {"dur:>=10", [](const RefRow& r) { return Num(r.Get("dur")) >= 10; }},
      {"dur:<5", [](const RefRow& r) { return Num(r.Get("dur")) < 5; }},
      {"dur:range[1, 10)", [](const RefRow& r) { double v = Num(r.Get("dur")); return v >= 1 && v < 10; }},
      {"dur:range(-Inf, 7]", [](const RefRow& r) { return Num(r.Get("dur")) <= 7; }},
      {"dur:<=5KiB", [](const RefRow& r) { return Num(r.Get("dur")) <= 5120; }},
      {"dur:>1_000", [](const RefRow& r) { return Num(r.Get("dur")) > 1000; }},
      {"ip:ipv4_range(10.0.0.0, 10.0.0.255)", [](const RefRow& r) { uint32_t v = Ip(r.Get("ip")); return v >= Ip("10.0.0.0") && v <= Ip("10.0.0.255"); }},
      {"ip:ipv4_range(\"10.0.0.0/16\")", [](const RefRow& r) { return (Ip(r.Get("ip")) >> 16) == (Ip("10.0.0.0") >> 16); }},
      {"host:string_range(b, d)", [](const RefRow& r) { auto h = r.Get("host"); return h >= "b" && h < "d"; }},
      {"host:>\"c\"", [](const RefRow& r) { return r.Get("host") > "c"; }},
      {"len_range(5, 20)", [=](const RefRow& r) { size_t n = 0; for (unsigned char c : msg(r)) n += (c & 0xC0) != 0x80; return n >= 5 && n <= 20; }},
      {"~\"fo+b\"", [=](const RefRow& r) { return msg(r).find("foob") != std::string::npos; }},
      {"level:!~\"err.*\"", [=](const RefRow& r) { return lvl(r).find("err") == std::string::npos; }},
      {"re(\"^(GET|foo)\")", [=](const RefRow& r) { return msg(r).rfind("GET", 0) == 0 || msg(r).rfind("foo", 0) == 0; }},
      {"seq(\"foo\", \"bar\")", [=](const RefRow& r) {
         auto ws = Words(msg(r));
         auto f = std::find(ws.begin(), ws.end(), "foo");
         return f != ws.end() && std::find(f + 1, ws.end(), "bar") != ws.end();
       }},
      {"contains_all(foo, bar)", [=](const RefRow& r) { return HasWord(msg(r), "foo") && HasWord(msg(r), "bar"); }},
      {"contains_any(foo, warn)", [=](const RefRow& r) { return HasWord(msg(r), "foo") || HasWord(msg(r), "warn"); }},
      {"*oba*", [=](const RefRow& r) { return msg(r).find("oba") != std::string::npos; }},
      {"{job=\"a\"}", [=](const RefRow& r) { return job(r) == "a"; }},
      {"{job=~\"a|b\", ins!=\"x\"}", [=](const RefRow& r) { return (job(r) == "a" || job(r) == "b") && ins(r) != "x"; }},
      {"_stream:{job in (a, c)}", [=](const RefRow& r) { return job(r) == "a" || job(r) == "c"; }},
      {"{job=\"a\"} error", [=](const RefRow& r) { return job(r) == "a" && HasWord(msg(r), "error"); }},
      {"error OR {job=\"b\"}", [=](const RefRow& r) { return job(r) == "b" || HasWord(msg(r), "error"); }},
      {"-{ins=~\"pg.*\"}", [=](const RefRow& r) { return ins(r) == "x"; }},
      {"_stream_id:" + stream_a_id, [=](const RefRow& r) { return job(r) == "a" && ins(r) == "pg-1"; }},
      {"_time:5m", [](const RefRow& r) { return r.t > kNow - 300 * kSec && r.t <= kNow; }},
      {"_time:>5m", [](const RefRow& r) { return r.t <= kNow - 300 * kSec; }},
      {"_time:5m offset 2m", [](const RefRow& r) { return r.t > kNow - 420 * kSec && r.t <= kNow - 120 * kSec; }},
      {"_time:[2023-01-01T00:00:10Z, 2023-01-01T00:00:20Z)", [](const RefRow& r) { return r.t >= kBase + 10 * kSec && r.t < kBase + 20 * kSec; }},
      {"_time:(2023-01-01T00:00:10Z, 2023-01-01T00:00:20Z]", [](const RefRow& r) { return r.t >= kBase + 11 * kSec && r.t < kBase + 21 * kSec; }},
      {"_time:2023-01-01T00:01Z", [](const RefRow& r) { return r.t >= kBase + 60 * kSec && r.t < kBase + 120 * kSec; }},
      {"_time:2023-01-01T01:01+01:00", [](const RefRow& r) { return r.t >= kBase + 60 * kSec && r.t < kBase + 120 * kSec; }},
      {"_time:>=2023-01-01T00:09:00Z error", [=](const RefRow& r) { return r.t >= kBase + 540 * kSec && HasWord(msg(r), "error"); }},
      {"_time:day_range[00:02, 00:05)", [](const RefRow& r) { return r.t >= kBase + 120 * kSec && r.t < kBase + 300 * kSec; }},
      {"_time:day_range(00:02, 00:05] offset 1h", [](const RefRow& r) { return false && r.t; }},
      {"_time:week_range[Sun, Sun]", [](const RefRow&) { return true; }},  // 2023-01-01 was a Sunday
      {"_time:week_range[Mon, Sat]", [](const RefRow&) { return false; }},
      {"dur:lt_field(host)", [](const RefRow& r) {
         const std::string a = r.Get("dur"), b = r.Get("host");
         return a < b;  // host is never a number
       }},
      {"level:eq_field(host)", [](const RefRow& r) { return r.Get("level") == r.Get("host"); }},
      {"error OR _time:1m", [=](const RefRow& r) { return HasWord(msg(r), "error") || (r.t > kNow - 60 * kSec && r.t <= kNow); }},
  };
}

class FilterDifferential : public ::testing::TestWithParam<uint32_t> {};

TEST_P(FilterDifferential, EveryFilterMatchesTheReferenceOnBothStores) {
  const auto rows = Generate(GetParam(), 400);
  logstore::MemoryLogStore memory;
  StrictSkippingStore strict(5);
  for (const auto& r : rows) {
    logstore::LogEntry e{r.t, r.stream, {}};
    for (const auto& [k, v] : r.f) e.fields.push_back({k, v});
    memory.Add(e);
    strict.Add(e);
  }
  ExecuteOptions opts;
  opts.now_ns = kNow;
  for (const auto& c : Cases()) {
    std::vector<std::string> want;
    for (const auto& r : rows)
      if (c.ref(r)) want.push_back(r.f.at("id"));
    std::sort(want.begin(), want.end());
    for (const logstore::LogReader* store : {static_cast<const logstore::LogReader*>(&memory),
                                             static_cast<const logstore::LogReader*>(&strict)}) {
      std::vector<std::string> got;
      for (const auto& row : RunQuery(*store, c.query, opts)) got.emplace_back(FieldValue(row, "id"));
      std::sort(got.begin(), got.end());
      EXPECT_EQ(got, want) << c.query << (store == &memory ? " (memory store)" : " (strict skipping store)");
    }
  }
  EXPECT_GT(strict.skipped(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Seeds, FilterDifferential, ::testing::Values(1u, 2u, 3u, 4u, 5u));

TEST(RequiredTokens, ComeOnlyFromCaseSensitiveAndedWordFilters) {
  auto tokens = [](std::string_view q) {
    auto parsed = Parse(q);
    EXPECT_TRUE(parsed.ok()) << q;
    ExecuteOptions opts;
    std::vector<std::string> out;
    for (const auto& rt : BuildScanRequest(parsed.value(), opts).required_tokens)
      for (const auto& t : rt.tokens) out.push_back(rt.field + ":" + t);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(tokens("error \"ssh: login\""), (V{"_msg:error", "_msg:ssh", "_msg:login"}));
  EXPECT_EQ(tokens("level:=\"fatal error\" host:fo*"), (V{"level:fatal", "level:error"}));
  EXPECT_EQ(tokens("\"login fa\"*"), (V{"_msg:login"}));
  EXPECT_EQ(tokens("error OR warn"), V{});
  EXPECT_EQ(tokens("-error"), V{});
  EXPECT_EQ(tokens("i(error)"), V{});
  EXPECT_EQ(tokens("(a b) OR c"), V{});
  EXPECT_EQ(tokens("_stream_id:00aa _time:5m {a=\"b\"}"), V{});
  EXPECT_EQ(tokens("a (b c)"), (V{"_msg:a", "_msg:b", "_msg:c"}));
}

TEST(ScanRequest, TimeRangeIsTheIntersectionOfOptionsAndAndedTimeFilters) {
  auto parsed = Parse("_time:5m error _time:[2023-01-01T00:00:00Z, 2023-01-01T00:08:00Z)");
  ASSERT_TRUE(parsed.ok());
  ExecuteOptions opts;
  opts.now_ns = kNow;
  opts.start_ns = kBase + 1;
  const auto req = BuildScanRequest(parsed.value(), opts);
  EXPECT_EQ(req.min_time_ns, kNow - 300 * kSec + 1);
  EXPECT_EQ(req.max_time_ns, kBase + 480 * kSec - 1);
  EXPECT_FALSE(req.stream_matches);
}

}  // namespace
}  // namespace vigil::logsql

namespace vigil::logsql {
namespace {

std::vector<std::string> ColumnsOf(std::string_view q) {
  auto parsed = Parse(q);
  EXPECT_TRUE(parsed.ok()) << q;
  return BuildScanRequest(parsed.value(), ExecuteOptions{}).columns;
}

TEST(ScanRequest, ColumnsNarrowOnlyWhenTheFirstPipeDropsOtherFields) {
  using V = std::vector<std::string>;
  EXPECT_EQ(ColumnsOf("error"), V{});  // rows carry every field
  EXPECT_EQ(ColumnsOf("error | sort by (a)"), V{});
  EXPECT_EQ(ColumnsOf("error | fields a, b* | sort by (c)"), (V{"a", "b*", "_msg"}));
  EXPECT_EQ(ColumnsOf("level:x | stats by (host, _time:5m) count() if (code:500) c, sum(d)"),
            (V{"host", "code", "d", "level"}));
  EXPECT_EQ(ColumnsOf("_time:5m {a=\"b\"} | stats by (_time:1m) count()"), V{"_time"});
  EXPECT_EQ(ColumnsOf("* | stats sum(*)"), V{});
  EXPECT_EQ(ColumnsOf("* | fields *"), V{});
  EXPECT_EQ(ColumnsOf("x | uniq by (u)"), (V{"u", "_msg"}));
}

}  // namespace
}  // namespace vigil::logsql
