#include "alertmanager/notify.h"

#include <algorithm>

#include "base/json.h"
#include "net/http_client.h"

namespace vigil::alertmanager {
namespace {

void AppendLabels(std::string* out, const LabelSet& ls) {
  *out += '{';
  bool first = true;
  for (const auto& [k, v] : ls) {
    if (!first) *out += ',';
    first = false;
    json::AppendString(out, k);
    *out += ':';
    json::AppendString(out, v);
  }
  *out += '}';
}

LabelSet Common(const std::vector<Alert>& alerts, LabelSet Alert::*field) {
  if (alerts.empty()) return {};
  LabelSet common = alerts[0].*field;
  for (size_t i = 1; i < alerts.size() && !common.empty(); ++i) {
    const LabelSet& ls = alerts[i].*field;
    for (auto it = common.begin(); it != common.end();) {
      auto f = ls.find(it->first);
      it = (f == ls.end() || f->second != it->second) ? common.erase(it) : std::next(it);
    }
  }
  return common;
}

std::string Base64(std::string_view in) {
  static const char* kTable = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s : {18, 12, 6, 0}) out += kTable[(v >> s) & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += kTable[(v >> 18) & 63];
    out += kTable[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += kTable[(v >> 18) & 63];
    out += kTable[(v >> 12) & 63];
    out += kTable[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

class WebhookIntegration : public Integration {
 public:
  WebhookIntegration(WebhookConfig cfg, net::HttpClient* client) : cfg_(std::move(cfg)), client_(client) {}
  const char* kind() const override { return "webhook"; }
  bool send_resolved() const override { return cfg_.send_resolved; }

  Status Notify(const NotificationData& d, bool* retryable) override {
    net::ClientRequest req;
    req.method = "POST";
    req.url = cfg_.url;
    req.body = BuildWebhookPayload(d, cfg_.max_alerts);
    req.headers.push_back({"Content-Type", "application/json"});
    req.headers.push_back({"User-Agent", "Alertmanager/0.25.0"});
    if (!cfg_.http.basic_auth_username.empty()) {
      req.headers.push_back(
          {"Authorization", "Basic " + Base64(cfg_.http.basic_auth_username + ":" + cfg_.http.basic_auth_password)});
    } else if (!cfg_.http.authorization.empty()) {
      req.headers.push_back({"Authorization", cfg_.http.authorization});
    }
    req.timeout = std::chrono::seconds(10);
    req.max_response_bytes = 1 << 20;
    auto resp = client_->FetchSync(std::move(req));
    if (!resp.ok()) {
      *retryable = true;
      return resp.status();
    }
    if (resp->status / 100 == 2) return Status::Ok();
    // Alertmanager retries server errors and gives up on client errors.
    *retryable = resp->status / 100 == 5;
    return Status::Unavailable("unexpected status code " + std::to_string(resp->status) + " from " + cfg_.url);
  }

 private:
  WebhookConfig cfg_;
  net::HttpClient* client_;
};

class EmailIntegration : public Integration {
 public:
  explicit EmailIntegration(EmailConfig cfg) : cfg_(std::move(cfg)) {}
  const char* kind() const override { return "email"; }
  bool send_resolved() const override { return cfg_.send_resolved; }
  Status Notify(const NotificationData& d, bool* retryable) override {
    std::string subject = DefaultEmailSubject(d);
    auto it = cfg_.headers.find("Subject");
    if (it != cfg_.headers.end() && it->second.find("{{") == std::string::npos) subject = it->second;
    std::string body = cfg_.text.empty() || cfg_.text.find("{{") != std::string::npos ? DefaultEmailText(d)
                                                                                       : cfg_.text;
    return SendSmtp(cfg_, subject, body, "text/plain; charset=UTF-8", retryable);
  }

 private:
  EmailConfig cfg_;
};

}  // namespace

bool NotificationData::Firing() const {
  return std::any_of(alerts.begin(), alerts.end(), [this](const Alert& a) { return !a.Resolved(now); });
}

LabelSet NotificationData::CommonLabels() const { return Common(alerts, &Alert::labels); }
LabelSet NotificationData::CommonAnnotations() const { return Common(alerts, &Alert::annotations); }

std::string BuildWebhookPayload(const NotificationData& d, uint64_t max_alerts) {
  size_t n = d.alerts.size();
  if (max_alerts > 0 && n > max_alerts) n = max_alerts;
  std::string out;
  out.reserve(512 + n * 256);
  out += "{\"receiver\":";
  json::AppendString(&out, d.receiver);
  out += ",\"status\":";
  out += d.Firing() ? "\"firing\"" : "\"resolved\"";
  out += ",\"alerts\":[";
  for (size_t i = 0; i < n; ++i) {
    const Alert& a = d.alerts[i];
    if (i > 0) out += ',';
    out += "{\"status\":";
    out += a.Resolved(d.now) ? "\"resolved\"" : "\"firing\"";
    out += ",\"labels\":";
    AppendLabels(&out, a.labels);
    out += ",\"annotations\":";
    AppendLabels(&out, a.annotations);
    out += ",\"startsAt\":\"" + FormatTime(a.starts_at) + "\"";
    out += ",\"endsAt\":\"" + FormatTime(a.Resolved(d.now) ? a.ends_at : 0) + "\"";
    out += ",\"generatorURL\":";
    json::AppendString(&out, a.generator_url);
    out += ",\"fingerprint\":\"" + FingerprintHex(a.fingerprint) + "\"}";
  }
  out += "],\"groupLabels\":";
  AppendLabels(&out, d.group_labels);
  out += ",\"commonLabels\":";
  AppendLabels(&out, d.CommonLabels());
  out += ",\"commonAnnotations\":";
  AppendLabels(&out, d.CommonAnnotations());
  out += ",\"externalURL\":";
  json::AppendString(&out, d.external_url);
  out += ",\"version\":\"4\",\"groupKey\":";
  json::AppendString(&out, d.group_key);
  out += ",\"truncatedAlerts\":" + std::to_string(d.alerts.size() - n) + "}";
  return out;
}

std::string DefaultEmailSubject(const NotificationData& d) {
  size_t firing = 0;
  for (const auto& a : d.alerts) firing += a.Resolved(d.now) ? 0 : 1;
  std::string s = d.Firing() ? "[FIRING:" + std::to_string(firing) + "]" : "[RESOLVED]";
  for (const auto& [k, v] : d.group_labels) s += " " + v;
  LabelSet common = d.CommonLabels();
  if (common.size() > d.group_labels.size()) {
    std::string extra;
    for (const auto& [k, v] : common) {
      if (d.group_labels.count(k)) continue;
      if (!extra.empty()) extra += ' ';
      extra += v;
    }
    s += " (" + extra + ")";
  }
  return s;
}

std::string DefaultEmailText(const NotificationData& d) {
  std::string body;
  for (const char* section : {"firing", "resolved"}) {
    bool want_resolved = std::string(section) == "resolved";
    std::string block;
    size_t count = 0;
    for (const auto& a : d.alerts) {
      if (a.Resolved(d.now) != want_resolved) continue;
      ++count;
      block += "Labels:\n";
      for (const auto& [k, v] : a.labels) block += " - " + k + " = " + v + "\n";
      block += "Annotations:\n";
      for (const auto& [k, v] : a.annotations) block += " - " + k + " = " + v + "\n";
      block += "Source: " + a.generator_url + "\n\n";
    }
    if (count == 0) continue;
    body += std::to_string(count) + " alert" + (count == 1 ? "" : "s") + " for ";
    body += LabelSetString(d.group_labels) + " " + section + ":\n\n" + block;
  }
  body += "View in Alertmanager: " + d.external_url + "\n";
  return body;
}

std::vector<std::unique_ptr<Integration>> BuildIntegrations(const Receiver& r, net::HttpClient* client) {
  std::vector<std::unique_ptr<Integration>> out;
  for (const auto& w : r.webhooks) out.push_back(std::make_unique<WebhookIntegration>(w, client));
  for (const auto& e : r.emails) out.push_back(std::make_unique<EmailIntegration>(e));
  return out;
}

}  // namespace vigil::alertmanager
