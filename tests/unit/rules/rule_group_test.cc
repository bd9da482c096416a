#include "rules/rule_group.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <map>

#include "rules/notifier.h"

namespace vigil::rules {
namespace {

using ::testing::HasSubstr;

// Query results by expression, settable per step.
struct FakeQueries {
  std::map<std::string, Result<promql::Vector>> results;
  QueryFn fn() {
    return [this](const std::string& expr, int64_t) -> Result<promql::Vector> {
      auto it = results.find(expr);
      if (it == results.end()) return promql::Vector{};
      return it->second;
    };
  }
};

promql::Sample S(std::initializer_list<std::pair<std::string_view, std::string_view>> labels, double v) {
  return promql::Sample{tsdb::Labels::FromPairs(labels), 0, v};
}

// Rows appended by one Eval as "labels -> value" ("stale" for stale markers).
struct Sink {
  std::map<std::string, std::string> rows;
  std::function<void(const tsdb::WriteBatch&)> fn() {
    return [this](const tsdb::WriteBatch& b) {
      for (size_t i = 0; i < b.num_rows(); ++i) {
        double v = b.row(i).samples[0].value;
        rows[b.row(i).labels.ToString()] =
            std::bit_cast<uint64_t>(v) == 0x7ff0000000000002ULL ? "stale" : std::to_string(v);
      }
    };
  }
};

GroupConfig Group(std::vector<RuleConfig> rules) {
  GroupConfig g;
  g.name = "g";
  g.file = "f.yml";
  g.interval = std::chrono::seconds(10);
  g.rules = std::move(rules);
  return g;
}

RuleConfig Record(std::string name, std::string expr) {
  RuleConfig r;
  r.kind = RuleConfig::Kind::kRecording;
  r.name = std::move(name);
  r.expr = std::move(expr);
  return r;
}

RuleConfig AlertRule(std::string name, std::string expr, Millis for_duration) {
  RuleConfig r;
  r.kind = RuleConfig::Kind::kAlerting;
  r.name = std::move(name);
  r.expr = std::move(expr);
  r.for_duration = for_duration;
  r.labels = {{"severity", "crit"}};
  return r;
}

TEST(RuleGroupTest, RecordingRuleRenamesAndStalesVanishedSeries) {
  RuleConfig rule = Record("job:x:sum", "sum by (job) (x)");
  rule.labels = {{"level", "1"}};
  RuleGroup g(Group({rule}), {});
  FakeQueries q;
  q.results.insert_or_assign("sum by (job) (x)", Result<promql::Vector>(promql::Vector{S({{"job", "a"}}, 1), S({{"job", "b"}}, 2)}));
  Sink first;
  g.Eval(1000, q.fn(), first.fn());
  EXPECT_EQ(first.rows["job:x:sum{job=\"a\", level=\"1\"}"], "1.000000");
  EXPECT_EQ(first.rows["job:x:sum{job=\"b\", level=\"1\"}"], "2.000000");
  q.results.insert_or_assign("sum by (job) (x)", Result<promql::Vector>(promql::Vector{S({{"job", "a"}}, 3)}));
  Sink second;
  g.Eval(2000, q.fn(), second.fn());
  EXPECT_EQ(second.rows["job:x:sum{job=\"b\", level=\"1\"}"], "stale");
  EXPECT_EQ(g.RuleStates()[0].health, "ok");
}

TEST(RuleGroupTest, QueryErrorMarksOnlyThatRuleUnhealthy) {
  RuleGroup g(Group({Record("a", "bad"), Record("b", "good")}), {});
  FakeQueries q;
  q.results.insert_or_assign("bad", Result<promql::Vector>(Status::InvalidArgument("boom")));
  q.results.insert_or_assign("good", Result<promql::Vector>(promql::Vector{S({}, 7)}));
  Sink s;
  g.Eval(1000, q.fn(), s.fn());
  auto states = g.RuleStates();
  EXPECT_EQ(states[0].health, "err");
  EXPECT_EQ(states[0].last_error, "boom");
  EXPECT_EQ(states[1].health, "ok");
  EXPECT_EQ(s.rows["b"], "7.000000");
}

TEST(RuleGroupTest, DuplicateLabelSetsAfterRuleLabelsAreAnError) {
  RuleGroup g(Group({Record("r", "x")}), {});
  FakeQueries q;
  q.results.insert_or_assign("x", Result<promql::Vector>(promql::Vector{S({{"__name__", "m1"}}, 1), S({{"__name__", "m2"}}, 2)}));
  Sink s;
  g.Eval(1000, q.fn(), s.fn());
  EXPECT_THAT(g.RuleStates()[0].last_error, HasSubstr("same labelset after applying rule labels"));
  EXPECT_TRUE(s.rows.empty());
}

TEST(RuleGroupTest, AlertGoesPendingFiringResolvedAndNotifies) {
  RuleGroup g(Group({AlertRule("Down", "up == 0", std::chrono::seconds(20))}), {});
  FakeQueries q;
  q.results.insert_or_assign("up == 0", Result<promql::Vector>(promql::Vector{S({{"__name__", "up"}, {"instance", "h:1"}}, 0)}));
  Sink t0;
  g.Eval(0 + 10000, q.fn(), t0.fn());
  EXPECT_EQ(t0.rows["ALERTS{alertname=\"Down\", alertstate=\"pending\", instance=\"h:1\", severity=\"crit\"}"],
            "1.000000");
  EXPECT_EQ(t0.rows["ALERTS_FOR_STATE{alertname=\"Down\", instance=\"h:1\", severity=\"crit\"}"], "10.000000");
  EXPECT_TRUE(g.TakeAlertsToSend(10000, std::chrono::minutes(1)).empty());  // pending is not sent
  Sink t1;
  g.Eval(30000, q.fn(), t1.fn());
  EXPECT_EQ(t1.rows["ALERTS{alertname=\"Down\", alertstate=\"firing\", instance=\"h:1\", severity=\"crit\"}"],
            "1.000000");
  EXPECT_EQ(t1.rows["ALERTS{alertname=\"Down\", alertstate=\"pending\", instance=\"h:1\", severity=\"crit\"}"],
            "stale");
  auto sent = g.TakeAlertsToSend(30000, std::chrono::minutes(1));
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].starts_at_ms, 30000);
  EXPECT_EQ(sent[0].ends_at_ms, 30000 + 4 * 60000);
  EXPECT_TRUE(g.TakeAlertsToSend(40000, std::chrono::minutes(1)).empty());  // within resend_delay
  q.results.insert_or_assign("up == 0", Result<promql::Vector>(promql::Vector{}));
  Sink t2;
  g.Eval(50000, q.fn(), t2.fn());
  EXPECT_EQ(t2.rows["ALERTS{alertname=\"Down\", alertstate=\"firing\", instance=\"h:1\", severity=\"crit\"}"],
            "stale");
  auto resolved = g.TakeAlertsToSend(50000, std::chrono::minutes(1));
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].ends_at_ms, 50000);
  EXPECT_TRUE(g.RuleStates()[0].alerts.empty());
}

TEST(RuleGroupTest, KeepFiringForHoldsAFiringAlert) {
  RuleConfig rule = AlertRule("Flap", "x", Millis(0));
  rule.keep_firing_for = std::chrono::seconds(30);
  RuleGroup g(Group({rule}), {});
  FakeQueries q;
  q.results.insert_or_assign("x", Result<promql::Vector>(promql::Vector{S({}, 1)}));
  Sink s;
  g.Eval(10000, q.fn(), s.fn());
  ASSERT_EQ(g.RuleStates()[0].alerts.at(0).state, AlertState::kFiring);
  q.results.insert_or_assign("x", Result<promql::Vector>(promql::Vector{}));
  g.Eval(20000, q.fn(), s.fn());
  EXPECT_EQ(g.RuleStates()[0].alerts.size(), 1u);  // still firing within keep_firing_for
  g.Eval(50000, q.fn(), s.fn());
  EXPECT_TRUE(g.RuleStates()[0].alerts.empty());
}

TEST(RuleGroupTest, TemplatesGoThroughTheExpander) {
  RuleConfig rule = AlertRule("T", "x", Millis(0));
  rule.annotations = {{"summary", "v={{ $value }}"}, {"plain", "no template"}};
  GroupOptions options;
  options.expand = [](const TemplateInput& in) -> Result<std::string> {
    if (in.text.find("bad") != std::string_view::npos) return Status::InvalidArgument("bad template");
    return std::string(in.text) + "|" + std::to_string(int(in.value));
  };
  RuleGroup g(Group({rule}), options);
  FakeQueries q;
  q.results.insert_or_assign("x", Result<promql::Vector>(promql::Vector{S({}, 5)}));
  Sink s;
  g.Eval(10000, q.fn(), s.fn());
  auto alert = g.RuleStates()[0].alerts.at(0);
  EXPECT_EQ(alert.annotations.at("summary"), "v={{ $value }}|5");
  EXPECT_EQ(alert.annotations.at("plain"), "no template");
}

TEST(RuleGroupTest, ReloadKeepsStateOfUnchangedRules) {
  RuleConfig rule = AlertRule("Down", "up == 0", std::chrono::seconds(20));
  auto old = std::make_unique<RuleGroup>(Group({rule}), GroupOptions{});
  FakeQueries q;
  q.results.insert_or_assign("up == 0", Result<promql::Vector>(promql::Vector{S({{"instance", "h:1"}}, 0)}));
  Sink s;
  old->Eval(10000, q.fn(), s.fn());
  RuleGroup fresh(Group({rule}), {});
  fresh.InheritStateFrom(*old);
  fresh.Eval(30000, q.fn(), s.fn());
  EXPECT_EQ(fresh.RuleStates()[0].alerts.at(0).state, AlertState::kFiring);  // `for` kept counting
}

TEST(NotifierTest, AlertsJsonHasAlertmanagerShape) {
  OutgoingAlert a;
  a.labels = tsdb::Labels::FromPairs({{"alertname", "Down"}, {"dc", "mine"}});
  a.annotations = {{"summary", "x \"y\""}};
  a.starts_at_ms = 1677672000123;
  a.ends_at_ms = 1677672060000;
  a.generator_url = "http://h/graph";
  EXPECT_EQ(AlertsToJson({a}, {{"dc", "ext"}, {"region", "r1"}}),
            R"([{"labels":{"alertname":"Down","dc":"mine","region":"r1"},"annotations":{"summary":"x \"y\""},)"
            R"("startsAt":"2023-03-01T12:00:00.123Z","endsAt":"2023-03-01T12:01:00Z","generatorURL":"http://h/graph"}])");
}

}  // namespace
}  // namespace vigil::rules

namespace vigil::rules {
namespace {

TEST(RuleGroupTest, RestoreForStateCountsTimeSpentPendingBeforeARestart) {
  RuleConfig rule = AlertRule("Down", "up == 0", std::chrono::minutes(30));
  RuleGroup g(Group({rule}), {});
  FakeQueries q;
  q.results.insert_or_assign("up == 0", Result<promql::Vector>(promql::Vector{S({{"instance", "h:1"}}, 0)}));
  Sink s;
  const int64_t restart = 10'000'000;
  g.Eval(restart, q.fn(), s.fn());
  // Before the restart it had been pending since t=1000s; the last record was at 1200s.
  std::string asked;
  g.RestoreForState(
      restart,
      [&](const tsdb::Labels& labels, int64_t, int64_t) -> std::optional<Sample> {
        asked = labels.ToString();
        return Sample{1'200'000, 1000.0};
      },
      std::chrono::hours(1), std::chrono::minutes(10));
  EXPECT_EQ(asked, "ALERTS_FOR_STATE{alertname=\"Down\", instance=\"h:1\", severity=\"crit\"}");
  // 200 s spent pending; the downtime (restart - 1200 s) does not count.
  EXPECT_EQ(g.RuleStates()[0].alerts.at(0).active_at_ms, 1'000'000 + (restart - 1'200'000));

  // Close to firing: the grace period applies.
  RuleGroup h(Group({rule}), {});
  h.Eval(restart, q.fn(), s.fn());
  h.RestoreForState(
      restart, [](const tsdb::Labels&, int64_t, int64_t) { return std::optional<Sample>(Sample{2'750'000, 1000.0}); },
      std::chrono::hours(1), std::chrono::minutes(10));
  EXPECT_EQ(h.RuleStates()[0].alerts.at(0).active_at_ms, restart + 600'000 - 1'800'000);
}

}  // namespace
}  // namespace vigil::rules
