// Every pipe on small fixed data with expected rows, and the stats, uniq,
// top, sort and limit pipes against a brute-force computation over random
// rows.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include "logsql/logsql.h"
#include "logsql/transform_pipes.h"
#include "logsql/values.h"
#include "logstore/memory_store.h"
#include "test_util.h"

namespace vigil::logsql {
namespace {

using test_util::Lines;
using test_util::RunQuery;
using V = std::vector<std::string>;

constexpr int64_t kBase = 1672531200LL * 1'000'000'000;  // 2023-01-01T00:00:00Z
constexpr int64_t kSec = 1'000'000'000;

// Three rows: n = 1, 2, 10 with host a, b, a.
logstore::MemoryLogStore& Fixed() {
  static logstore::MemoryLogStore* store = [] {
    auto* s = new logstore::MemoryLogStore;
    s->Add({kBase, {{"job", "x"}}, {{"_msg", "GET /a ip=10.0.0.1 took 5ms"}, {"n", "1"}, {"host", "a"}}});
    s->Add({kBase + kSec, {{"job", "x"}},
            {{"_msg", "{\"user\":{\"id\":7,\"name\":\"bob\"},\"tags\":[1,2],\"ok\":true,\"none\":null}"}, {"n", "2"}, {"host", "b"}}});
    s->Add({kBase + 2 * kSec, {{"job", "y"}}, {{"_msg", "level=warn msg=\"disk full\" code=507"}, {"n", "10"}, {"host", "a"}}});
    return s;
  }();
  return *store;
}

V Q(std::string_view query) { return Lines(RunQuery(Fixed(), query)); }

TEST(Pipes, FieldsKeepsListedOrderAndEmitsMissingAsEmpty) {
  EXPECT_EQ(Q("* | sort by (n) | fields n, missing, host"),
            (V{"n=1 missing= host=a", "n=2 missing= host=b", "n=10 missing= host=a"}));
  EXPECT_EQ(Q("GET | fields _s*"), (V{"_stream_id=" + FormatStreamId(logstore::StreamIdOf({{"job", "x"}})) +
                                      " _stream={job=\"x\"}"}));
}

TEST(Pipes, DeleteRenameCopy) {
  EXPECT_EQ(Q("GET | delete _*, host"), (V{"n=1"}));
  EXPECT_EQ(Q("GET | rename n as m, host as h | fields m, h, n"), (V{"m=1 h=a n="}));
  EXPECT_EQ(Q("GET | copy n as m | fields n, m"), (V{"n=1 m=1"}));
}

TEST(Pipes, SortNumbersNumericallyAndTimesChronologically) {
  EXPECT_EQ(Q("* | sort by (n) | fields n"), (V{"n=1", "n=2", "n=10"}));
  EXPECT_EQ(Q("* | sort by (n desc) | fields n"), (V{"n=10", "n=2", "n=1"}));
  EXPECT_EQ(Q("* | sort by (host, n) desc | fields host, n"), (V{"host=b n=2", "host=a n=10", "host=a n=1"}));
  EXPECT_EQ(Q("* | sort by (_time desc) limit 2 | fields n"), (V{"n=10", "n=2"}));
  EXPECT_EQ(Q("* | sort (n) offset 1 limit 1 | fields n"), (V{"n=2"}));
}

TEST(Pipes, LimitOffsetHead) {
  EXPECT_EQ(Q("* | sort by (n) | offset 1 | limit 1 | fields n"), (V{"n=2"}));
  EXPECT_EQ(Q("* | head 2 | stats count() c"), (V{"c=2"}));
  EXPECT_EQ(Q("* | limit 0"), V{});
}

TEST(Pipes, UniqTopFieldNamesFieldValues) {
  EXPECT_EQ(Q("* | uniq by (host)"), (V{"host=a", "host=b"}));
  EXPECT_EQ(Q("* | uniq by (host) with hits"), (V{"host=a hits=2", "host=b hits=1"}));
  EXPECT_EQ(Q("* | uniq (host) limit 1"), (V{"host=a"}));
  EXPECT_EQ(Q("* | top 1 by (host)"), (V{"host=a hits=2"}));
  EXPECT_EQ(Q("* | top by (host) hits as c rank"), (V{"host=a c=2 rank=1", "host=b c=1 rank=2"}));
  EXPECT_EQ(Q("* | field_names | filter name:~\"^[hn]\""), (V{"name=host hits=3", "name=n hits=3"}));
  EXPECT_EQ(Q("* | field_values host"), (V{"host=a hits=2", "host=b hits=1"}));
  EXPECT_EQ(Q("* | field_values host limit 1"), (V{"host=a hits=2"}));
}

TEST(Pipes, FilterAfterPipesSeesDerivedFields) {
  EXPECT_EQ(Q("* | stats by (host) count() c | filter c:>1"), (V{"host=a c=2"}));
  EXPECT_EQ(Q("* | filter n:>=2 host:a | fields n"), (V{"n=10"}));
  EXPECT_EQ(Q("* | filter {job=\"y\"} | fields n"), (V{"n=10"}));
  EXPECT_EQ(Q("* | filter _time:[2023-01-01T00:00:01Z, 2023-01-01T00:00:02Z) | fields n"), (V{"n=2"}));
}

TEST(Pipes, StatsFunctionsAndDefaultNames) {
  EXPECT_EQ(Q("* | stats count(), count(missing), count_empty(missing), sum(n), avg(n), min(n), max(n)"),
            (V{"count()=3 count(missing)=0 count_empty(missing)=3 sum(n)=13 avg(n)=4.333333333333333 min(n)=1 max(n)=10"}));
  EXPECT_EQ(Q("* | stats median(n) m, quantile(0, n) q0, quantile(1, n) q1, count_uniq(host) u, sum_len(host) l"),
            (V{"m=2 q0=1 q1=10 u=2 l=3"}));
  EXPECT_EQ(Q("* | stats values(host) v, uniq_values(host) u, uniq_values(host) limit 1 u1"),
            (V{"v=[\"a\",\"b\",\"a\"] u=[\"a\",\"b\"] u1=[\"a\"]"}));
  EXPECT_EQ(Q("* | stats min(host) a, max(host) b, sum(missing) s, avg(missing) v"), (V{"a=a b=b s=NaN v=NaN"}));
  EXPECT_EQ(Q("* | stats row_min(n, host) r, row_max(n, host, n) s"), (V{"r={\"host\":\"a\"} s={\"n\":\"10\",\"host\":\"a\"}"}));
  EXPECT_EQ(Q("GET | stats row_any(n, host) r"), (V{"r={\"n\":\"1\",\"host\":\"a\"}"}));
  EXPECT_EQ(Q("* | stats count() if (GET) g, count() if (host:b) b, count() all"), (V{"g=1 b=1 all=3"}));
  EXPECT_EQ(Q("nomatch | stats count() c, sum(n) s"), (V{"c=0 s=NaN"}));
  EXPECT_EQ(Q("nomatch | stats by (host) count() c"), V{});
}

TEST(Pipes, StatsByBuckets) {
  EXPECT_EQ(Q("* | stats by (_time:2s) count() c"), (V{"_time=2023-01-01T00:00:00Z c=2", "_time=2023-01-01T00:00:02Z c=1"}));
  EXPECT_EQ(Q("* | stats by (_time:second offset 500ms) count() c"),
            (V{"_time=2022-12-31T23:59:59.5Z c=1", "_time=2023-01-01T00:00:00.5Z c=1", "_time=2023-01-01T00:00:01.5Z c=1"}));
  EXPECT_EQ(Q("* | stats by (n:5) count() c"), (V{"n=0 c=2", "n=10 c=1"}));
  EXPECT_EQ(Q("GET | extract \"ip=<ip> \" | stats by (ip:/8) count() c"), (V{"ip=10.0.0.0 c=1"}));
  EXPECT_EQ(Q("* | stats by (_stream) count() c"), (V{"_stream={job=\"x\"} c=2", "_stream={job=\"y\"} c=1"}));
}

TEST(Pipes, ExtractCapturesUpToTheNextLiteralAndQuotedValues) {
  EXPECT_EQ(Q("GET | extract \"GET <path> ip=<ip> took <_>ms\" | fields path, ip"), (V{"path=/a ip=10.0.0.1"}));
  EXPECT_EQ(Q("level | extract \"msg=<m> code=<c>\" | fields m, c"), (V{"m=disk full c=507"}));
  EXPECT_EQ(Q("GET | extract \"nomatch=<x>\" | fields x"), (V{"x="}));
  EXPECT_EQ(Q("* | extract if (host:b) \"<first>\" | sort by (n) | fields first"),
            (V{"first=", "first={\"user\":{\"id\":7,\"name\":\"bob\"},\"tags\":[1,2],\"ok\":true,\"none\":null}", "first="}));
  EXPECT_EQ(Q("GET | extract \"took <d>\" from _msg | fields d"), (V{"d=5ms"}));
}

TEST(Pipes, UnpackJsonFlattensNestedObjects) {
  EXPECT_EQ(Q("user | unpack_json | fields user.id, user.name, tags, ok, none"),
            (V{"user.id=7 user.name=bob tags=[1,2] ok=true none="}));
  EXPECT_EQ(Q("user | unpack_json fields (user.*) result_prefix p_ | fields p_user.id, p_user.name, p_tags"),
            (V{"p_user.id=7 p_user.name=bob p_tags="}));
  EXPECT_EQ(Q("user | unpack_json keep_original_fields fields (n) | fields n"), (V{"n=2"}));
  EXPECT_EQ(Q("GET | unpack_json | fields user.id, n"), (V{"user.id= n=1"}));  // not JSON: unchanged
}

TEST(Pipes, UnpackLogfmt) {
  EXPECT_EQ(Q("level | unpack_logfmt | fields level, msg, code"), (V{"level=warn msg=disk full code=507"}));
  EXPECT_EQ(Q("level | unpack_logfmt fields (code) result_prefix x_ | fields x_code, x_level"), (V{"x_code=507 x_level="}));
}

TEST(Pipes, FormatReplaceLenMathDropEmpty) {
  EXPECT_EQ(Q("GET | format \"<host>:<q:n>!\" as f | fields f"), (V{"f=a:\"1\"!"}));
  EXPECT_EQ(Q("GET | replace (\"/a\", \"/b\") | fields _msg"), (V{"_msg=GET /b ip=10.0.0.1 took 5ms"}));
  EXPECT_EQ(Q("GET | replace (\"0\", \"_\") at _msg limit 1 | fields _msg"), (V{"_msg=GET /a ip=1_.0.0.1 took 5ms"}));
  EXPECT_EQ(Q("GET | len(_msg) as l | fields l"), (V{"l=27"}));
  EXPECT_EQ(Q("* | math n * 2 + 1 as x, x / 4 as y, round(y) r, n ^ 2 as p, -n % 3 as m | sort by (n) | fields x, y, r, p, m"),
            (V{"x=3 y=0.75 r=1 p=1 m=-1", "x=5 y=1.25 r=1 p=4 m=-2", "x=21 y=5.25 r=5 p=100 m=-1"}));
  EXPECT_EQ(Q("GET | math max(n, 3, 2) a, min(n, 0) b, abs(-n) c, floor(2.7) d, ceil(2.1) e, round(1234, 100) f, "
              "missing default 7 g, missing h | fields a, b, c, d, e, f, g, h"),
            (V{"a=3 b=0 c=1 d=2 e=3 f=1200 g=7 h=NaN"}));
  EXPECT_EQ(Q("GET | math ln(exp(2)) a, 1/0 b, \"10.0.0.1\" + 0 c, \"2023-01-01T00:00:01Z\" - _time d | fields a, b, c, d"),
            (V{"a=2 b=+Inf c=167772161 d=1000000000"}));
  EXPECT_EQ(Q("GET | fields n, missing | drop_empty_fields"), (V{"n=1"}));
}

TEST(Pipes, JsonFlattenRejectsBadInputWithoutCrashing) {
  EXPECT_FALSE(FlattenJsonObject("{"));
  EXPECT_FALSE(FlattenJsonObject("[1]"));
  EXPECT_FALSE(FlattenJsonObject("{\"a\":1,}"));
  EXPECT_FALSE(FlattenJsonObject("{\"a\" 1}"));
  EXPECT_FALSE(FlattenJsonObject(std::string(100000, '{')));
  std::string deep_array = "{\"a\":" + std::string(100000, '[');
  EXPECT_FALSE(FlattenJsonObject(deep_array));
  auto ok = FlattenJsonObject(R"({"a":{"b":{"c":"\u00e9\n"}},"d":-1.5e3})");
  ASSERT_TRUE(ok);
  EXPECT_EQ((*ok)[0], (std::pair<std::string, std::string>{"a.b.c", "é\n"}));
  EXPECT_EQ((*ok)[1], (std::pair<std::string, std::string>{"d", "-1.5e3"}));
}

// --- differential: stats/uniq/top/sort against direct computation.

struct Rand {
  std::vector<std::map<std::string, std::string>> rows;
  logstore::MemoryLogStore store;
  test_util::StrictSkippingStore pruning{64};  // hands out only requested columns
};

void Generate(uint32_t seed, Rand& r) {
  std::mt19937 rng(seed);
  for (int i = 0; i < 500; ++i) {
    std::map<std::string, std::string> f;
    f["id"] = std::to_string(i);
    f["_msg"] = "m";
    if (rng() % 5) f["host"] = std::string(1, static_cast<char>('a' + rng() % 4));
    if (rng() % 4) f["v"] = std::to_string(static_cast<int>(rng() % 200) - 50);
    if (rng() % 7 == 0) f["v"] = "text";
    logstore::LogEntry e{kBase + static_cast<int64_t>(rng() % 3600) * kSec, {{"s", std::to_string(rng() % 3)}}, {}};
    for (const auto& [k, v] : f) e.fields.push_back({k, v});
    r.pruning.Add(e);
    r.store.Add(std::move(e));
    r.rows.push_back(std::move(f));
  }
}

std::string Get(const std::map<std::string, std::string>& row, const std::string& k) {
  auto it = row.find(k);
  return it == row.end() ? "" : it->second;
}

class PipesDifferential : public ::testing::TestWithParam<uint32_t> {};

TEST_P(PipesDifferential, StatsByHostMatchesDirectComputation) {
  Rand r;
  Generate(GetParam(), r);
  struct Agg {
    uint64_t count = 0, count_v = 0, nums = 0;
    double sum = 0;
    double min = INFINITY, max = -INFINITY;
    std::set<std::string> uniq;
  };
  std::map<std::string, Agg> want;
  for (const auto& row : r.rows) {
    Agg& a = want[Get(row, "host")];
    ++a.count;
    const std::string v = Get(row, "v");
    if (!v.empty()) {
      ++a.count_v;
      a.uniq.insert(v);
    }
    if (!v.empty() && v != "text") {
      const double d = std::stod(v);
      a.sum += d;
      ++a.nums;
      a.min = std::min(a.min, d);
      a.max = std::max(a.max, d);
    }
  }
  V want_lines;
  for (const auto& [host, a] : want) {
    want_lines.push_back("host=" + host + " c=" + std::to_string(a.count) + " cv=" + std::to_string(a.count_v) +
                         " s=" + FormatFloat(a.nums ? a.sum : NAN) + " u=" + std::to_string(a.uniq.size()));
  }
  const char* stats = "* | stats by (host) count() c, count(v) cv, sum(v) s, count_uniq(v) u";
  EXPECT_EQ(Lines(RunQuery(r.store, stats)), want_lines);
  EXPECT_EQ(Lines(RunQuery(r.pruning, stats)), want_lines);
  EXPECT_EQ(Lines(RunQuery(r.pruning, "v:>0 | fields v, id | sort by (id)")),
            Lines(RunQuery(r.store, "v:>0 | fields v, id | sort by (id)")));

  // uniq / top agree with the same counts.
  V uniq_lines, top_lines;
  std::vector<std::pair<uint64_t, std::string>> by_hits;
  for (const auto& [host, a] : want) {
    uniq_lines.push_back("host=" + host + " hits=" + std::to_string(a.count));
    by_hits.push_back({a.count, host});
  }
  EXPECT_EQ(Lines(RunQuery(r.store, "* | uniq by (host) with hits")), uniq_lines);
  std::stable_sort(by_hits.begin(), by_hits.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
  for (size_t i = 0; i < std::min<size_t>(2, by_hits.size()); ++i)
    top_lines.push_back("host=" + by_hits[i].second + " hits=" + std::to_string(by_hits[i].first));
  EXPECT_EQ(Lines(RunQuery(r.store, "* | top 2 by (host)")), top_lines);
}

TEST_P(PipesDifferential, SortThenLimitEqualsSortedPrefix) {
  Rand r;
  Generate(GetParam(), r);
  std::vector<std::pair<double, int>> numeric;
  for (const auto& row : r.rows) {
    const std::string v = Get(row, "v");
    if (!v.empty() && v != "text") numeric.push_back({std::stod(v), std::stoi(Get(row, "id"))});
  }
  std::stable_sort(numeric.begin(), numeric.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  auto got = RunQuery(r.store, "v:>-1000 | sort by (v desc) limit 10 | fields v");
  ASSERT_EQ(got.size(), 10u);
  for (size_t i = 0; i < 10; ++i) EXPECT_EQ(std::stod(std::string(FieldValue(got[i], "v"))), numeric[i].first);
}

TEST_P(PipesDifferential, StatsByTimeBucketsSumToTheTotal) {
  Rand r;
  Generate(GetParam(), r);
  uint64_t total = 0;
  std::map<int64_t, uint64_t> per_bucket;
  for (const auto& row : RunQuery(r.store, "* | stats by (_time:5m) count() c")) {
    auto t = ParseRfc3339Nano(FieldValue(row, "_time"));
    ASSERT_TRUE(t);
    EXPECT_EQ((*t - kBase) % (300 * kSec), 0);
    per_bucket[*t] = std::stoull(std::string(FieldValue(row, "c")));
    total += per_bucket[*t];
  }
  EXPECT_EQ(total, r.rows.size());
  EXPECT_EQ(per_bucket.size(), 12u);
}

INSTANTIATE_TEST_SUITE_P(Seeds, PipesDifferential, ::testing::Values(11u, 12u, 13u));

}  // namespace
}  // namespace vigil::logsql

namespace vigil::logsql {
namespace {

TEST(Pipes, SortWithLimitHoldsFewRowsAndKeepsStableOrder) {
  logstore::MemoryLogStore store;
  for (int i = 0; i < 20000; ++i)
    store.Add({kBase + i, {}, {{"_msg", "x"}, {"k", std::to_string(i % 7)}, {"i", std::to_string(i)}}});
  ExecuteOptions opts;
  opts.max_held_rows = 3000;  // a full sort would need 20000
  auto rows = test_util::RunQuery(store, "* | sort by (k desc) offset 2 limit 3 | fields k, i", opts);
  EXPECT_EQ(test_util::Lines(rows), (std::vector<std::string>{"k=6 i=20", "k=6 i=27", "k=6 i=34"}));
}

}  // namespace
}  // namespace vigil::logsql
