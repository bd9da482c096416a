#include "alertmanager/notify_template.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "alertmanager/email_message.h"
#include "alertmanager/notify.h"

namespace vigil::alertmanager {
namespace {

NotificationData TwoAlerts() {
  NotificationData d;
  d.receiver = "team.db";
  d.group_key = "{}:{alertname=\"PgDown\"}";
  d.group_labels = {{"alertname", "PgDown"}};
  d.external_url = "http://am:9059";
  d.now = 1'700'000'000'000;
  for (int i = 0; i < 2; ++i) {
    Alert a;
    a.labels = {{"alertname", "PgDown"}, {"cls", "pg-test"}, {"ins", "pg-" + std::to_string(i)}, {"a", "x"}};
    a.annotations = {{"summary", "<down> & out"}};
    a.fingerprint = Fingerprint(a.labels);
    a.starts_at = d.now - 60'000;
    a.ends_at = i == 1 ? d.now - 1 : d.now + 60'000;
    a.generator_url = "http://prom/graph?g0.expr=up";
    d.alerts.push_back(a);
  }
  return d;
}

std::string Text(const NotificationTemplates& t, const std::string& text, const NotificationData& d) {
  auto r = t.ExpandText(text, NotificationTemplates::MakeData(d));
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : "";
}

TEST(NotifyTemplateTest, DefaultSubjectListsCommonLabelsBeyondTheGroupLabels) {
  NotificationData d = TwoAlerts();
  EXPECT_EQ(Text(*NotificationTemplates::Defaults(), R"({{ template "email.default.subject" . }})", d),
            "[FIRING:1] PgDown (x pg-test)");
  for (auto& a : d.alerts) a.ends_at = d.now - 1;
  EXPECT_EQ(Text(*NotificationTemplates::Defaults(), R"({{ template "__subject" . }})", d),
            "[RESOLVED] PgDown (x pg-test)");
}

TEST(NotifyTemplateTest, KvMethodsPutAlertnameFirstAndRemoveNames) {
  const auto& t = *NotificationTemplates::Defaults();
  NotificationData d = TwoAlerts();
  EXPECT_EQ(Text(t, "{{ (index .Alerts 0).Labels.Names | join \",\" }}", d), "alertname,a,cls,ins");
  EXPECT_EQ(Text(t, "{{ (index .Alerts 0).Labels.SortedPairs.Values | join \",\" }}", d), "PgDown,x,pg-test,pg-0");
  EXPECT_EQ(Text(t, "{{ .CommonLabels.Remove (stringSlice \"a\" \"cls\") }}", d), "alertname=PgDown");
  EXPECT_EQ(Text(t, "{{ .CommonLabels }}", d), "alertname=PgDown, a=x, cls=pg-test");
  EXPECT_EQ(Text(t, "{{ range .CommonLabels.SortedPairs }}{{ .Name }}:{{ .Value }};{{ end }}", d),
            "alertname:PgDown;a:x;cls:pg-test;");
}

TEST(NotifyTemplateTest, AlertsSplitIntoFiringAndResolved) {
  const auto& t = *NotificationTemplates::Defaults();
  NotificationData d = TwoAlerts();
  EXPECT_EQ(Text(t, "{{ len .Alerts }}/{{ len .Alerts.Firing }}/{{ len .Alerts.Resolved }}", d), "2/1/1");
  EXPECT_EQ(Text(t, "{{ range .Alerts.Resolved }}{{ .Labels.ins }} {{ .Status }}{{ end }}", d), "pg-1 resolved");
  EXPECT_EQ(Text(t, "{{ (index .Alerts 0).StartsAt.Unix }}", d), "1699999940");
}

TEST(NotifyTemplateTest, ReceiverIsRegexQuotedAsAlertmanagerDoes) {
  EXPECT_EQ(Text(*NotificationTemplates::Defaults(), "{{ .Receiver }}", TwoAlerts()), "team\\.db");
}

TEST(NotifyTemplateTest, TextAlertListMatchesAlertmanagersLayout) {
  NotificationData d = TwoAlerts();
  d.alerts.resize(1);
  d.alerts[0].labels = {{"alertname", "PgDown"}, {"ins", "pg-0"}};
  EXPECT_EQ(Text(*NotificationTemplates::Defaults(), R"({{ template "__text_alert_list" .Alerts }})", d),
            "Labels:\n - alertname = PgDown\n - ins = pg-0\nAnnotations:\n - summary = <down> & out\n"
            "Source: http://prom/graph?g0.expr=up\n");
}

TEST(NotifyTemplateTest, HtmlEscapesActionsButNotSafeHtmlOrTheTemplateText) {
  const auto& t = *NotificationTemplates::Defaults();
  auto data = NotificationTemplates::MakeData(TwoAlerts());
  auto html = t.ExpandHtml("<b>{{ .CommonAnnotations.summary }}</b>{{ \"<i>\" | safeHtml }}", data);
  ASSERT_TRUE(html.ok()) << html.status().message();
  EXPECT_EQ(*html, "<b>&lt;down&gt; &amp; out</b><i>");
  auto page = t.ExpandHtml(R"({{ template "email.default.html" . }})", data);
  ASSERT_TRUE(page.ok()) << page.status().message();
  EXPECT_NE(page->find("[1] Firing"), std::string::npos);
  EXPECT_NE(page->find("[1] Resolved"), std::string::npos);
  EXPECT_NE(page->find("summary = &lt;down&gt; &amp; out"), std::string::npos);
  EXPECT_EQ(page->find("<down>"), std::string::npos);
}

TEST(NotifyTemplateTest, OperatorTemplatesOverrideDefaultsAndBadOnesNameTheFile) {
  auto dir = std::filesystem::temp_directory_path() / ("vigil_am_tmpl_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "a.tmpl") << R"({{ define "email.default.subject" }}ALERT {{ .GroupLabels.alertname }}{{ end }})"
                                << R"({{ define "team.text" }}{{ len .Alerts }} for {{ .Receiver }}{{ end }})";
  auto t = NotificationTemplates::Load({"*.tmpl", "missing/*.tmpl"}, dir.string());
  ASSERT_TRUE(t.ok()) << t.status().message();
  NotificationData d = TwoAlerts();
  EXPECT_EQ(Text(**t, R"({{ template "email.default.subject" . }})", d), "ALERT PgDown");
  EXPECT_EQ(Text(**t, R"({{ template "team.text" . }})", d), "2 for team\\.db");
  std::ofstream(dir / "b.tmpl") << "{{ define \"x\" }}{{ .Foo ";
  auto bad = NotificationTemplates::Load({"*.tmpl"}, dir.string());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("b.tmpl"), std::string::npos) << bad.status().message();
  std::filesystem::remove_all(dir);
}

TEST(EmailMessageTest, QEncodesOnlyHeadersThatNeedIt) {
  EXPECT_EQ(QEncodeHeader("[FIRING:1] PgDown"), "[FIRING:1] PgDown");
  EXPECT_EQ(QEncodeHeader("Größe = 1?"), "=?utf-8?q?Gr=C3=B6=C3=9Fe_=3D_1=3F?=");
  std::string long_value(100, '\xC3');
  for (size_t i = 1; i < long_value.size(); i += 2) long_value[i] = '\xA9';  // "é" × 50
  const std::string encoded = QEncodeHeader(long_value);
  EXPECT_GT(encoded.size(), 75u);
  size_t start = 0;
  while (start < encoded.size()) {
    size_t end = encoded.find(' ', start);
    if (end == std::string::npos) end = encoded.size();
    EXPECT_LE(end - start, 75u);
    EXPECT_EQ(encoded.substr(end - 2, 2), "?=");
    start = end + 1;
  }
}

TEST(EmailMessageTest, QuotedPrintableBreaksLongLinesAndEscapes) {
  EXPECT_EQ(QuotedPrintable("a=b\nc \n"), "a=3Db\r\nc=20\r\n");
  std::string line(200, 'x');
  std::string qp = QuotedPrintable(line);
  size_t start = 0;
  std::string joined;
  while (start < qp.size()) {
    size_t end = qp.find("\r\n", start);
    if (end == std::string::npos) end = qp.size();
    EXPECT_LE(end - start, 76u);
    std::string l = qp.substr(start, end - start);
    if (!l.empty() && l.back() == '=') l.pop_back();
    joined += l;
    start = end + 2;
  }
  EXPECT_EQ(joined, line);
}

TEST(EmailMessageTest, MultipartHasTextThenHtml) {
  EmailParts p;
  p.headers = {{"Subject", "s"}, {"To", "a@b"}};
  p.text = "t";
  p.html = "<p>h</p>";
  p.boundary = "BOUND";
  p.date = "Mon, 02 Jan 2006 15:04:05 +0000";
  EXPECT_EQ(BuildEmailMessage(p),
            "Subject: s\r\nTo: a@b\r\nDate: Mon, 02 Jan 2006 15:04:05 +0000\r\n"
            "Content-Type: multipart/alternative;  boundary=BOUND\r\nMIME-Version: 1.0\r\n\r\n"
            "--BOUND\r\nContent-Transfer-Encoding: quoted-printable\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nt"
            "\r\n--BOUND\r\nContent-Transfer-Encoding: quoted-printable\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n"
            "<p>h</p>\r\n--BOUND--\r\n");
}

TEST(EmailMessageTest, AddressListsYieldBareAddresses) {
  EXPECT_EQ(ParseAddressList("Ops <ops@x.io>, dba@y.io ,"), (std::vector<std::string>{"ops@x.io", "dba@y.io"}));
}

}  // namespace
}  // namespace vigil::alertmanager
