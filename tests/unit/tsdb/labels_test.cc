#include "tsdb/labels.h"

#include <gtest/gtest.h>

#include <bit>
#include <map>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace vigil::tsdb {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs ToPairs(const Labels& labels) {
  Pairs out;
  for (Label l : labels) out.emplace_back(std::string(l.name), std::string(l.value));
  return out;
}

Labels FromVector(const Pairs& pairs) {
  LabelsBuilder b;
  for (const auto& [n, v] : pairs) b.Set(n, v);
  return b.Build();
}

TEST(LabelsBuilderTest, SortsByNameWhateverTheInsertionOrder) {
  const Labels l = Labels::FromPairs({{"job", "node"}, {"__name__", "up"}, {"instance", "h:9100"}});
  EXPECT_EQ(ToPairs(l), (Pairs{{"__name__", "up"}, {"instance", "h:9100"}, {"job", "node"}}));
  EXPECT_EQ(l.size(), 3u);
}

TEST(LabelsBuilderTest, NameSetTwiceKeepsLastValue) {
  const Labels l = Labels::FromPairs({{"a", "1"}, {"b", "2"}, {"a", "3"}});
  EXPECT_EQ(ToPairs(l), (Pairs{{"a", "3"}, {"b", "2"}}));
}

TEST(LabelsBuilderTest, EmptyValueMeansAbsent) {
  const Labels l = Labels::FromPairs({{"a", ""}, {"b", "2"}});
  EXPECT_EQ(ToPairs(l), (Pairs{{"b", "2"}}));
  LabelsBuilder b(l);
  b.Set("b", "");
  EXPECT_TRUE(b.Build().empty());
}

TEST(LabelsBuilderTest, ResetDelAndGet) {
  LabelsBuilder b(Labels::FromPairs({{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(b.Get("a"), "1");
  b.Del("a").Set("c", "3");
  EXPECT_EQ(b.Get("a"), "");
  EXPECT_EQ(ToPairs(b.Build()), (Pairs{{"b", "2"}, {"c", "3"}}));
  // Build leaves the builder usable.
  EXPECT_EQ(ToPairs(b.Build()), (Pairs{{"b", "2"}, {"c", "3"}}));
  b.Reset();
  EXPECT_TRUE(b.Build().empty());
}

TEST(LabelsBuilderTest, ManyLabelsAndLongValuesRoundTrip) {
  Pairs pairs;
  for (int i = 0; i < 100; ++i) {
    pairs.emplace_back("n" + std::to_string(1000 + i), std::string(static_cast<size_t>(i) * 37 + 1, 'v'));
  }
  const Labels l = FromVector(pairs);
  EXPECT_EQ(ToPairs(l), pairs);  // names were generated already sorted
  EXPECT_EQ(l.Get("n1099"), std::string(99 * 37 + 1, 'v'));
}

TEST(LabelsTest, GetReturnsEmptyForAbsentLabel) {
  const Labels l = Labels::FromPairs({{"__name__", "up"}, {"job", "node"}});
  EXPECT_EQ(l.Get("job"), "node");
  EXPECT_EQ(l.Get("instance"), "");
  EXPECT_EQ(l.Get("zzz"), "");
  EXPECT_TRUE(l.Has("job"));
  EXPECT_FALSE(l.Has("instance"));
  EXPECT_EQ(l.MetricName(), "up");
  EXPECT_EQ(Labels().Get("a"), "");
}

TEST(LabelsTest, EqualityIgnoresConstructionOrder) {
  const Labels a = Labels::FromPairs({{"x", "1"}, {"y", "2"}});
  const Labels b = Labels::FromPairs({{"y", "2"}, {"x", "1"}});
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.Hash(), b.Hash());
  EXPECT_NE(a, Labels::FromPairs({{"x", "1"}, {"y", "3"}}));
}

TEST(LabelsTest, PrometheusOrderComparesPairByPair) {
  auto L = [](std::initializer_list<std::pair<std::string_view, std::string_view>> p) {
    return Labels::FromPairs(p);
  };
  EXPECT_LT(L({{"a", "1"}}), L({{"a", "2"}}));
  EXPECT_LT(L({{"a", "1"}}), L({{"a", "1"}, {"b", "1"}}));  // prefix first
  EXPECT_GT(L({{"a", "2"}}), L({{"a", "1"}, {"b", "1"}}));  // decided at the first pair
  EXPECT_GT(L({{"b", "1"}}), L({{"a", "9"}, {"c", "1"}}));  // names before values
  EXPECT_LT(Labels(), L({{"a", "1"}}));
  EXPECT_EQ(Labels::Compare(L({{"a", "1"}}), L({{"a", "1"}})), 0);
  // Bytes compare unsigned, as Go strings do.
  EXPECT_LT(L({{"a", "z"}}), L({{"a", "\xc3\xa9"}}));
}

TEST(LabelsTest, OrderMatchesLexicographicPairOrderOnRandomSets) {
  std::mt19937 rng(7);
  std::vector<Pairs> sets;
  for (int i = 0; i < 400; ++i) {
    std::map<std::string, std::string> m;
    const int n = static_cast<int>(rng() % 4);
    for (int j = 0; j < n; ++j) m[std::string(1, static_cast<char>('a' + rng() % 3))] = std::to_string(rng() % 3);
    sets.emplace_back(m.begin(), m.end());
  }
  for (const Pairs& x : sets) {
    for (size_t k = 0; k < 20; ++k) {
      const Pairs& y = sets[rng() % sets.size()];
      const int want = x < y ? -1 : (y < x ? 1 : 0);
      EXPECT_EQ(Labels::Compare(FromVector(x), FromVector(y)), want);
    }
  }
}

TEST(LabelsTest, ToStringPrintsMetricNameOutsideBraces) {
  EXPECT_EQ(Labels::FromPairs({{"__name__", "up"}, {"job", "node"}, {"instance", "h:9100"}}).ToString(),
            "up{instance=\"h:9100\", job=\"node\"}");
  EXPECT_EQ(Labels::FromPairs({{"__name__", "up"}}).ToString(), "up");
  EXPECT_EQ(Labels::FromPairs({{"a", "1"}}).ToString(), "{a=\"1\"}");
  EXPECT_EQ(Labels().ToString(), "{}");
}

TEST(LabelsTest, ToStringEscapesQuotesBackslashesAndControlBytes) {
  EXPECT_EQ(Labels::FromPairs({{"a", "x\"y\\z\n\t\x01"}}).ToString(), "{a=\"x\\\"y\\\\z\\n\\t\\x01\"}");
  EXPECT_EQ(Labels::FromPairs({{"a", "\xc3\xa9"}}).ToString(), "{a=\"\xc3\xa9\"}");
}

TEST(Hash64Test, PinnedValuesAreStable) {
  // Persisted hashes depend on these never changing.
  EXPECT_EQ(Hash64(""), Hash64(""));
  const uint64_t empty = Hash64("");
  const uint64_t abc = Hash64("abc");
  const uint64_t long_input = Hash64(std::string(100, 'x'));
  EXPECT_NE(empty, abc);
  EXPECT_NE(abc, Hash64("abc", 1));
  EXPECT_EQ(empty, 0xfcbbc32f63abccf8ull) << std::hex << empty;
  EXPECT_EQ(abc, 0xa0f59611c503f7eeull) << std::hex << abc;
  EXPECT_EQ(long_input, 0x4f9abb528342e4a3ull) << std::hex << long_input;
}

TEST(Hash64Test, EveryLengthAndPrefixHashesDifferently) {
  // Exercises all tail paths (0..3, 4..7, 8..16 bytes) and both loops.
  std::string s;
  std::unordered_set<uint64_t> seen;
  for (int i = 0; i < 300; ++i) {
    EXPECT_TRUE(seen.insert(Hash64(s)).second) << "length " << s.size();
    s.push_back(static_cast<char>('a' + i % 26));
  }
  std::string zeros(1, '\0');
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(seen.insert(Hash64(zeros)).second) << "zero bytes " << zeros.size();
    zeros.push_back('\0');
  }
}

TEST(Hash64Test, FlippingOneInputBitChangesAboutHalfTheOutput) {
  std::mt19937_64 rng(42);
  double total = 0;
  int trials = 0;
  for (size_t len : {1u, 3u, 7u, 8u, 15u, 16u, 17u, 31u, 33u, 64u, 100u}) {
    for (int t = 0; t < 100; ++t) {
      std::string s(len, '\0');
      for (char& c : s) c = static_cast<char>(rng());
      const uint64_t h = Hash64(s);
      const size_t bit = rng() % (len * 8);
      s[bit / 8] = static_cast<char>(s[bit / 8] ^ (1 << (bit % 8)));
      total += std::popcount(h ^ Hash64(s));
      ++trials;
    }
  }
  const double mean = total / trials;
  EXPECT_GT(mean, 30.0);
  EXPECT_LT(mean, 34.0);
}

TEST(Hash64Test, NoCollisionsAmongManyLabelSets) {
  std::unordered_set<uint64_t> seen;
  for (int i = 0; i < 200000; ++i) {
    const Labels l = Labels::FromPairs({{"__name__", "m" + std::to_string(i % 97)},
                                        {"instance", "host-" + std::to_string(i)}});
    seen.insert(l.Hash());
  }
  EXPECT_EQ(seen.size(), 200000u);
}

TEST(ValidationTest, LabelNames) {
  EXPECT_TRUE(IsValidLabelName("job"));
  EXPECT_TRUE(IsValidLabelName("_x9"));
  EXPECT_TRUE(IsValidLabelName("__name__"));
  EXPECT_FALSE(IsValidLabelName(""));
  EXPECT_FALSE(IsValidLabelName("9x"));
  EXPECT_FALSE(IsValidLabelName("a:b"));
  EXPECT_FALSE(IsValidLabelName("a-b"));
  EXPECT_FALSE(IsValidLabelName("\xc3\xa9"));
}

TEST(ValidationTest, MetricNamesAllowColons) {
  EXPECT_TRUE(IsValidMetricName("node_cpu_seconds_total"));
  EXPECT_TRUE(IsValidMetricName("job:rate5m:sum"));
  EXPECT_TRUE(IsValidMetricName(":x"));
  EXPECT_FALSE(IsValidMetricName(""));
  EXPECT_FALSE(IsValidMetricName("1x"));
  EXPECT_FALSE(IsValidMetricName("a.b"));
}

TEST(ValidationTest, Utf8RejectsOverlongSurrogatesAndTruncation) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xe2\x82\xac"));      // €
  EXPECT_TRUE(IsValidUtf8("\xf0\x9f\x98\x80"));  // 😀
  EXPECT_TRUE(IsValidUtf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));         // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));     // overlong, 3 bytes
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));     // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80")); // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));         // truncated
  EXPECT_FALSE(IsValidUtf8("\x80"));             // lone continuation
  EXPECT_FALSE(IsValidUtf8("\xff"));
}

TEST(ValidationTest, ValidateLabelsNamesTheOffender) {
  EXPECT_TRUE(ValidateLabels(Labels::FromPairs({{"__name__", "up"}, {"job", "x"}})).ok());
  Status s = ValidateLabels(Labels::FromPairs({{"__name__", "up"}, {"bad-name", "x"}}));
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("bad-name"), std::string::npos);
  s = ValidateLabels(Labels::FromPairs({{"__name__", "1up"}}));
  EXPECT_NE(s.message().find("metric name"), std::string::npos);
  s = ValidateLabels(Labels::FromPairs({{"a", "\xff"}}));
  EXPECT_NE(s.message().find("UTF-8"), std::string::npos);
}

TEST(SymbolTableTest, InternIsIdempotentAndViewsStayValid) {
  SymbolTable table;
  const uint32_t a = table.Intern("alpha");
  const std::string_view view = table.Lookup(a);
  std::vector<std::string> strings;
  for (int i = 0; i < 50000; ++i) strings.push_back("s" + std::to_string(i));
  for (const auto& s : strings) table.Intern(s);
  EXPECT_EQ(table.Intern("alpha"), a);
  EXPECT_EQ(table.Lookup(a).data(), view.data());  // bytes did not move
  EXPECT_EQ(table.size(), 50001u);
  for (const auto& s : strings) {
    const uint32_t id = table.Find(s);
    ASSERT_NE(id, SymbolTable::kNotFound);
    EXPECT_EQ(table.Lookup(id), s);
  }
  EXPECT_EQ(table.Find("missing"), SymbolTable::kNotFound);
  EXPECT_GT(table.MemoryBytes(), 0u);
}

TEST(SymbolTableTest, EmptyAndHugeStrings) {
  SymbolTable table;
  const std::string huge(1 << 20, 'h');
  const uint32_t e = table.Intern("");
  const uint32_t h = table.Intern(huge);
  EXPECT_EQ(table.Lookup(e), "");
  EXPECT_EQ(table.Lookup(h), huge);
  EXPECT_EQ(table.Intern(""), e);
  EXPECT_EQ(table.Find(huge), h);
}

TEST(HashSlotTableTest, MatchesMapOracleUnderCollisionsAndErases) {
  internal::HashSlotTable table;
  std::unordered_map<uint32_t, bool> present;  // key -> in table; index == key
  auto hash_of = [](uint32_t key) { return key % 13; };  // force long probe runs
  std::mt19937 rng(3);
  for (int op = 0; op < 20000; ++op) {
    const uint32_t key = rng() % 2000;
    const bool in = present[key];
    const uint32_t found = table.Find(hash_of(key), [&](uint32_t i) { return i == key; });
    ASSERT_EQ(found != internal::HashSlotTable::kNotFound, in) << "op " << op;
    if (rng() % 2 == 0) {
      if (!in) table.Insert(hash_of(key), key);
      present[key] = true;
    } else {
      EXPECT_EQ(table.Erase(hash_of(key), [&](uint32_t i) { return i == key; }), in);
      present[key] = false;
    }
  }
  size_t live = 0;
  for (const auto& [k, in] : present) live += in ? 1 : 0;
  EXPECT_EQ(table.size(), live);
}

}  // namespace
}  // namespace vigil::tsdb
