#include "alertmanager/config.h"

#include <gtest/gtest.h>

namespace vigil::alertmanager {
namespace {

std::vector<std::string> Receivers(const AmConfig& c, const LabelSet& ls) {
  std::vector<const Route*> routes;
  c.route->Match(ls, &routes);
  std::vector<std::string> out;
  for (const Route* r : routes) out.push_back(r->opts.receiver);
  return out;
}

TEST(ConfigTest, DefaultIsPigstys) {
  auto c = ParseConfig(DefaultConfigText());
  ASSERT_TRUE(c.ok()) << c.status().message();
  const AmConfig& cfg = **c;
  EXPECT_EQ(cfg.route->opts.receiver, "default");
  EXPECT_EQ(cfg.route->opts.group_by, std::vector<std::string>{"alertname"});
  EXPECT_EQ(cfg.route->opts.group_wait_ms, 30'000);
  EXPECT_EQ(cfg.route->opts.group_interval_ms, 300'000);
  EXPECT_EQ(cfg.route->opts.repeat_interval_ms, 4 * 3600'000);
  ASSERT_EQ(cfg.inhibit_rules.size(), 1u);
  EXPECT_EQ(cfg.inhibit_rules[0].equal, std::vector<std::string>{"ip"});
}

TEST(ConfigTest, ChildrenInheritAndFirstMatchWinsUnlessContinue) {
  auto c = ParseConfig(R"(
route:
  receiver: root
  group_by: [alertname]
  group_wait: 10s
  routes:
    - receiver: crit
      matchers: [ level="0" ]
      continue: true
    - receiver: db
      match: { category: pgsql }
      group_wait: 1s
      routes:
        - receiver: db-crit
          match_re: { severity: 'CRIT|WARN' }
    - receiver: never
      match: { category: pgsql }
receivers: [ {name: root}, {name: crit}, {name: db}, {name: db-crit}, {name: never} ]
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const AmConfig& cfg = **c;
  EXPECT_EQ(Receivers(cfg, {{"x", "y"}}), std::vector<std::string>{"root"});
  EXPECT_EQ(Receivers(cfg, {{"level", "0"}, {"category", "pgsql"}}), (std::vector<std::string>{"crit", "db"}));
  EXPECT_EQ(Receivers(cfg, {{"category", "pgsql"}, {"severity", "CRIT"}}), std::vector<std::string>{"db-crit"});
  const Route& db = *cfg.route->routes[1];
  EXPECT_EQ(db.opts.group_wait_ms, 1000);
  EXPECT_EQ(db.opts.group_by, std::vector<std::string>{"alertname"});
  EXPECT_EQ(db.routes[0]->opts.group_wait_ms, 1000);
  EXPECT_EQ(db.Key(), "{}/{category=\"pgsql\"}");
  EXPECT_EQ(db.Id(), "{}/{category=\"pgsql\"}/1");
}

TEST(ConfigTest, ReportsEveryProblem) {
  auto c = ParseConfig(R"(
route:
  receiver: missing
  group_wait: 10x
  colour: red
  routes: [ {receiver: a, matchers: ['a=~"("'], mute_time_intervals: [nope]} ]
receivers:
  - name: a
    webhook_configs: [ {send_resolved: true} ]
  - name: a
)");
  ASSERT_FALSE(c.ok());
  const std::string& msg = c.status().message();
  for (const char* want : {"undefined receiver \"missing\"", "group_wait", "field colour not found",
                           "error parsing regexp", "undefined time interval \"nope\"",
                           "one of url or url_file must be configured", "\"a\" is not unique"}) {
    EXPECT_NE(msg.find(want), std::string::npos) << want << " in " << msg;
  }
}

TEST(ConfigTest, RootRouteRules) {
  EXPECT_FALSE(ParseConfig("route: {group_by: [a]}\nreceivers: [{name: a}]\n").ok());
  EXPECT_FALSE(ParseConfig("route: {receiver: a, matchers: ['x=y']}\nreceivers: [{name: a}]\n").ok());
  EXPECT_FALSE(ParseConfig("receivers: [{name: a}]\n").ok());
  EXPECT_FALSE(ParseConfig("").ok());
  EXPECT_FALSE(ParseConfig("route: {receiver: a, group_by: ['...', x]}\nreceivers: [{name: a}]\n").ok());
  auto all = ParseConfig("route: {receiver: a, group_by: ['...']}\nreceivers: [{name: a}]\n");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE((*all)->route->opts.group_by_all);
}

TEST(ConfigTest, EmailTakesGlobalSmtpDefaults) {
  auto c = ParseConfig(R"(
global: {smtp_smarthost: 'mail:25', smtp_from: 'am@x', smtp_require_tls: false}
route: {receiver: m}
receivers: [ {name: m, email_configs: [ {to: 'a@x'} ]} ]
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const EmailConfig& e = (*c)->receivers[0].emails[0];
  EXPECT_EQ(e.smarthost, "mail:25");
  EXPECT_EQ(e.from, "am@x");
  EXPECT_FALSE(e.require_tls);
  EXPECT_FALSE(e.send_resolved);
}

TEST(ConfigTest, UnsupportedIntegrationsAreAcceptedAndListed) {
  auto c = ParseConfig("route: {receiver: s}\nreceivers: [ {name: s, slack_configs: [ {channel: '#a'} ]} ]\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ((*c)->receivers[0].unsupported, std::vector<std::string>{"slack_configs"});
}

TEST(TimeIntervalTest, WeekdayAndTimeOfDayInUtc) {
  auto c = ParseConfig(R"(
route: {receiver: a}
receivers: [ {name: a} ]
time_intervals:
  - name: office
    time_intervals: [ {weekdays: ['monday:friday'], times: [ {start_time: '09:00', end_time: '17:00'} ]} ]
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const TimeInterval& ti = (*c)->time_intervals.at("office");
  EXPECT_TRUE(ti.Contains(1681128000000));   // Monday 2023-04-10 12:00 UTC
  EXPECT_FALSE(ti.Contains(1681156800000));  // Monday 20:00 UTC
  EXPECT_FALSE(ti.Contains(1681041600000));  // Sunday 2023-04-09 12:00 UTC
}

TEST(TimeIntervalTest, RejectsBackwardsRanges) {
  YAML::Node n = YAML::Load("[ {times: [ {start_time: '10:00', end_time: '09:00'} ]} ]");
  EXPECT_FALSE(ParseTimePeriods(n).ok());
  n = YAML::Load("[ {weekdays: ['friday:monday']} ]");
  EXPECT_FALSE(ParseTimePeriods(n).ok());
  n = YAML::Load("[ {days_of_month: ['0']} ]");
  EXPECT_FALSE(ParseTimePeriods(n).ok());
}

}  // namespace
}  // namespace vigil::alertmanager
