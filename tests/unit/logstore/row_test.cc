#include "logstore/row.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "logstore/memory_store.h"
#include "logstore/tokenizer.h"

namespace vigil::logstore {
namespace {

TEST(FormatStream, QuotesValuesLikeVictoriaLogs) {
  EXPECT_EQ(FormatStream({}), "{}");
  EXPECT_EQ(FormatStream({{"ins", "pg-1"}, {"job", "a\"b"}}), R"({ins="pg-1",job="a\"b"})");
}

TEST(StreamIdOf, IsStableAndSeparatesNameValueBoundaries) {
  EXPECT_EQ(StreamIdOf({{"a", "b"}}), StreamIdOf({{"a", "b"}}));
  EXPECT_NE(StreamIdOf({{"a", "bc"}}), StreamIdOf({{"ab", "c"}}));
  EXPECT_NE(StreamIdOf({}), StreamIdOf({{"a", "b"}}));
}

TEST(ForEachToken, SplitsOnNonWordBytesAndKeepsUtf8Inside) {
  std::vector<std::string> tokens;
  ForEachToken("GET /api/v1?x=42 héllo_w  ", [&](std::string_view t) { tokens.emplace_back(t); });
  EXPECT_EQ(tokens, (std::vector<std::string>{"GET", "api", "v1", "x", "42", "héllo_w"}));
}

TEST(MemoryLogStore, ScanGroupsPerStreamSortedByTimeAndSkipsOutOfRangeBlocks) {
  MemoryLogStore store;
  store.Add({30, {{"job", "a"}}, {{"_msg", "third"}}});
  store.Add({10, {{"job", "a"}}, {{"_msg", "first"}, {"level", "info"}, {"empty", ""}}});
  store.Add({20, {{"job", "b"}}, {{"_msg", "other"}}});
  EXPECT_EQ(store.size(), 3u);

  std::vector<std::string> seen;
  ScanRequest all;
  ASSERT_TRUE(store.Scan(all, [&](const BlockView& b) {
                     for (size_t i = 0; i < b.rows(); ++i) {
                       const ColumnView* msg = b.Find("_msg");
                       seen.push_back(std::string(b.stream) + " " + std::to_string(b.timestamps[i]) + " " +
                                      std::string(msg->values[i]));
                     }
                     EXPECT_EQ(b.Find("empty"), nullptr);
                     return true;
                   })
                  .ok());
  EXPECT_EQ(seen, (std::vector<std::string>{R"({job="a"} 10 first)", R"({job="a"} 30 third)", R"({job="b"} 20 other)"}));

  ScanRequest only_b;
  only_b.stream_matches = [](const StreamLabels& l) { return l[0].second == "b"; };
  size_t blocks = 0;
  ASSERT_TRUE(store.Scan(only_b, [&](const BlockView&) { return ++blocks > 0; }).ok());
  EXPECT_EQ(blocks, 1u);

  ScanRequest late;
  late.min_time_ns = 40;
  blocks = 0;
  ASSERT_TRUE(store.Scan(late, [&](const BlockView&) { return ++blocks > 0; }).ok());
  EXPECT_EQ(blocks, 0u);
}

}  // namespace
}  // namespace vigil::logstore
