#include "traces/span_query.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "ingest/span_row.h"
#include "logstore/log_store.h"
#include "logstore/memory_store.h"

namespace vigil::traces {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr int64_t kNow = 1'800'000'000'000'000'000;
constexpr int64_t kMs = 1'000'000;

std::string Id(int n, size_t bytes) {
  std::string s = std::to_string(n);
  return std::string(bytes * 2 - s.size(), '0') + s;
}

ingest::Span MakeSpan(int trace, int span, int parent, std::string name, int64_t start, int64_t duration_ms,
                      int kind = 2) {
  ingest::Span s;
  s.trace_id = Id(trace, 16);
  s.span_id = Id(span, 8);
  if (parent != 0) s.parent_span_id = Id(parent, 8);
  s.name = std::move(name);
  s.kind = kind;
  s.start_time_unix_nano = static_cast<uint64_t>(start);
  s.end_time_unix_nano = static_cast<uint64_t>(start + duration_ms * kMs);
  return s;
}

ingest::SpanOrigin Service(std::string name) {
  ingest::SpanOrigin o;
  o.resource_attributes = {{"service.name", std::move(name)}, {"env", "prod"}};
  return o;
}

// Two traces over three services; fills any store through `add`.
template <typename AddFn>
void AddFixture(AddFn add) {
  // trace 1: web/GET /cart -> db/query (client) and cache/get; error in db.
  auto web1 = MakeSpan(1, 11, 0, "GET /cart", kNow - 60000 * kMs, 500);
  auto db1 = MakeSpan(1, 12, 11, "query", kNow - 59900 * kMs, 300, 3);
  db1.status_code = 2;
  db1.attributes = {{"db.system", "postgresql"}};
  auto cache1 = MakeSpan(1, 13, 11, "get", kNow - 59950 * kMs, 5, 3);
  // trace 2, later: web only.
  auto web2 = MakeSpan(2, 21, 0, "GET /cart", kNow - 1000 * kMs, 50);
  auto web3 = MakeSpan(3, 31, 0, "POST /pay", kNow - 500 * kMs, 20);
  add(ingest::SpanToLogEntry(Service("web"), web1));
  add(ingest::SpanToLogEntry(Service("db"), db1));
  add(ingest::SpanToLogEntry(Service("cache"), cache1));
  add(ingest::SpanToLogEntry(Service("web"), web2));
  add(ingest::SpanToLogEntry(Service("web"), web3));
}

class SpanQueryTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam()) {
      dir_ = std::filesystem::temp_directory_path() /
             ("span_query_test_" + std::to_string(::getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
      std::filesystem::remove_all(dir_);
      logstore::LogStoreOptions o;
      o.dir = dir_.string();
      o.background = false;
      o.retention_ns = int64_t{1} << 62;
      auto s = logstore::LogStore::Open(o);
      ASSERT_TRUE(s.ok()) << s.status().message();
      disk_ = std::move(s.value());
      std::vector<logstore::LogEntry> rows;
      AddFixture([&](logstore::LogEntry e) { rows.push_back(std::move(e)); });
      ASSERT_TRUE(disk_->Add(std::move(rows)).ok());
      ASSERT_TRUE(disk_->Flush().ok());  // read back from a part, with bloom filters
      reader_ = disk_.get();
    } else {
      AddFixture([&](logstore::LogEntry e) { memory_.Add(std::move(e)); });
      reader_ = &memory_;
    }
  }
  void TearDown() override {
    disk_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  std::unique_ptr<logstore::LogStore> disk_;
  logstore::MemoryLogStore memory_;
  const logstore::LogReader* reader_ = nullptr;
};

TEST_P(SpanQueryTest, ServicesAndOperationsComeFromStreams) {
  SpanQuery q(reader_);
  EXPECT_THAT(*q.Services(INT64_MIN, INT64_MAX), ElementsAre("cache", "db", "web"));
  EXPECT_THAT(*q.OperationNames("web"), ElementsAre("GET /cart", "POST /pay"));
  EXPECT_THAT(*q.OperationNames("nope"), IsEmpty());
  EXPECT_THAT(*q.Operations("db", ""), ElementsAre(Operation{"query", "3"}));
  EXPECT_THAT(*q.Operations("web", "3"), IsEmpty());
}

TEST_P(SpanQueryTest, TraceByIdGathersSpansOfEveryServiceSortedByStart) {
  SpanQuery q(reader_);
  auto spans = q.Trace(Id(1, 16));
  ASSERT_TRUE(spans.ok());
  ASSERT_EQ(spans->size(), 3u);
  EXPECT_EQ((*spans)[0].Get("span_id"), Id(11, 8));
  EXPECT_EQ((*spans)[1].Get("span_id"), Id(13, 8));
  EXPECT_EQ((*spans)[2].Get("span_id"), Id(12, 8));
  EXPECT_EQ((*spans)[2].Get("resource_attr:service.name"), "db");
  EXPECT_EQ((*spans)[2].Get("span_attr:db.system"), "postgresql");
  EXPECT_THAT(*q.Trace(Id(99, 16)), IsEmpty());
  // A time range that excludes the trace.
  EXPECT_THAT(*q.Trace(Id(1, 16), kNow - 1000 * kMs, kNow), IsEmpty());
}

TEST_P(SpanQueryTest, SearchFiltersAndOrdersLatestFirst) {
  SpanQuery q(reader_);
  TraceSearch s;
  s.service = "web";
  EXPECT_THAT(*q.FindTraceIds(s), ElementsAre(Id(3, 16), Id(2, 16), Id(1, 16)));
  s.limit = 2;
  EXPECT_THAT(*q.FindTraceIds(s), ElementsAre(Id(3, 16), Id(2, 16)));
  s.limit = 20;
  s.operation = "GET /cart";
  EXPECT_THAT(*q.FindTraceIds(s), ElementsAre(Id(2, 16), Id(1, 16)));
  s.min_duration_ns = 100 * kMs;
  EXPECT_THAT(*q.FindTraceIds(s), ElementsAre(Id(1, 16)));
  s.min_duration_ns = 0;
  s.max_duration_ns = 100 * kMs;
  EXPECT_THAT(*q.FindTraceIds(s), ElementsAre(Id(2, 16)));
  s.max_duration_ns = 0;
  s.start_ns = kNow - 2000 * kMs;  // only trace 2 ends after this
  EXPECT_THAT(*q.FindTraceIds(s), ElementsAre(Id(2, 16)));

  TraceSearch db;
  db.service = "db";
  db.tags = {{"error", "true"}, {"db.system", "postgresql"}, {"span.kind", "client"}, {"env", "prod"}};
  EXPECT_THAT(*q.FindTraceIds(db), ElementsAre(Id(1, 16)));
  db.tags = {{"error", "false"}};
  EXPECT_THAT(*q.FindTraceIds(db), IsEmpty());
  db.tags = {{"db.system", "mysql"}};
  EXPECT_THAT(*q.FindTraceIds(db), IsEmpty());
}

TEST_P(SpanQueryTest, DependenciesCountCallsAcrossServicesOnly) {
  SpanQuery q(reader_);
  auto links = q.Dependencies(INT64_MIN, INT64_MAX);
  ASSERT_TRUE(links.ok());
  ASSERT_EQ(links->size(), 2u);
  EXPECT_EQ((*links)[0].parent, "web");
  EXPECT_EQ((*links)[0].child, "cache");
  EXPECT_EQ((*links)[1].child, "db");
  EXPECT_EQ((*links)[1].call_count, 1u);
}

INSTANTIATE_TEST_SUITE_P(MemoryAndDisk, SpanQueryTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Disk" : "Memory"; });

TEST(SpanKindTest, NamesAndNumbersRoundTrip) {
  EXPECT_EQ(SpanKindNumber("server"), "2");
  EXPECT_EQ(SpanKindName("2"), "server");
  EXPECT_EQ(SpanKindName("0"), "");
  EXPECT_EQ(SpanKindName("9"), "");
  EXPECT_EQ(SpanKindNumber("bogus"), "");
}

}  // namespace
}  // namespace vigil::traces
