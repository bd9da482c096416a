#include "tsdb/postings.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <limits>
#include <random>
#include <set>
#include <vector>

namespace vigil::tsdb {
namespace {

template <typename T>
class PostingsTest : public ::testing::Test {
 protected:
  using List = std::vector<T>;

  // `n` distinct sorted values drawn from [base, base + range).
  List Random(size_t n, uint64_t range, uint64_t base = 0) {
    std::set<T> s;
    n = std::min<uint64_t>(n, range);
    while (s.size() < n) s.insert(static_cast<T>(base + rng_() % range));
    return List(s.begin(), s.end());
  }

  static List OracleIntersect(const List& a, const List& b) {
    List out;
    std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
    return out;
  }
  static List OracleUnion(const std::vector<List>& lists) {
    std::set<T> s;
    for (const auto& l : lists) s.insert(l.begin(), l.end());
    return List(s.begin(), s.end());
  }
  static List OracleSubtract(const List& a, const List& b) {
    List out;
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
    return out;
  }
  static std::vector<std::span<const T>> Spans(const std::vector<List>& lists) {
    return std::vector<std::span<const T>>(lists.begin(), lists.end());
  }

  std::mt19937_64 rng_{1234};
};

using ElementTypes = ::testing::Types<uint32_t, uint64_t>;
TYPED_TEST_SUITE(PostingsTest, ElementTypes);

// Size pairs that exercise linear merges and galloping in both directions.
const std::vector<std::pair<size_t, size_t>> kSizePairs = {
    {0, 0}, {0, 10}, {1, 1}, {1, 1000}, {5, 5000}, {100, 100}, {300, 600},
    {2000, 3}, {10000, 40}, {50, 50000}, {5000, 5000}};

TYPED_TEST(PostingsTest, IntersectMatchesStdSetIntersection) {
  for (auto [na, nb] : kSizePairs) {
    for (uint64_t range : {uint64_t{100}, uint64_t{100000}}) {
      const auto a = this->Random(na, range);
      const auto b = this->Random(nb, range);
      std::vector<TypeParam> out;
      IntersectPostings<TypeParam>(a, b, &out);
      EXPECT_EQ(out, this->OracleIntersect(a, b)) << na << "x" << nb << " range " << range;
      EXPECT_EQ(PostingsIntersect<TypeParam>(a, b), !out.empty());
    }
  }
}

TYPED_TEST(PostingsTest, SubtractMatchesStdSetDifference) {
  for (auto [na, nb] : kSizePairs) {
    for (uint64_t range : {uint64_t{100}, uint64_t{100000}}) {
      const auto a = this->Random(na, range);
      const auto b = this->Random(nb, range);
      std::vector<TypeParam> out;
      SubtractPostings<TypeParam>(a, b, &out);
      EXPECT_EQ(out, this->OracleSubtract(a, b)) << na << "-" << nb << " range " << range;
      SubtractPostings<TypeParam>(b, a, &out);
      EXPECT_EQ(out, this->OracleSubtract(b, a)) << nb << "-" << na << " range " << range;
    }
  }
}

TYPED_TEST(PostingsTest, SubtractWithDisjointRangesCopiesTheInput) {
  const auto a = this->Random(100, 1000);
  const auto b = this->Random(100, 1000, 5000);
  std::vector<TypeParam> out;
  SubtractPostings<TypeParam>(a, b, &out);
  EXPECT_EQ(out, a);
  SubtractPostings<TypeParam>(a, {}, &out);
  EXPECT_EQ(out, a);
  SubtractPostings<TypeParam>({}, a, &out);
  EXPECT_TRUE(out.empty());
}

TYPED_TEST(PostingsTest, UnionOfManyListsMatchesSetUnion) {
  // Dense ranges take the bitmap path, sparse ones the heap merge.
  for (size_t k : {0u, 1u, 2u, 3u, 10u, 200u}) {
    for (uint64_t range : {uint64_t{500}, uint64_t{50000000}}) {
      std::vector<std::vector<TypeParam>> lists;
      for (size_t i = 0; i < k; ++i) lists.push_back(this->Random(this->rng_() % 300, range));
      std::vector<TypeParam> out;
      const auto spans = this->Spans(lists);
      UnionPostings<TypeParam>(spans, &out);
      EXPECT_EQ(out, this->OracleUnion(lists)) << k << " lists, range " << range;
    }
  }
}

TYPED_TEST(PostingsTest, UnionSkipsEmptyListsAndKeepsDuplicatesOnce) {
  std::vector<std::vector<TypeParam>> lists = {{}, {1, 5, 9}, {}, {1, 5, 9}, {2}, {}};
  std::vector<TypeParam> out;
  UnionPostings<TypeParam>(this->Spans(lists), &out);
  EXPECT_EQ(out, (std::vector<TypeParam>{1, 2, 5, 9}));
}

TYPED_TEST(PostingsTest, UnionOfExtremeValuesDoesNotOverflowTheBitmapRange) {
  constexpr TypeParam kMax = std::numeric_limits<TypeParam>::max();
  std::vector<std::vector<TypeParam>> lists = {{0, kMax}, {1, kMax - 1}, {0, 2, kMax}};
  std::vector<TypeParam> out;
  UnionPostings<TypeParam>(this->Spans(lists), &out);
  EXPECT_EQ(out, (std::vector<TypeParam>{0, 1, 2, kMax - 1, kMax}));
}

TYPED_TEST(PostingsTest, IntersectManyMatchesRepeatedIntersection) {
  for (size_t k : {0u, 1u, 2u, 5u}) {
    std::vector<std::vector<TypeParam>> lists;
    for (size_t i = 0; i < k; ++i) lists.push_back(this->Random(50 + this->rng_() % 5000, 8000));
    std::vector<TypeParam> want = k ? lists[0] : std::vector<TypeParam>{};
    for (size_t i = 1; i < k; ++i) want = this->OracleIntersect(want, lists[i]);
    std::vector<TypeParam> out;
    IntersectManyPostings<TypeParam>(this->Spans(lists), &out);
    EXPECT_EQ(out, want) << k << " lists";
  }
}

TYPED_TEST(PostingsTest, ContainFindsPresentValuesOnly) {
  const auto a = this->Random(1000, 100000);
  for (TypeParam v : a) EXPECT_TRUE(PostingsContain<TypeParam>(a, v));
  const auto others = this->OracleSubtract(this->Random(1000, 100000), a);
  for (TypeParam v : others) EXPECT_FALSE(PostingsContain<TypeParam>(a, v));
  EXPECT_FALSE(PostingsContain<TypeParam>({}, 1));
}

TYPED_TEST(PostingsTest, RandomizedAgainstOracle) {
  for (int round = 0; round < 300; ++round) {
    const uint64_t range = 1 + this->rng_() % 20000;
    const auto a = this->Random(this->rng_() % 3000, range);
    const auto b = this->Random((this->rng_() % 4 == 0) ? this->rng_() % 20 : this->rng_() % 3000, range);
    std::vector<TypeParam> out;
    IntersectPostings<TypeParam>(a, b, &out);
    ASSERT_EQ(out, this->OracleIntersect(a, b));
    SubtractPostings<TypeParam>(a, b, &out);
    ASSERT_EQ(out, this->OracleSubtract(a, b));
    std::vector<std::vector<TypeParam>> lists = {a, b, this->Random(this->rng_() % 100, range)};
    UnionPostings<TypeParam>(this->Spans(lists), &out);
    ASSERT_EQ(out, this->OracleUnion(lists));
  }
}

}  // namespace
}  // namespace vigil::tsdb
