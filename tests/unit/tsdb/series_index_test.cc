#include "tsdb/series_index.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace vigil::tsdb {
namespace {

Matcher M(std::string_view name, MatchType type, std::string_view value) {
  auto m = Matcher::Make(type, name, value);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return *m;
}

constexpr MatchType kEq = MatchType::kEqual;
constexpr MatchType kNeq = MatchType::kNotEqual;
constexpr MatchType kRe = MatchType::kRegexMatch;
constexpr MatchType kNre = MatchType::kRegexNoMatch;

// Brute force, independent of Matcher's fast paths: RE2 anchored as
// Prometheus does, a missing label read as "".
class OracleMatcher {
 public:
  OracleMatcher(std::string name, MatchType type, const std::string& value)
      : name_(std::move(name)), type_(type), value_(value) {
    if (type == MatchType::kRegexMatch || type == MatchType::kRegexNoMatch) {
      RE2::Options options;
      options.set_log_errors(false);
      re_ = std::make_unique<RE2>("^(?:" + value + ")$", options);
    }
  }
  bool Matches(const Labels& labels) const {
    const std::string_view v = labels.Get(name_);
    switch (type_) {
      case MatchType::kEqual: return v == value_;
      case MatchType::kNotEqual: return v != value_;
      case MatchType::kRegexMatch: return RE2::PartialMatch(re2::StringPiece(v.data(), v.size()), *re_);
      case MatchType::kRegexNoMatch: return !RE2::PartialMatch(re2::StringPiece(v.data(), v.size()), *re_);
    }
    return false;
  }

 private:
  std::string name_;
  MatchType type_;
  std::string value_;
  std::unique_ptr<RE2> re_;
};

// A tiny index used by the example-based tests:
//   0 up{job="a", foo="bar"}   1 up{job="b", foo="baz"}   2 up{job="c"}
//   3 node{job="a", foo="x"}   4 node{job="b"}
class SeriesIndexExamplesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    index_.GetOrCreate(Labels::FromPairs({{"__name__", "up"}, {"job", "a"}, {"foo", "bar"}}));
    index_.GetOrCreate(Labels::FromPairs({{"__name__", "up"}, {"job", "b"}, {"foo", "baz"}}));
    index_.GetOrCreate(Labels::FromPairs({{"__name__", "up"}, {"job", "c"}}));
    index_.GetOrCreate(Labels::FromPairs({{"__name__", "node"}, {"job", "a"}, {"foo", "x"}}));
    index_.GetOrCreate(Labels::FromPairs({{"__name__", "node"}, {"job", "b"}}));
  }
  std::vector<SeriesRef> Select(std::vector<Matcher> ms) { return index_.Select(ms); }
  SeriesIndex index_;
};

using Refs = std::vector<SeriesRef>;

TEST_F(SeriesIndexExamplesTest, RefsAreDenseAndGetOrCreateIsIdempotent) {
  EXPECT_EQ(index_.NumSeries(), 5u);
  bool created = true;
  EXPECT_EQ(index_.GetOrCreate(Labels::FromPairs({{"job", "c"}, {"__name__", "up"}}), &created), 2u);
  EXPECT_FALSE(created);
  EXPECT_EQ(index_.GetOrCreate(Labels::FromPairs({{"__name__", "up"}, {"job", "d"}}), &created), 5u);
  EXPECT_TRUE(created);
  SeriesRef ref = 0;
  EXPECT_TRUE(index_.Find(Labels::FromPairs({{"__name__", "node"}, {"job", "b"}}), &ref));
  EXPECT_EQ(ref, 4u);
  EXPECT_FALSE(index_.Find(Labels::FromPairs({{"__name__", "node"}}), &ref));
}

TEST_F(SeriesIndexExamplesTest, GetLabelsRoundTrips) {
  Labels l;
  ASSERT_TRUE(index_.GetLabels(0, &l));
  EXPECT_EQ(l, Labels::FromPairs({{"__name__", "up"}, {"job", "a"}, {"foo", "bar"}}));
  EXPECT_FALSE(index_.GetLabels(99, &l));
}

TEST_F(SeriesIndexExamplesTest, EqualAndRegexIntersect) {
  EXPECT_EQ(Select({M("__name__", kEq, "up"), M("job", kEq, "a")}), (Refs{0}));
  EXPECT_EQ(Select({M("job", kRe, "a|b")}), (Refs{0, 1, 3, 4}));
  EXPECT_EQ(Select({M("__name__", kRe, "u.*"), M("foo", kRe, "ba.")}), (Refs{0, 1}));
  EXPECT_EQ(Select({M("__name__", kEq, "missing")}), (Refs{}));
}

TEST_F(SeriesIndexExamplesTest, EqualEmptySelectsSeriesWithoutTheLabel) {
  EXPECT_EQ(Select({M("foo", kEq, "")}), (Refs{2, 4}));
  EXPECT_EQ(Select({M("__name__", kEq, "up"), M("foo", kEq, "")}), (Refs{2}));
  // A label nobody has: every series lacks it.
  EXPECT_EQ(Select({M("nope", kEq, "")}), (Refs{0, 1, 2, 3, 4}));
}

TEST_F(SeriesIndexExamplesTest, NotEqualIncludesSeriesWithoutTheLabel) {
  EXPECT_EQ(Select({M("foo", kNeq, "bar")}), (Refs{1, 2, 3, 4}));
  EXPECT_EQ(Select({M("__name__", kEq, "up"), M("foo", kNeq, "bar")}), (Refs{1, 2}));
}

TEST_F(SeriesIndexExamplesTest, NotEqualEmptyRequiresTheLabel) {
  EXPECT_EQ(Select({M("foo", kNeq, "")}), (Refs{0, 1, 3}));
  EXPECT_EQ(Select({M("foo", kNre, "")}), (Refs{0, 1, 3}));
  EXPECT_EQ(Select({M("nope", kNeq, "")}), (Refs{}));
}

TEST_F(SeriesIndexExamplesTest, RegexMatchingEmptyAlsoSelectsMissingLabel) {
  EXPECT_EQ(Select({M("foo", kRe, "|x")}), (Refs{2, 3, 4}));
  EXPECT_EQ(Select({M("foo", kRe, ".*")}), (Refs{0, 1, 2, 3, 4}));
  EXPECT_EQ(Select({M("foo", kRe, ".+")}), (Refs{0, 1, 3}));
  EXPECT_EQ(Select({M("foo", kNre, "ba.")}), (Refs{2, 3, 4}));
  EXPECT_EQ(Select({M("foo", kNre, ".*")}), (Refs{}));
}

TEST_F(SeriesIndexExamplesTest, OnlyNegativeMatchersStartFromAllSeries) {
  EXPECT_EQ(Select({M("job", kNeq, "a"), M("foo", kNre, "baz")}), (Refs{2, 4}));
  EXPECT_EQ(Select({}), (Refs{0, 1, 2, 3, 4}));
}

TEST_F(SeriesIndexExamplesTest, LabelNamesAndValues) {
  EXPECT_EQ(index_.LabelNames(), (std::vector<std::string>{"__name__", "foo", "job"}));
  EXPECT_EQ(index_.LabelNames(std::vector<Matcher>{M("job", kEq, "c")}),
            (std::vector<std::string>{"__name__", "job"}));
  EXPECT_EQ(index_.LabelValues("job"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(index_.LabelValues("foo", std::vector<Matcher>{M("__name__", kEq, "up")}),
            (std::vector<std::string>{"bar", "baz"}));
  EXPECT_TRUE(index_.LabelValues("nope").empty());
  EXPECT_TRUE(index_.LabelValues("job", std::vector<Matcher>{M("job", kEq, "zzz")}).empty());
}

TEST_F(SeriesIndexExamplesTest, DeleteRemovesFromEveryList) {
  const SeriesRef doomed[] = {0, 3, 3, 77};
  EXPECT_EQ(index_.Delete(doomed), 2u);
  EXPECT_EQ(index_.NumSeries(), 3u);
  EXPECT_EQ(Select({M("job", kEq, "a")}), (Refs{}));
  EXPECT_EQ(Select({M("foo", kNeq, "")}), (Refs{1}));
  EXPECT_EQ(Select({}), (Refs{1, 2, 4}));
  EXPECT_EQ(index_.LabelValues("job"), (std::vector<std::string>{"b", "c"}));
  Labels l;
  EXPECT_FALSE(index_.GetLabels(0, &l));
  // Deleting again is a no-op; re-creating gets a fresh ref.
  EXPECT_EQ(index_.Delete(doomed), 0u);
  bool created = false;
  EXPECT_EQ(index_.GetOrCreate(Labels::FromPairs({{"__name__", "up"}, {"job", "a"}, {"foo", "bar"}}),
                               &created),
            5u);
  EXPECT_TRUE(created);
  EXPECT_EQ(Select({M("job", kEq, "a")}), (Refs{5}));
}

TEST_F(SeriesIndexExamplesTest, StatsRankByCountThenName) {
  const IndexStats stats = index_.Stats(2);
  EXPECT_EQ(stats.num_series, 5u);
  EXPECT_EQ(stats.num_label_pairs, 2u + 3u + 3u);  // 2 names, 3 jobs, 3 foos
  ASSERT_EQ(stats.series_count_by_metric_name.size(), 2u);
  EXPECT_EQ(stats.series_count_by_metric_name[0].name, "up");
  EXPECT_EQ(stats.series_count_by_metric_name[0].count, 3u);
  EXPECT_EQ(stats.series_count_by_metric_name[1].name, "node");
  ASSERT_EQ(stats.series_count_by_label_value_pair.size(), 2u);
  EXPECT_EQ(stats.series_count_by_label_value_pair[0].name, "__name__=up");
  EXPECT_EQ(stats.series_count_by_label_value_pair[1].name, "__name__=node");
  ASSERT_EQ(stats.series_count_by_label_name.size(), 2u);
  EXPECT_EQ(stats.series_count_by_label_name[0].name, "__name__");
  EXPECT_EQ(stats.series_count_by_label_name[0].count, 5u);
  EXPECT_EQ(stats.series_count_by_label_name[1].name, "job");
  ASSERT_EQ(stats.label_value_count_by_label_name.size(), 2u);
  EXPECT_EQ(stats.label_value_count_by_label_name[0].name, "foo");
  EXPECT_EQ(stats.label_value_count_by_label_name[0].count, 3u);
}

TEST(SeriesIndexTest, EmptyIndexAnswersEverythingEmpty) {
  SeriesIndex index;
  EXPECT_EQ(index.NumSeries(), 0u);
  EXPECT_TRUE(index.Select({}).empty());
  EXPECT_TRUE(index.Select(std::vector<Matcher>{M("a", kNeq, "x")}).empty());
  EXPECT_TRUE(index.LabelNames().empty());
  EXPECT_EQ(index.Stats(10).num_series, 0u);
}

TEST(SeriesIndexTest, SeriesWithNoLabelsIsAllowed) {
  SeriesIndex index;
  const SeriesRef ref = index.GetOrCreate(Labels());
  EXPECT_EQ(index.GetOrCreate(Labels()), ref);
  EXPECT_EQ(index.Select(std::vector<Matcher>{M("a", kEq, "")}), (Refs{ref}));
  Labels l = Labels::FromPairs({{"x", "y"}});
  ASSERT_TRUE(index.GetLabels(ref, &l));
  EXPECT_TRUE(l.empty());
}

// ---- oracle test ---------------------------------------------------------------

class RandomIndex {
 public:
  explicit RandomIndex(uint32_t seed) : rng_(seed) {}

  Labels RandomSeries() {
    static const char* kValues[] = {"x", "y", "xy", "foo", "foobar", "bar", "a.b", "1", "10",
                                    "\xc3\xa9", "x\ny", "FOO"};
    LabelsBuilder b;
    if (rng_() % 10 != 0) b.Set("__name__", "m" + std::to_string(rng_() % 10));
    for (const char* name : {"a", "b", "c", "d"}) {
      if (rng_() % 5 < 3) b.Set(name, kValues[rng_() % std::size(kValues)]);
    }
    // "e" is high-cardinality: most values belong to one series.
    if (rng_() % 2 == 0) b.Set("e", "v" + std::to_string(rng_() % 3000));
    return b.Build();
  }

  struct Spec {
    std::string name;
    MatchType type;
    std::string value;
  };

  std::vector<Spec> RandomMatchers() {
    static const char* kNames[] = {"__name__", "a", "b", "c", "d", "e", "zz"};
    static const char* kPatterns[] = {
        "", "x", "y", "foo", "m3", "v17", "x|y", "|x", "foo.*", ".*bar", ".*o.*", ".*", ".+",
        "x+", "[xy]+", "f(o)+.*", "(?i)FOO", "v1.*", "v[0-9]+", "m[0-4]", "m1|m2|m3", "a\\.b",
        "v1|v2|v3|v100", "x.y", "\xc3\xa9|1", ".*0", "v2.*|x"};
    static const MatchType kTypes[] = {kEq, kNeq, kRe, kNre};
    std::vector<Spec> specs;
    const size_t n = 1 + rng_() % 3;
    for (size_t i = 0; i < n; ++i) {
      specs.push_back(Spec{kNames[rng_() % std::size(kNames)], kTypes[rng_() % 4],
                           kPatterns[rng_() % std::size(kPatterns)]});
    }
    return specs;
  }

  std::mt19937 rng_;
};

void ExpectSelectEqualsOracle(const SeriesIndex& index, const std::map<SeriesRef, Labels>& live,
                              const std::vector<RandomIndex::Spec>& specs) {
  std::vector<Matcher> matchers;
  std::vector<std::unique_ptr<OracleMatcher>> oracles;
  std::string desc;
  for (const auto& s : specs) {
    matchers.push_back(M(s.name, s.type, s.value));
    oracles.push_back(std::make_unique<OracleMatcher>(s.name, s.type, s.value));
    desc += matchers.back().ToString() + " ";
  }
  Refs want;
  std::set<std::string> want_names;
  for (const auto& [ref, labels] : live) {
    bool all = true;
    for (const auto& o : oracles) all = all && o->Matches(labels);
    if (!all) continue;
    want.push_back(ref);
    for (Label l : labels) want_names.insert(std::string(l.name));
  }
  ASSERT_EQ(index.Select(matchers), want) << "{" << desc << "}";
  EXPECT_EQ(index.LabelNames(matchers), std::vector<std::string>(want_names.begin(), want_names.end()))
      << "{" << desc << "}";
  for (const char* name : {"a", "e"}) {
    std::set<std::string> values;
    for (SeriesRef ref : want) {
      const std::string_view v = live.at(ref).Get(name);
      if (!v.empty()) values.insert(std::string(v));
    }
    EXPECT_EQ(index.LabelValues(name, matchers), std::vector<std::string>(values.begin(), values.end()))
        << name << " {" << desc << "}";
  }
}

TEST(SeriesIndexOracleTest, SelectEqualsBruteForceOnRandomSeriesAndMatchers) {
  RandomIndex gen(2024);
  SeriesIndex index;
  std::map<SeriesRef, Labels> live;
  std::map<Labels, SeriesRef> by_labels;
  for (int i = 0; i < 3000; ++i) {
    const Labels l = gen.RandomSeries();
    const SeriesRef ref = index.GetOrCreate(l);
    auto [it, inserted] = by_labels.emplace(l, ref);
    ASSERT_EQ(it->second, ref) << "same labels must give the same ref";
    live[ref] = l;
  }
  ASSERT_EQ(index.NumSeries(), live.size());
  for (int q = 0; q < 700; ++q) ExpectSelectEqualsOracle(index, live, gen.RandomMatchers());

  // Delete a fifth of the series, re-create a few, and check again.
  std::vector<SeriesRef> doomed;
  for (const auto& [ref, labels] : live) {
    if (gen.rng_() % 5 == 0) doomed.push_back(ref);
  }
  EXPECT_EQ(index.Delete(doomed), doomed.size());
  for (size_t i = 0; i < doomed.size(); ++i) {
    if (i % 3 == 0) {
      const SeriesRef fresh = index.GetOrCreate(live[doomed[i]]);
      EXPECT_GT(fresh, doomed[i]);
      live[fresh] = live[doomed[i]];
    }
    live.erase(doomed[i]);
  }
  ASSERT_EQ(index.NumSeries(), live.size());
  for (int q = 0; q < 700; ++q) ExpectSelectEqualsOracle(index, live, gen.RandomMatchers());
}

TEST(SeriesIndexOracleTest, StatsCountsEqualBruteForce) {
  RandomIndex gen(5);
  SeriesIndex index;
  std::map<std::string, uint64_t> by_name, by_metric;
  std::set<Labels> seen;
  for (int i = 0; i < 2000; ++i) {
    const Labels l = gen.RandomSeries();
    index.GetOrCreate(l);
    if (!seen.insert(l).second) continue;
    for (Label x : l) ++by_name[std::string(x.name)];
    if (!l.MetricName().empty()) ++by_metric[std::string(l.MetricName())];
  }
  const IndexStats stats = index.Stats(1000);
  EXPECT_EQ(stats.num_series, seen.size());
  ASSERT_EQ(stats.series_count_by_label_name.size(), by_name.size());
  for (const auto& e : stats.series_count_by_label_name) EXPECT_EQ(e.count, by_name[e.name]) << e.name;
  ASSERT_EQ(stats.series_count_by_metric_name.size(), by_metric.size());
  for (const auto& e : stats.series_count_by_metric_name) EXPECT_EQ(e.count, by_metric[e.name]) << e.name;
  for (size_t i = 1; i < stats.series_count_by_label_value_pair.size(); ++i) {
    EXPECT_GE(stats.series_count_by_label_value_pair[i - 1].count, stats.series_count_by_label_value_pair[i].count);
  }
}

// ---- memory ---------------------------------------------------------------------

TEST(SeriesIndexTest, NodeExporterLikeSeriesStayCompact) {
  SeriesIndex index;
  for (int host = 0; host < 100; ++host) {
    for (int metric = 0; metric < 20; ++metric) {
      for (int cpu = 0; cpu < 5; ++cpu) {
        index.GetOrCreate(Labels::FromPairs({{"__name__", "node_metric_" + std::to_string(metric)},
                                             {"instance", "10.0.0." + std::to_string(host) + ":9100"},
                                             {"job", "node"},
                                             {"cpu", std::to_string(cpu)}}));
      }
    }
  }
  ASSERT_EQ(index.NumSeries(), 10000u);
  const double per_series = static_cast<double>(index.MemoryBytes()) / 10000.0;
  EXPECT_LT(per_series, 160.0) << per_series << " bytes/series";
  RecordProperty("bytes_per_series", std::to_string(per_series));
}

// ---- concurrency ------------------------------------------------------------------

TEST(SeriesIndexConcurrencyTest, WritersAndReadersRaceSafely) {
  SeriesIndex index;
  constexpr int kWriters = 4;
  constexpr int kPerWriter = 3000;
  constexpr int kDistinct = 6000;  // writers overlap on purpose
  auto labels_for = [](int i) {
    return Labels::FromPairs({{"__name__", "m" + std::to_string(i % 7)},
                              {"instance", "h" + std::to_string(i)},
                              {"job", i % 2 ? "odd" : "even"}});
  };
  std::vector<std::vector<SeriesRef>> refs(kWriters, std::vector<SeriesRef>(kDistinct, UINT32_MAX));
  std::atomic<bool> done{false};
  std::atomic<int> reader_errors{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int k = 0; k < kPerWriter; ++k) {
        const int i = (k * 2 + w * 1500) % kDistinct;
        refs[w][i] = index.GetOrCreate(labels_for(i));
      }
    });
  }
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&] {
      const std::vector<Matcher> ms = {M("__name__", kRe, "m1|m3"), M("job", kNeq, "odd"),
                                       M("instance", kRe, "h1.*")};
      while (!done.load()) {
        const Refs got = index.Select(ms);
        if (!std::is_sorted(got.begin(), got.end())) reader_errors++;
        for (SeriesRef ref : got) {
          Labels l;
          if (!index.GetLabels(ref, &l) || l.Get("job") != "even" || l.Get("instance")[1] != '1') {
            reader_errors++;
          }
        }
        index.LabelValues("job");
      }
    });
  }
  for (int w = 0; w < kWriters; ++w) threads[w].join();
  done = true;
  for (size_t t = kWriters; t < threads.size(); ++t) threads[t].join();
  EXPECT_EQ(reader_errors.load(), 0);
  // Every label set got exactly one ref, whichever thread created it.
  std::set<SeriesRef> distinct;
  for (int i = 0; i < kDistinct; ++i) {
    SeriesRef seen = UINT32_MAX;
    for (int w = 0; w < kWriters; ++w) {
      if (refs[w][i] == UINT32_MAX) continue;
      if (seen != UINT32_MAX) {
        EXPECT_EQ(refs[w][i], seen) << i;
      }
      seen = refs[w][i];
    }
    if (seen != UINT32_MAX) distinct.insert(seen);
  }
  EXPECT_EQ(index.NumSeries(), distinct.size());
}

}  // namespace
}  // namespace vigil::tsdb
