#include "alertmanager/notify.h"

#include <algorithm>

#include "alertmanager/email_message.h"
#include "alertmanager/silences.h"
#include "base/base64.h"
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
          {"Authorization", "Basic " + Base64Encode(cfg_.http.basic_auth_username + ":" + cfg_.http.basic_auth_password)});
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
  EmailIntegration(EmailConfig cfg, std::shared_ptr<const NotificationTemplates> templates)
      : cfg_(std::move(cfg)), templates_(std::move(templates)) {}
  const char* kind() const override { return "email"; }
  bool send_resolved() const override { return cfg_.send_resolved; }

  Status Notify(const NotificationData& d, bool* retryable) override {
    // Template errors do not get better with retries.
    *retryable = false;
    const tmpl::Value data = NotificationTemplates::MakeData(d);
    auto from = templates_->ExpandText(cfg_.from, data);
    auto to = templates_->ExpandText(cfg_.to, data);
    if (!from.ok() || !to.ok()) {
      return Status::InvalidArgument("failed to template 'from' or 'to': " +
                                     (from.ok() ? to.status() : from.status()).message());
    }
    EmailEnvelope mail;
    std::vector<std::string> from_addrs = ParseAddressList(*from);
    if (from_addrs.size() != 1) return Status::InvalidArgument("must be exactly one from address");
    mail.from = from_addrs[0];
    mail.to = ParseAddressList(*to);
    EmailParts parts;
    for (const auto& [name, text] : cfg_.headers) {
      auto value = templates_->ExpandText(text, data);
      if (!value.ok()) {
        return Status::InvalidArgument("executing \"" + name + "\" header template: " + value.status().message());
      }
      parts.headers.emplace_back(name, *std::move(value));
    }
    parts.headers.emplace_back("Message-Id", "<" + NewUuid() + "@vigil>");
    auto text = templates_->ExpandText(cfg_.text, data);
    if (!text.ok()) return Status::InvalidArgument("executing email text template: " + text.status().message());
    auto html = templates_->ExpandHtml(cfg_.html, data);
    if (!html.ok()) return Status::InvalidArgument("executing email html template: " + html.status().message());
    parts.text = *std::move(text);
    parts.html = *std::move(html);
    parts.boundary = NewUuid();
    parts.boundary.erase(std::remove(parts.boundary.begin(), parts.boundary.end(), '-'), parts.boundary.end());
    parts.date = EmailDateNow();
    mail.message = BuildEmailMessage(parts);
    return SendSmtp(cfg_, mail, retryable);
  }

 private:
  EmailConfig cfg_;
  std::shared_ptr<const NotificationTemplates> templates_;
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

std::vector<std::unique_ptr<Integration>> BuildIntegrations(const Receiver& r, net::HttpClient* client,
                                                            std::shared_ptr<const NotificationTemplates> templates) {
  if (!templates) templates = NotificationTemplates::Defaults();
  std::vector<std::unique_ptr<Integration>> out;
  for (const auto& w : r.webhooks) out.push_back(std::make_unique<WebhookIntegration>(w, client));
  for (const auto& e : r.emails) out.push_back(std::make_unique<EmailIntegration>(e, templates));
  return out;
}

}  // namespace vigil::alertmanager
