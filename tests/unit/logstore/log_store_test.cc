#include "logstore/log_store.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "base/wal.h"
#include "logstore/bloom.h"
#include "logstore/entry_codec.h"
#include "logstore/part.h"

namespace vigil::logstore {
namespace {

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class LogStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("logstore_test_" + std::to_string(::getpid()) + "_" +
                                                      ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  LogStoreOptions Options() const {
    LogStoreOptions o;
    o.dir = dir_.string();
    o.background = false;
    return o;
  }

  static LogEntry Entry(int64_t t, const std::string& job, const std::string& msg, const std::string& level = "info") {
    return LogEntry{t, {{"job", job}}, {{"_msg", msg}, {"level", level}}};
  }

  // "stream|time|field=value,..." for every row a full scan returns, sorted.
  static std::multiset<std::string> Dump(const LogReader& r, ScanRequest req = {}) {
    std::multiset<std::string> out;
    EXPECT_TRUE(r.Scan(req, [&](const BlockView& b) {
                   for (size_t i = 0; i < b.rows(); ++i) {
                     std::string row = std::string(b.stream) + "|" + std::to_string(b.timestamps[i]);
                     std::set<std::string> fields;
                     for (const auto& c : b.columns)
                       if (!c.values[i].empty()) fields.insert(std::string(c.name) + "=" + std::string(c.values[i]));
                     for (const auto& f : fields) row += "|" + f;
                     out.insert(row);
                   }
                   return true;
                 })
                    .ok());
    return out;
  }

  std::filesystem::path dir_;
};

TEST_F(LogStoreTest, RowsReadTheSameFromHeadPartsAndAfterReopen) {
  const int64_t t0 = Now() - 1'000'000'000;
  std::multiset<std::string> expected;
  {
    auto store = LogStore::Open(Options());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    std::vector<LogEntry> batch;
    for (int i = 0; i < 20000; ++i)
      batch.push_back(Entry(t0 + i, i % 3 == 0 ? "pg" : "node", "line " + std::to_string(i) + " done",
                            i % 7 == 0 ? "error" : "info"));
    ASSERT_TRUE((*store)->Add(std::move(batch)).ok());
    expected = Dump(**store);
    EXPECT_EQ(expected.size(), 20000u);
    ASSERT_TRUE((*store)->Flush().ok());
    EXPECT_EQ(Dump(**store), expected);
    EXPECT_EQ((*store)->Stats().head_rows, 0u);
    EXPECT_EQ((*store)->Stats().part_rows, 20000u);
  }
  auto reopened = LogStore::Open(Options());
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(Dump(**reopened), expected);
}

TEST_F(LogStoreTest, AcknowledgedRowsSurviveKillWithoutFlush) {
  const int64_t t0 = Now();
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto store = LogStore::Open(Options());
    if (!store.ok()) ::_exit(1);
    for (int i = 0; i < 100; ++i)
      if (!(*store)->Add({Entry(t0 + i, "pg", "acked " + std::to_string(i))}).ok()) ::_exit(2);
    ::_exit(0);  // no Close, no flush: like kill -9 after the acknowledgements
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  auto store = LogStore::Open(Options());
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(Dump(**store).size(), 100u);
}

TEST_F(LogStoreTest, WalOfBothRecordVersionsReplaysAfterAnUpgrade) {
  const int64_t t0 = Now();
  {
    // A WAL left by a release that wrote version 1 records, then one record
    // of the current version: both replay, in order.
    auto wal = WalWriter::Open((dir_ / "wal").string(), WalOptions{});
    ASSERT_TRUE(wal.ok());
    std::string old_record;
    EncodeEntries({Entry(t0, "pg", "old format one"), Entry(t0 + 1, "node", "old format two", "warn")}, &old_record);
    ASSERT_TRUE((*wal)->Append(old_record).ok());
    RowBatch batch;
    batch.AddEntry(Entry(t0 + 2, "pg", "new format"));
    std::string new_record;
    EncodeRowBatch(batch, &new_record);
    ASSERT_TRUE((*wal)->Append(new_record).ok());
    ASSERT_TRUE((*wal)->Close().ok());
  }
  auto store = LogStore::Open(Options());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const std::multiset<std::string> expected = {
      "{job=\"node\"}|" + std::to_string(t0 + 1) + "|_msg=old format two|level=warn",
      "{job=\"pg\"}|" + std::to_string(t0) + "|_msg=old format one|level=info",
      "{job=\"pg\"}|" + std::to_string(t0 + 2) + "|_msg=new format|level=info",
  };
  EXPECT_EQ(Dump(**store), expected);
  ASSERT_TRUE((*store)->Flush().ok());
  EXPECT_EQ(Dump(**store), expected);
}

TEST_F(LogStoreTest, BloomFiltersSkipBlocksWithoutTheWordButNeverMatchingOnes) {
  const int64_t t0 = Now();
  auto store = LogStore::Open(Options());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Add({Entry(t0, "a", "common words here"), Entry(t0 + 1, "a", "rare needle here")}).ok());
  ASSERT_TRUE((*store)->Flush().ok());
  for (int j = 0; j < 20; ++j) {
    ASSERT_TRUE((*store)->Add({Entry(t0 + 10 + j, "s" + std::to_string(j), "common words only")}).ok());
  }
  ASSERT_TRUE((*store)->Flush().ok());
  ScanRequest req;
  req.required_tokens.push_back({"_msg", {"needle"}});
  size_t blocks = 0;
  bool found = false;
  ASSERT_TRUE((*store)->Scan(req, [&](const BlockView& b) {
                        ++blocks;
                        for (auto v : b.Find("_msg")->values) found |= v == "rare needle here";
                        return true;
                      })
                  .ok());
  EXPECT_TRUE(found);
  EXPECT_LE(blocks, 3u);  // of 21 blocks; the bloom false-positive rate is ~1%
  req.required_tokens = {{"missing_field", {"x"}}};
  blocks = 0;
  ASSERT_TRUE((*store)->Scan(req, [&](const BlockView&) { return ++blocks > 0; }).ok());
  EXPECT_EQ(blocks, 0u);
}

TEST_F(LogStoreTest, MergeKeepsEveryRowAndSurvivesLeftoverInputs) {
  auto o = Options();
  o.merge_min_parts = 3;
  const int64_t t0 = Now();
  std::multiset<std::string> expected;
  std::string input_path;
  std::string input_bytes;
  {
    auto store = LogStore::Open(o);
    ASSERT_TRUE(store.ok());
    for (int p = 0; p < 5; ++p) {
      ASSERT_TRUE((*store)->Add({Entry(t0 + p, "a", "m" + std::to_string(p)), Entry(t0 + p, "b", "x")}).ok());
      ASSERT_TRUE((*store)->Flush().ok());
    }
    expected = Dump(**store);
    EXPECT_EQ((*store)->Stats().parts, 5u);
    for (auto& e : std::filesystem::recursive_directory_iterator(dir_ / "partitions"))
      if (e.path().extension() == ".part") input_path = e.path();
    std::ifstream in(input_path, std::ios::binary);
    input_bytes.assign(std::istreambuf_iterator<char>(in), {});
    ASSERT_TRUE((*store)->Maintain(Now()).ok());
    EXPECT_EQ((*store)->Stats().parts, 1u);
    EXPECT_EQ((*store)->Stats().merges, 1u);
    EXPECT_EQ(Dump(**store), expected);
  }
  // A crash after writing the merged part but before deleting its inputs:
  // recreate one input; opening must not count its rows twice.
  ASSERT_FALSE(std::filesystem::exists(input_path));
  std::ofstream(input_path, std::ios::binary) << input_bytes;
  auto reopened = LogStore::Open(o);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(Dump(**reopened), expected);
  EXPECT_FALSE(std::filesystem::exists(input_path));
}

TEST_F(LogStoreTest, MergeOfInterleavedLargePartsKeepsTimeOrderAndSparseColumns) {
  auto o = Options();
  o.merge_min_parts = 3;
  const int64_t t0 = Now() - 1'000'000;
  std::multiset<std::string> expected;
  auto store = LogStore::Open(o);
  ASSERT_TRUE(store.ok());
  // Three parts whose times interleave (row i of part p at t0 + 3i + p), each
  // over two output blocks long; a field only part 1 has.
  const int rows = 9000;
  for (int p = 0; p < 3; ++p) {
    std::vector<LogEntry> batch;
    for (int i = 0; i < rows; ++i) {
      LogEntry e = Entry(t0 + 3 * i + p, "a", "m" + std::to_string(i));
      if (p == 1) e.fields.push_back({"only_p1", std::to_string(i)});
      batch.push_back(std::move(e));
    }
    ASSERT_TRUE((*store)->Add(batch).ok());
    ASSERT_TRUE((*store)->Flush().ok());
  }
  expected = Dump(**store);
  ASSERT_TRUE((*store)->Maintain(Now()).ok());
  EXPECT_EQ((*store)->Stats().parts, 1u);
  EXPECT_EQ(Dump(**store), expected);
  int64_t last = INT64_MIN;
  size_t blocks = 0;
  size_t with_p1 = 0;
  ASSERT_TRUE((*store)->Scan({}, [&](const BlockView& b) {
                       ++blocks;
                       EXPECT_LE(b.rows(), kMaxBlockRows);
                       for (size_t i = 0; i < b.rows(); ++i) {
                         EXPECT_GE(b.timestamps[i], last);
                         last = b.timestamps[i];
                         const ColumnView* c = b.Find("only_p1");
                         if (c != nullptr && !c->values[i].empty()) {
                           ++with_p1;
                           EXPECT_EQ((b.timestamps[i] - t0) % 3, 1);
                         }
                       }
                       return true;
                     })
                  .ok());
  EXPECT_EQ(blocks, (3u * rows + kMaxBlockRows - 1) / kMaxBlockRows);
  EXPECT_EQ(with_p1, size_t(rows));
}

TEST_F(LogStoreTest, MergeLeavesABigPartBiggerThanTwiceTheSmallOnesAlone) {
  auto o = Options();
  o.merge_min_parts = 8;
  const int64_t t0 = Now() - 1'000'000;
  auto store = LogStore::Open(o);
  ASSERT_TRUE(store.ok());
  // Over 16 MiB on disk (random, incompressible values), so the size rule applies.
  std::vector<LogEntry> big;
  std::mt19937_64 rng(1);
  for (int i = 0; i < 200000; ++i) {
    std::string noise(96, ' ');
    for (char& c : noise) c = static_cast<char>('!' + rng() % 90);
    big.push_back(Entry(t0 + i, "a", noise));
  }
  ASSERT_TRUE((*store)->Add(big).ok());
  ASSERT_TRUE((*store)->Flush().ok());
  for (int p = 0; p < 7; ++p) {
    ASSERT_TRUE((*store)->Add({Entry(t0 + p, "a", "small")}).ok());
    ASSERT_TRUE((*store)->Flush().ok());
  }
  const auto expected = Dump(**store);
  ASSERT_TRUE((*store)->Maintain(Now()).ok());
  EXPECT_EQ((*store)->Stats().merges, 1u);
  EXPECT_EQ((*store)->Stats().parts, 2u);  // the big part, and the 7 small ones merged
  EXPECT_EQ(Dump(**store), expected);
}

TEST_F(LogStoreTest, MergeOfSmallPartsIsNotBlockedByATinyOne) {
  auto o = Options();
  o.merge_min_parts = 8;
  const int64_t t0 = Now() - 1'000'000;
  auto store = LogStore::Open(o);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Add({Entry(t0, "a", "tiny")}).ok());
  ASSERT_TRUE((*store)->Flush().ok());
  for (int p = 0; p < 7; ++p) {
    std::vector<LogEntry> batch;
    for (int i = 0; i < 3000; ++i) batch.push_back(Entry(t0 + i, "a", "row " + std::to_string(p * 3000 + i)));
    ASSERT_TRUE((*store)->Add(batch).ok());
    ASSERT_TRUE((*store)->Flush().ok());
  }
  ASSERT_TRUE((*store)->Maintain(Now()).ok());
  EXPECT_EQ((*store)->Stats().parts, 1u);
}

TEST_F(LogStoreTest, PartBuilderDroppedBeforeFinishLeavesNoFile) {
  std::filesystem::create_directories(dir_);
  {
    PartBuilder builder((dir_ / "x.part").string(), 1);
    LogEntry e = Entry(1, "a", "m");
    RowBatch batch;
    batch.AddEntry(e);
    builder.AddStream(StreamRows{e.stream, {batch.row(0)}});
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir_));
}

TEST_F(LogStoreTest, RetentionDropsWholeOldPartitionsAndDiskBudgetTheOldestFirst) {
  auto o = Options();
  const int64_t now = Now();
  auto store = LogStore::Open(o);
  ASSERT_TRUE(store.ok());
  for (int d = 3; d >= 0; --d) ASSERT_TRUE((*store)->Add({Entry(now - d * kNanosPerDay, "a", "day " + std::to_string(d))}).ok());
  ASSERT_TRUE((*store)->Flush().ok());
  EXPECT_EQ((*store)->Stats().partitions, 4u);
  // Ten days later with a 15-day retention nothing goes; at 13 days the oldest does.
  ASSERT_TRUE((*store)->Maintain(now + 10 * kNanosPerDay).ok());
  EXPECT_EQ((*store)->Stats().partitions, 4u);
  ASSERT_TRUE((*store)->Maintain(now + 13 * kNanosPerDay).ok());
  EXPECT_EQ((*store)->Stats().partitions, 3u);
  const auto rows = Dump(**store);
  EXPECT_EQ(rows.size(), 3u);
  for (const auto& row : rows) EXPECT_EQ(row.find("day 3"), std::string::npos) << row;
}

TEST_F(LogStoreTest, DiskBudgetDropsOldestPartitionsButKeepsTheNewest) {
  auto o = Options();
  o.max_disk_bytes = 1;
  const int64_t now = Now();
  auto store = LogStore::Open(o);
  ASSERT_TRUE(store.ok());
  for (int d = 2; d >= 0; --d) ASSERT_TRUE((*store)->Add({Entry(now - d * kNanosPerDay, "a", "day " + std::to_string(d))}).ok());
  ASSERT_TRUE((*store)->Flush().ok());
  ASSERT_TRUE((*store)->Maintain(now).ok());
  auto rows = Dump(**store);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_NE(rows.begin()->find("day 0"), std::string::npos);
  EXPECT_EQ((*store)->Stats().partitions_dropped, 2u);
}

TEST_F(LogStoreTest, CorruptPartIsQuarantinedAndTheRestServed) {
  const int64_t now = Now();
  {
    auto store = LogStore::Open(Options());
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Add({Entry(now, "a", "kept")}).ok());
    ASSERT_TRUE((*store)->Flush().ok());
    ASSERT_TRUE((*store)->Add({Entry(now + 1, "a", "lost")}).ok());
    ASSERT_TRUE((*store)->Flush().ok());
  }
  std::vector<std::filesystem::path> parts;
  for (auto& e : std::filesystem::recursive_directory_iterator(dir_ / "partitions"))
    if (e.path().extension() == ".part") parts.push_back(e.path());
  std::sort(parts.begin(), parts.end());
  ASSERT_EQ(parts.size(), 2u);
  {
    std::fstream f(parts[1], std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-30, std::ios::end);
    f.write("garbage!", 8);
  }
  auto store = LogStore::Open(Options());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto rows = Dump(**store);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_NE(rows.begin()->find("kept"), std::string::npos);
  EXPECT_EQ((*store)->Stats().corrupt_parts, 1u);
  EXPECT_TRUE(std::filesystem::exists(parts[1].string() + ".corrupt"));
}

TEST(TokenBloom, HasNoFalseNegativesAndAboutOnePercentFalsePositives) {
  TokenBloomBuilder b;
  for (int i = 0; i < 10000; ++i) b.AddToken("tok" + std::to_string(i));
  const std::string bloom = b.Finish();
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(TokenBloomMayContain(bloom, "tok" + std::to_string(i)));
  int false_positives = 0;
  for (int i = 0; i < 100000; ++i) false_positives += TokenBloomMayContain(bloom, "other" + std::to_string(i));
  EXPECT_LT(false_positives, 2000);  // measured ~0.8%
  EXPECT_FALSE(TokenBloomMayContain("", "x"));
}

}  // namespace
}  // namespace vigil::logstore
