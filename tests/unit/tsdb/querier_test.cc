#include "tsdb/querier.h"

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tsdb/head.h"

namespace vigil::tsdb {
namespace {

class QuerierTest : public ::testing::Test {
 protected:
  void Add(std::initializer_list<std::pair<std::string_view, std::string_view>> labels,
           std::vector<Sample> samples) {
    SeriesRef ref = head_.GetOrCreate(Labels::FromPairs(labels), nullptr);
    head_.Append(ref, samples);
  }

  void SetUp() override {
    Add({{"__name__", "up"}, {"job", "node"}, {"instance", "a"}}, {{100, 1}, {200, 1}, {300, 0}});
    Add({{"__name__", "up"}, {"job", "node"}, {"instance", "b"}}, {{150, 1}});
    Add({{"__name__", "up"}, {"job", "pg"}}, {{500, 1}});
    Add({{"__name__", "cpu"}, {"mode", "idle"}}, {{100, 5}, {400, 6}});
    Add({{"__name__", "cpu"}, {"mode", "user"}, {"extra", "x"}}, {{250, 7}});
  }

  // Labels (as strings) of every series Select returns, in order.
  std::vector<std::string> SelectNames(int64_t mint, int64_t maxt, std::vector<Matcher> ms,
                                       int64_t dedup = 0) {
    auto q = NewHeadQuerier(&head_, mint, maxt, dedup);
    auto set = q->Select(ms);
    std::vector<std::string> out;
    while (set->Next()) out.push_back(set->labels().ToString());
    EXPECT_TRUE(set->status().ok());
    return out;
  }

  static Matcher M(MatchType t, std::string_view n, std::string_view v) {
    auto m = Matcher::Make(t, n, v);
    EXPECT_TRUE(m.ok());
    return m.value();
  }

  Head head_;
};

TEST_F(QuerierTest, SelectReturnsSeriesSortedByLabels) {
  EXPECT_EQ(SelectNames(0, 1000, {Matcher::Equal("__name__", "up")}),
            (std::vector<std::string>{R"(up{instance="a", job="node"})", R"(up{instance="b", job="node"})",
                                      R"(up{job="pg"})"}));
  EXPECT_EQ(SelectNames(0, 1000, {}).size(), 5u);  // no matcher: every series
}

TEST_F(QuerierTest, SelectSkipsSeriesWithoutSamplesInRange) {
  EXPECT_EQ(SelectNames(160, 450, {Matcher::Equal("__name__", "up")}),
            (std::vector<std::string>{R"(up{instance="a", job="node"})"}));
  EXPECT_EQ(SelectNames(101, 149, {}), std::vector<std::string>{});  // range between samples
  EXPECT_EQ(SelectNames(500, 100, {}), std::vector<std::string>{});  // mint > maxt
}

TEST_F(QuerierTest, RegexAndNegativeMatchers) {
  EXPECT_EQ(SelectNames(0, 1000, {M(MatchType::kRegexMatch, "job", "no.*")}).size(), 2u);
  EXPECT_EQ(SelectNames(0, 1000, {M(MatchType::kRegexMatch, "job", "no")}).size(), 0u);  // fully anchored
  EXPECT_EQ(SelectNames(0, 1000, {Matcher::Equal("__name__", "up"), M(MatchType::kRegexNoMatch, "job", "node")}),
            (std::vector<std::string>{R"(up{job="pg"})"}));
  EXPECT_EQ(SelectNames(0, 1000, {Matcher::NotEqual("instance", "a"), Matcher::Equal("__name__", "up")}).size(), 2u);
}

TEST_F(QuerierTest, EmptyMatchingMatchersSelectSeriesWithoutTheLabel) {
  EXPECT_EQ(SelectNames(0, 1000, {Matcher::Equal("__name__", "cpu"), Matcher::Equal("extra", "")}),
            (std::vector<std::string>{R"(cpu{mode="idle"})"}));
  EXPECT_EQ(SelectNames(0, 1000, {Matcher::Equal("__name__", "up"), M(MatchType::kRegexMatch, "instance", "a|")}),
            (std::vector<std::string>{R"(up{instance="a", job="node"})", R"(up{job="pg"})"}));
}

TEST_F(QuerierTest, SamplesAreClippedToTheRangeAndSeekable) {
  auto q = NewHeadQuerier(&head_, 150, 300, 0);
  auto set = q->Select({Matcher::Equal("instance", "a")});
  ASSERT_TRUE(set->Next());
  auto it = set->Samples();
  EXPECT_FALSE(set->Next());
  // The iterator owns its samples: still valid after the set moved on.
  ASSERT_TRUE(it->Next());
  EXPECT_EQ(it->t(), 200);
  ASSERT_TRUE(it->Seek(100));  // never moves backward
  EXPECT_EQ(it->t(), 200);
  ASSERT_TRUE(it->Seek(250));
  EXPECT_EQ(it->t(), 300);
  EXPECT_EQ(it->v(), 0);
  EXPECT_FALSE(it->Next());
  EXPECT_FALSE(it->Seek(1000));
}

TEST_F(QuerierTest, SeekBeforeFirstNextStartsAtTheBeginning) {
  auto q = NewHeadQuerier(&head_, 0, 1000, 0);
  auto set = q->Select({Matcher::Equal("instance", "a")});
  ASSERT_TRUE(set->Next());
  auto it = set->Samples();
  ASSERT_TRUE(it->Seek(0));
  EXPECT_EQ(it->t(), 100);
  ASSERT_TRUE(it->Next());
  EXPECT_EQ(it->t(), 200);
}

TEST_F(QuerierTest, LabelNamesAndValuesRespectTheTimeRange) {
  auto all = NewHeadQuerier(&head_, 0, 1000, 0);
  EXPECT_EQ(all->LabelNames({}), (std::vector<std::string>{"__name__", "extra", "instance", "job", "mode"}));
  EXPECT_EQ(all->LabelValues("job", {}), (std::vector<std::string>{"node", "pg"}));
  EXPECT_EQ(all->LabelValues("__name__", {Matcher::Equal("job", "pg")}), (std::vector<std::string>{"up"}));
  auto late = NewHeadQuerier(&head_, 450, 1000, 0);
  EXPECT_EQ(late->LabelNames({}), (std::vector<std::string>{"__name__", "job"}));
  EXPECT_EQ(late->LabelValues("job", {}), (std::vector<std::string>{"pg"}));
  EXPECT_EQ(late->LabelValues("nope", {}), std::vector<std::string>{});
}

TEST_F(QuerierTest, DedupIntervalKeepsOneSamplePerWindow) {
  auto q = NewHeadQuerier(&head_, 0, 1000, 1000);
  auto set = q->Select({Matcher::Equal("instance", "a")});
  ASSERT_TRUE(set->Next());
  auto it = set->Samples();
  ASSERT_TRUE(it->Next());
  EXPECT_EQ(it->t(), 300);  // the newest of (0, 1000]
  EXPECT_FALSE(it->Next());
}

TEST_F(QuerierTest, DeletedSeriesDisappearFromAnOpenSet) {
  auto q = NewHeadQuerier(&head_, 0, 1000, 0);
  auto set = q->Select({Matcher::Equal("__name__", "up")});
  ASSERT_TRUE(set->Next());
  SeriesRef ref = 0;
  ASSERT_TRUE(head_.Find(Labels::FromPairs({{"__name__", "up"}, {"job", "node"}, {"instance", "b"}}), &ref));
  head_.Delete(std::vector<SeriesRef>{ref});
  ASSERT_TRUE(set->Next());
  EXPECT_EQ(set->labels().ToString(), R"(up{job="pg"})");
  EXPECT_FALSE(set->Next());
}

}  // namespace
}  // namespace vigil::tsdb
