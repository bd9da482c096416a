#pragma once
// Notification integrations: what one receiver sends for one aggregation
// group. The webhook integration POSTs Alertmanager's webhook JSON
// (version "4"); the email integration sends the default subject and body
// over SMTP. Integrations are stateless apart from their config and may be
// used from several flush threads at once.

#include <memory>
#include <string>
#include <vector>

#include "alertmanager/config.h"
#include "alertmanager/model.h"
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

// The default email subject: "[FIRING:2] alertname (other common labels)".
std::string DefaultEmailSubject(const NotificationData& d);
// The default plain-text email body, one block per alert.
std::string DefaultEmailText(const NotificationData& d);

class Integration {
 public:
  virtual ~Integration() = default;
  // "webhook" or "email" (the `integration` label of the self-metrics).
  virtual const char* kind() const = 0;
  virtual bool send_resolved() const = 0;
  // Sends; on failure sets *retryable to whether trying again may help.
  virtual Status Notify(const NotificationData& d, bool* retryable) = 0;
};

// The integrations of `r`, in config order (webhooks, then emails).
// `client` must outlive them.
std::vector<std::unique_ptr<Integration>> BuildIntegrations(const Receiver& r, net::HttpClient* client);

// Sends one email over SMTP (plain or STARTTLS-less; AUTH PLAIN/LOGIN when
// a username is set). Used by the email integration; exposed for tests.
Status SendSmtp(const EmailConfig& cfg, const std::string& subject, const std::string& body,
                const std::string& content_type, bool* retryable);

}  // namespace vigil::alertmanager
