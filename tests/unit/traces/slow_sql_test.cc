#include "traces/slow_sql.h"

#include <gtest/gtest.h>

#include <map>

#include "logstore/memory_store.h"

namespace vigil::traces {
namespace {

TEST(SlowSqlParseTest, StatementAndExecuteLinesParseOtherStepsDoNot) {
  double ms = 0;
  std::string_view sql;
  ASSERT_TRUE(ParseSlowQueryMessage("LOG:  duration: 1001.234 ms  statement: select pg_sleep(1)", &ms, &sql));
  EXPECT_DOUBLE_EQ(ms, 1001.234);
  EXPECT_EQ(sql, "select pg_sleep(1)");
  ASSERT_TRUE(ParseSlowQueryMessage("duration: 2 ms  execute <unnamed>: SELECT $1 ", &ms, &sql));
  EXPECT_EQ(sql, "SELECT $1");
  EXPECT_FALSE(ParseSlowQueryMessage("duration: 0.1 ms  parse <unnamed>: SELECT 1", &ms, &sql));
  EXPECT_FALSE(ParseSlowQueryMessage("duration: 0.1 ms", &ms, &sql));
  EXPECT_FALSE(ParseSlowQueryMessage("duration: fast ms  statement: x", &ms, &sql));
  EXPECT_FALSE(ParseSlowQueryMessage("checkpoint complete", &ms, &sql));
}

TEST(SlowSqlNormalizeTest, LiteralsBecomePlaceholdersIdentifiersStay) {
  EXPECT_EQ(NormalizeStatement("select pg_sleep(1.5)"), "select pg_sleep(?)");
  EXPECT_EQ(NormalizeStatement("SELECT * FROM t1 WHERE a = 'it''s'  AND b IN (1, 2)\n  AND c = $3;"),
            "SELECT * FROM t1 WHERE a = ? AND b IN (?, ?) AND c = ?");
  EXPECT_EQ(NormalizeStatement(R"(select "Col 1" from x where y = -5)"), R"(select "Col 1" from x where y = -?)");
  EXPECT_EQ(NormalizeStatement("select 'unterminated"), "select ?");
  EXPECT_EQ(NormalizeStatement(std::string(500, 'a'), 10), std::string(10, 'a'));
  // Cut at a UTF-8 boundary.
  EXPECT_EQ(NormalizeStatement("ab\xC3\xA9", 3), "ab");
}

logstore::LogEntry PgLine(int64_t t, std::string msg, std::string ins = "pg-1") {
  logstore::LogEntry e;
  e.time_ns = t;
  e.stream = {{"ins", ins}};
  e.fields = {{"_msg", std::move(msg)}, {"user", "dbuser_app"}, {"db", "meta"}};
  return e;
}

std::map<std::string, std::string> FieldsOf(const logstore::LogEntry& e) {
  std::map<std::string, std::string> m;
  for (const auto& f : e.fields) m[f.name] = f.value;
  return m;
}

constexpr int64_t kNow = 1'800'000'000'000'000'000;
constexpr int64_t kSec = 1'000'000'000;

TEST(SlowSqlScannerTest, DurationLinesBecomeSpansOnceIncludingLateArrivals) {
  logstore::MemoryLogStore logs;
  logs.Add(PgLine(kNow - 10 * kSec, "duration: 250.5 ms  statement: SELECT pg_sleep(0.25)"));
  logs.Add(PgLine(kNow - 9 * kSec, "connection authorized: user=x"));
  SlowSqlScanner scanner("");
  std::vector<logstore::LogEntry> spans;
  ASSERT_EQ(*scanner.Poll(logs, kNow, &spans), 1u);
  auto f = FieldsOf(spans[0]);
  EXPECT_EQ(f["resource_attr:service.name"], "postgres/pg-1");
  EXPECT_EQ(f["name"], "SELECT pg_sleep(?)");
  EXPECT_EQ(f["duration"], "250500000");
  EXPECT_EQ(f["end_time_unix_nano"], std::to_string(kNow - 10 * kSec));
  EXPECT_EQ(f["span_attr:db.statement"], "SELECT pg_sleep(0.25)");
  EXPECT_EQ(f["span_attr:db.user"], "dbuser_app");
  EXPECT_EQ(f["span_attr:db.name"], "meta");
  EXPECT_EQ(f["trace_id"].size(), 32u);

  // Nothing new: nothing emitted again.
  spans.clear();
  EXPECT_EQ(*scanner.Poll(logs, kNow + kSec, &spans), 0u);
  // A row arriving late (older than the watermark) is still picked up, once.
  logs.Add(PgLine(kNow - 20 * kSec, "duration: 1 ms  statement: select 1", "pg-2"));
  EXPECT_EQ(*scanner.Poll(logs, kNow + 2 * kSec, &spans), 1u);
  EXPECT_EQ(FieldsOf(spans[0])["resource_attr:service.name"], "postgres/pg-2");
  EXPECT_EQ(*scanner.Poll(logs, kNow + 3 * kSec, &spans), 0u);
}

TEST(SlowSqlScannerTest, WatermarkFileStopsARestartFromReadingRowsAgain) {
  const std::string path = ::testing::TempDir() + "/slow_sql_watermark_test";
  std::remove(path.c_str());
  logstore::MemoryLogStore logs;
  logs.Add(PgLine(kNow - 5 * kSec, "duration: 3 ms  statement: select 2"));
  std::vector<logstore::LogEntry> spans;
  {
    SlowSqlScanner first(path);
    ASSERT_EQ(*first.Poll(logs, kNow, &spans), 1u);
  }
  logs.Add(PgLine(kNow + kSec, "duration: 4 ms  statement: select 3"));
  SlowSqlScanner second(path);
  spans.clear();
  ASSERT_EQ(*second.Poll(logs, kNow + 2 * kSec, &spans), 1u);
  EXPECT_EQ(FieldsOf(spans[0])["span_attr:db.statement"], "select 3");
  std::remove(path.c_str());
}

TEST(SlowSqlScannerTest, CsvLineShippedWholeGivesTheUnquotedStatement) {
  logstore::MemoryLogStore logs;
  logs.Add(PgLine(kNow - kSec,
                  R"(2026-01-01 00:00:00.000 UTC,"u","d",1,"127.0.0.1:5",x,1,"SELECT",t,3/4,0,LOG,00000,"duration: 7.5 ms  statement: select ""a"" from t",,,,,,,,,"psql","client backend",,0)"));
  SlowSqlScanner scanner("");
  std::vector<logstore::LogEntry> spans;
  ASSERT_EQ(*scanner.Poll(logs, kNow, &spans), 1u);
  EXPECT_EQ(FieldsOf(spans[0])["span_attr:db.statement"], R"(select "a" from t)");
}

}  // namespace
}  // namespace vigil::traces
