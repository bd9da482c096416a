#include "alertmanager/model.h"

#include <gtest/gtest.h>

namespace vigil::alertmanager {
namespace {

TEST(ModelTest, FingerprintEqualsAlertmanagers) {
  // Value printed by Debian's prometheus-alertmanager 0.25 for this label set.
  EXPECT_EQ(FingerprintHex(Fingerprint({{"alertname", "Test"}, {"severity", "warn"}})), "5fd27673e8aca055");
  EXPECT_NE(Fingerprint({{"a", "bc"}}), Fingerprint({{"ab", "c"}}));
}

TEST(ModelTest, TimeRoundTripsAndZeroIsGoZeroTime) {
  EXPECT_EQ(FormatTime(0), "0001-01-01T00:00:00Z");
  EXPECT_EQ(*ParseTime("0001-01-01T00:00:00Z"), 0);
  EXPECT_EQ(FormatTime(1681128000123), "2023-04-10T12:00:00.123Z");
  EXPECT_EQ(*ParseTime("2023-04-10T12:00:00.123Z"), 1681128000123);
  EXPECT_EQ(*ParseTime("2023-04-10T14:00:00.123456789+02:00"), 1681128000123);
  EXPECT_EQ(*ParseTime("2023-04-10T12:00:00Z"), 1681128000000);
}

TEST(ModelTest, ParseTimeRejectsMalformed) {
  for (const char* s : {"", "2023-04-10", "2023-04-10T12:00:00", "2023-13-10T12:00:00Z", "2023-04-10T12:00:00.Z",
                        "2023-04-10T12:00:00Zjunk", "2023-04-10T12:00:00+0200"}) {
    EXPECT_FALSE(ParseTime(s).ok()) << s;
  }
}

TEST(ModelTest, MergeKeepsEarliestStartAndExplicitEndOverTimeout) {
  int64_t now = NowMs();
  Alert old;
  old.starts_at = now - 60'000;
  old.ends_at = now + 600'000;
  old.updated_at = now - 1000;
  Alert upd;
  upd.starts_at = now - 10'000;
  upd.ends_at = now + 300'000;
  upd.updated_at = now;
  upd.timeout = true;
  Alert m = MergeAlerts(old, upd);
  EXPECT_EQ(m.starts_at, old.starts_at);
  EXPECT_EQ(m.ends_at, old.ends_at);  // old end was explicit and later
  // A resolving update wins over a later timeout end.
  Alert resolved = upd;
  resolved.ends_at = now - 1;
  resolved.timeout = false;
  m = MergeAlerts(old, resolved);
  EXPECT_EQ(m.ends_at, now - 1);
}

TEST(ModelTest, LabelSetStringIsGoStyle) {
  EXPECT_EQ(LabelSetString({{"b", "x\"y"}, {"a", "1"}}), "{a=\"1\", b=\"x\\\"y\"}");
  EXPECT_EQ(LabelSetString({}), "{}");
}

}  // namespace
}  // namespace vigil::alertmanager
