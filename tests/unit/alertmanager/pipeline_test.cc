// Silences, the notification log's dedup rule, inhibition, persistence and
// the webhook payload.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "alertmanager/codec.h"
#include "alertmanager/inhibitor.h"
#include "alertmanager/notification_log.h"
#include "alertmanager/notify.h"
#include "alertmanager/record_log.h"
#include "alertmanager/silences.h"

namespace vigil::alertmanager {
namespace {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/vigil-am-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

Silence MakeSilence(const std::string& matchers, int64_t start, int64_t end) {
  Silence s;
  s.matchers = *ParseMatchers(matchers);
  s.starts_at = start;
  s.ends_at = end;
  s.created_by = "t";
  s.comment = "c";
  return s;
}

TEST(SilenceStoreTest, MutesOnlyWhileActive) {
  SilenceStore store(3600'000);
  int64_t now = 1'000'000'000;
  auto id = store.Set(MakeSilence("alertname=A", now, now + 1000), now);
  ASSERT_TRUE(id.ok()) << id.status().message();
  EXPECT_EQ(store.Mutes({{"alertname", "A"}}, now), std::vector<std::string>{*id});
  EXPECT_TRUE(store.Mutes({{"alertname", "B"}}, now).empty());
  EXPECT_TRUE(store.Mutes({{"alertname", "A"}}, now + 1000).empty());
  ASSERT_TRUE(store.Expire(*id, now + 10).ok());
  EXPECT_TRUE(store.Mutes({{"alertname", "A"}}, now + 20).empty());
  EXPECT_FALSE(store.Expire(*id, now + 20).ok());  // already expired
  EXPECT_EQ(store.Expire("nope", now).code(), Status::Code::kNotFound);
}

TEST(SilenceStoreTest, RejectsInvalidSilences) {
  SilenceStore store(1000);
  int64_t now = 1'000'000'000;
  EXPECT_FALSE(store.Set(MakeSilence("a=~.*", now, now + 10), now).ok());  // matches everything
  EXPECT_FALSE(store.Set(MakeSilence("a=b", now + 10, now), now).ok());    // end before start
  EXPECT_FALSE(store.Set(MakeSilence("a=b", now - 100, now - 10), now).ok());  // end in the past
}

TEST(SilenceStoreTest, UpdatingMatchersOfActiveSilenceCreatesNewId) {
  SilenceStore store(3600'000);
  int64_t now = 1'000'000'000;
  auto id = store.Set(MakeSilence("a=b", now, now + 1000), now);
  ASSERT_TRUE(id.ok());
  Silence longer = MakeSilence("a=b", now, now + 5000);
  longer.id = *id;
  auto same = store.Set(longer, now + 1);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(*same, *id);
  Silence other = MakeSilence("a=c", now, now + 5000);
  other.id = *id;
  auto fresh = store.Set(other, now + 2);
  ASSERT_TRUE(fresh.ok());
  EXPECT_NE(*fresh, *id);
  EXPECT_EQ(StateAt(*store.Get(*id), now + 3), SilenceState::kExpired);
}

TEST(SilenceStoreTest, SurvivesReopenAndTornLogTail) {
  TempDir dir;
  int64_t now = NowMs();
  std::string id;
  {
    SilenceStore store(3600'000);
    ASSERT_TRUE(store.Open(dir.path()).ok());
    auto r = store.Set(MakeSilence("team=~\"db.*\"", now, now + 100'000), now);
    ASSERT_TRUE(r.ok());
    id = *r;
  }
  {
    std::ofstream f(dir.path() + "/silences.log", std::ios::app);
    f << "deadbeef {\"id\":\"torn";  // a write cut short by kill -9
  }
  SilenceStore again(3600'000);
  ASSERT_TRUE(again.Open(dir.path()).ok());
  auto s = again.Get(id);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(MatchersString(s->matchers), "{team=~\"db.*\"}");
  EXPECT_EQ(again.List().size(), 1u);
  // Compaction keeps it and the log starts over.
  ASSERT_TRUE(again.Maintain(now).ok());
  SilenceStore third(3600'000);
  ASSERT_TRUE(third.Open(dir.path()).ok());
  EXPECT_TRUE(third.Get(id).has_value());
}

TEST(SilenceStoreTest, MaintainDropsSilencesPastRetention) {
  SilenceStore store(1000);
  int64_t now = 1'000'000'000;
  auto id = store.Set(MakeSilence("a=b", now, now + 10), now);
  ASSERT_TRUE(store.Maintain(now + 500).ok());
  EXPECT_TRUE(store.Get(*id).has_value());
  ASSERT_TRUE(store.Maintain(now + 2000).ok());
  EXPECT_FALSE(store.Get(*id).has_value());
}

TEST(NeedsUpdateTest, FollowsAlertmanagersDedupRules) {
  int64_t now = 1'000'000;
  std::set<uint64_t> f1{1}, f12{1, 2}, none, r1{1};
  EXPECT_TRUE(NeedsUpdate(std::nullopt, f1, none, true, 10'000, now));
  EXPECT_FALSE(NeedsUpdate(std::nullopt, none, r1, true, 10'000, now));  // only resolved, never notified
  NotificationEntry sent{f1, none, now - 1000};
  EXPECT_FALSE(NeedsUpdate(sent, f1, none, true, 10'000, now));  // unchanged, before repeat
  EXPECT_TRUE(NeedsUpdate(sent, f1, none, true, 500, now));      // repeat_interval passed
  EXPECT_TRUE(NeedsUpdate(sent, f12, none, true, 10'000, now));  // a new firing alert
  EXPECT_TRUE(NeedsUpdate(sent, none, r1, false, 10'000, now));  // all resolved, even without send_resolved
  NotificationEntry two{f12, none, now - 1000};
  EXPECT_TRUE(NeedsUpdate(two, std::set<uint64_t>{2}, r1, true, 10'000, now));    // one resolved
  EXPECT_FALSE(NeedsUpdate(two, std::set<uint64_t>{2}, r1, false, 10'000, now));  // ...not wanted
}

TEST(NotificationLogTest, PersistsEntries) {
  TempDir dir;
  {
    NotificationLog log(3600'000);
    ASSERT_TRUE(log.Open(dir.path()).ok());
    ASSERT_TRUE(log.Log("g/r/webhook/0", NotificationEntry{{1, 2}, {3}, 42}).ok());
  }
  NotificationLog again(3600'000);
  ASSERT_TRUE(again.Open(dir.path()).ok());
  auto e = again.Query("g/r/webhook/0");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->firing, (std::set<uint64_t>{1, 2}));
  EXPECT_EQ(e->resolved, std::set<uint64_t>{3});
  EXPECT_EQ(e->timestamp, 42);
}

TEST(InhibitorTest, SourceMutesTargetOnlyWithEqualLabels) {
  Inhibitor inh;
  InhibitRule rule;
  rule.source = *ParseMatchers("alertname=NodeDown");
  rule.target = *ParseMatchers("category=node");
  rule.equal = {"ip"};
  inh.SetRules({rule});
  int64_t now = NowMs();
  Alert src;
  src.labels = {{"alertname", "NodeDown"}, {"ip", "1"}, {"category", "node"}};
  src.fingerprint = Fingerprint(src.labels);
  src.ends_at = now + 60'000;
  inh.Observe(src);
  EXPECT_EQ(inh.InhibitedBy({{"alertname", "Cpu"}, {"category", "node"}, {"ip", "1"}}, now), src.fingerprint);
  EXPECT_EQ(inh.InhibitedBy({{"alertname", "Cpu"}, {"category", "node"}, {"ip", "2"}}, now), 0u);
  EXPECT_EQ(inh.InhibitedBy({{"alertname", "Cpu"}, {"ip", "1"}}, now), 0u);
  // The source matches both sides: it does not inhibit itself.
  EXPECT_EQ(inh.InhibitedBy(src.labels, now), 0u);
  // Once resolved it inhibits nothing.
  EXPECT_EQ(inh.InhibitedBy({{"alertname", "Cpu"}, {"category", "node"}, {"ip", "1"}}, now + 60'000), 0u);
}

TEST(WebhookPayloadTest, HasAlertmanagerFieldsAndTruncates) {
  NotificationData d;
  d.receiver = "hook";
  d.group_key = "{}:{alertname=\"A\"}";
  d.group_labels = {{"alertname", "A"}};
  d.external_url = "http://am:9059";
  d.now = 1681128000000;
  for (int i = 0; i < 3; ++i) {
    Alert a;
    a.labels = {{"alertname", "A"}, {"i", std::to_string(i)}};
    a.annotations = {{"summary", "s"}};
    a.fingerprint = Fingerprint(a.labels);
    a.starts_at = d.now - 1000;
    a.ends_at = i == 2 ? d.now - 1 : d.now + 1000;
    d.alerts.push_back(a);
  }
  std::string p = BuildWebhookPayload(d, 2);
  for (const char* want :
       {"\"version\":\"4\"", "\"groupKey\":\"{}:{alertname=\\\"A\\\"}\"", "\"truncatedAlerts\":1",
        "\"status\":\"firing\"", "\"receiver\":\"hook\"", "\"groupLabels\":{\"alertname\":\"A\"}",
        "\"commonLabels\":{\"alertname\":\"A\"}", "\"commonAnnotations\":{\"summary\":\"s\"}",
        "\"externalURL\":\"http://am:9059\"", "\"endsAt\":\"0001-01-01T00:00:00Z\""}) {
    EXPECT_NE(p.find(want), std::string::npos) << want << " in " << p;
  }
  // Alertmanager's subject template leaves a space where the common labels
  // beyond the group labels would go.
  auto subject = NotificationTemplates::Defaults()->ExpandText(R"({{ template "email.default.subject" . }})",
                                                               NotificationTemplates::MakeData(d));
  ASSERT_TRUE(subject.ok()) << subject.status().message();
  EXPECT_EQ(*subject, "[FIRING:2] A ");
}

TEST(CodecTest, DecodesPostableAlertsAndRejectsWrongTypes) {
  auto a = DecodePostableAlerts(
      R"([{"labels":{"alertname":"X"},"annotations":{"s":"t"},"startsAt":"2023-04-10T12:00:00Z","generatorURL":"g"}])");
  ASSERT_TRUE(a.ok()) << a.status().message();
  ASSERT_EQ(a->size(), 1u);
  EXPECT_EQ((*a)[0].starts_at, 1681128000000);
  EXPECT_EQ((*a)[0].ends_at, 0);
  EXPECT_FALSE(DecodePostableAlerts(R"([{"labels":{"a":1}}])").ok());
  EXPECT_FALSE(DecodePostableAlerts(R"({"labels":{}})").ok());
  EXPECT_FALSE(DecodePostableAlerts(R"([{"annotations":{}}])").ok());
  EXPECT_FALSE(DecodePostableAlerts(R"([{"labels":{},"startsAt":"yesterday"}])").ok());
  EXPECT_FALSE(DecodePostableAlerts("[").ok());
}

TEST(CodecTest, ValidateAlertNamesTheProblem) {
  Alert a;
  a.starts_at = 10;
  EXPECT_EQ(ValidateAlert(a).message(), "at least one label pair required");
  a.labels = {{"bad-name", "x"}};
  EXPECT_NE(ValidateAlert(a).message().find("invalid label set"), std::string::npos);
  a.labels = {{"ok", "\xff"}};
  EXPECT_FALSE(ValidateAlert(a).ok());
  a.labels = {{"ok", "x"}};
  a.ends_at = 5;
  EXPECT_EQ(ValidateAlert(a).message(), "start time must be before end time");
}

TEST(RecordLogTest, CorruptRecordTruncatesTheRest) {
  TempDir dir;
  {
    RecordLog log;
    ASSERT_TRUE(log.Open(dir.path(), "x").ok());
    ASSERT_TRUE(log.Append("one", false).ok());
    ASSERT_TRUE(log.Append("two", false).ok());
  }
  {
    std::fstream f(dir.path() + "/x.log", std::ios::in | std::ios::out);
    f.seekp(-2, std::ios::end);
    f << 'X';  // flip a byte of "two"
  }
  RecordLog log;
  auto recs = log.Open(dir.path(), "x");
  ASSERT_TRUE(recs.ok());
  EXPECT_EQ(*recs, std::vector<std::string>{"one"});
  ASSERT_TRUE(log.Append("three", false).ok());
  RecordLog again;
  EXPECT_EQ(*again.Open(dir.path(), "x"), (std::vector<std::string>{"one", "three"}));
}

}  // namespace
}  // namespace vigil::alertmanager
