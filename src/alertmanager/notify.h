#pragma once
// Notification integrations: what one receiver sends for one aggregation
// group. The webhook integration POSTs Alertmanager's webhook JSON
// (version "4"); the email integration expands the receiver's header, text
// and HTML templates (notify_template.h) and sends the message over SMTP. Integrations are stateless apart from their config and may be
// used from several flush threads at once.

#include <memory>
#include <string>
#include <vector>

#include "alertmanager/config.h"
#include "alertmanager/model.h"
#include "alertmanager/notify_template.h"
#include "base/status.h"

namespace vigil::net {
class HttpClient;
}

namespace vigil::alertmanager {

// One group's notification, after inhibition and silencing.
struct NotificationData {
  std::string receiver;
  std::string group_key;
  LabelSet group_labels;
  std::vector<Alert> alerts;  // firing and resolved, sorted by start
  std::string external_url;
  int64_t now = 0;

  bool Firing() const;
  // Labels / annotations that every alert has with the same value.
  LabelSet CommonLabels() const;
  LabelSet CommonAnnotations() const;
};

// Alertmanager's webhook message: {version:"4", groupKey, truncatedAlerts,
// status, receiver, groupLabels, commonLabels, commonAnnotations,
// externalURL, alerts:[{status, labels, annotations, startsAt, endsAt,
// generatorURL, fingerprint}]}. With max_alerts > 0 only the first
// max_alerts alerts are included and the rest counted as truncated.
std::string BuildWebhookPayload(const NotificationData& d, uint64_t max_alerts);

class Integration {
 public:
  virtual ~Integration() = default;
  // "webhook" or "email" (the `integration` label of the self-metrics).
  virtual const char* kind() const = 0;
  virtual bool send_resolved() const = 0;
  // Sends; on failure sets *retryable to whether trying again may help.
  virtual Status Notify(const NotificationData& d, bool* retryable) = 0;
};

// The integrations of `r`, in config order (webhooks, then emails). Email
// integrations expand their templates with `templates`. `client` must
// outlive them.
std::vector<std::unique_ptr<Integration>> BuildIntegrations(const Receiver& r, net::HttpClient* client,
                                                            std::shared_ptr<const NotificationTemplates> templates);

// One email: the envelope addresses and the whole message (CRLF lines).
struct EmailEnvelope {
  std::string from;
  std::vector<std::string> to;
  std::string message;
};

// The bare addresses of a comma-separated list ("A <a@x>, b@y" → a@x, b@y).
std::vector<std::string> ParseAddressList(const std::string& list);

// Sends one email through cfg.smarthost as Alertmanager does: TLS from the
// start on port 465; with require_tls, STARTTLS (the server must offer it;
// the certificate is verified per cfg.tls); AUTH PLAIN or LOGIN when a
// username is set and the server offers AUTH. On failure *retryable says
// whether trying again may help.
Status SendSmtp(const EmailConfig& cfg, const EmailEnvelope& mail, bool* retryable);

}  // namespace vigil::alertmanager
