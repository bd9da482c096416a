#pragma once
// Alertmanager's notification templates: Vigil's default templates (the
// names Alertmanager 0.25 defines for email: `__subject`,
// `__text_alert_list`, `email.default.subject`, `email.default.html`, ...)
// followed by the operator's `templates:` files, and the data a
// notification's templates see (Alertmanager's template.Data: Receiver,
// Status, Alerts with .Firing/.Resolved, GroupLabels, CommonLabels,
// CommonAnnotations as KV with .SortedPairs/.Names/.Values/.Remove,
// ExternalURL) with Alertmanager's functions (toUpper, toLower, title,
// trimSpace, join, match, safeHtml, reReplaceAll, stringSlice).
// Immutable after Load; Expand may run on many threads at once.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "template/template.h"

namespace vigil::alertmanager {

struct NotificationData;

class NotificationTemplates {
 public:
  // Parses the default templates, then every file matched by each glob of
  // `globs` in order (relative globs are taken from `base_dir`; a glob that
  // matches nothing is fine, as in Alertmanager). A later definition of a
  // name replaces an earlier one. InvalidArgument names the file.
  static Result<std::shared_ptr<const NotificationTemplates>> Load(const std::vector<std::string>& globs,
                                                                  const std::string& base_dir);
  // Only the default templates.
  static std::shared_ptr<const NotificationTemplates> Defaults();

  // Alertmanager's ExecuteTextString: `text` parsed as a new template that
  // can call every definition, executed with `data` as dot. "" gives "".
  Result<std::string> ExpandText(std::string_view text, const tmpl::Value& data) const;
  // ExecuteHTMLString: the same, but what each action prints is
  // HTML-escaped unless it comes from safeHtml (html/template's escaping of
  // element text; attribute and URL contexts are escaped the same way).
  Result<std::string> ExpandHtml(std::string_view text, const tmpl::Value& data) const;

  // The template data of one notification.
  static tmpl::Value MakeData(const NotificationData& d);

 private:
  explicit NotificationTemplates(tmpl::Template set) : set_(std::move(set)) {}
  Result<std::string> Expand(std::string_view text, const tmpl::Value& data, bool html) const;

  tmpl::Template set_;
};

}  // namespace vigil::alertmanager
