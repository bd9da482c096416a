#include "relabel/validate.h"

#include <string>

#include "tsdb/labels.h"

namespace vigil::relabel::internal {
namespace {

// Prometheus' relabelTarget: label names with `$1` / `${name}` references.
bool IsValidTargetTemplate(std::string_view s) {
  static const RE2* const kTarget = [] {
    RE2::Options options;
    options.set_log_errors(false);
    return new RE2(R"(^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$)", options);
  }();
  return RE2::FullMatch(re2::StringPiece(s.data(), s.size()), *kTarget);
}

std::string Quoted(std::string_view s) {
  std::string out;
  tsdb::AppendQuoted(&out, s);
  return out;
}

// Go's regexp/syntax error text for an RE2 error code.
std::string_view GoRegexpError(RE2::ErrorCode code) {
  switch (code) {
    case RE2::ErrorBadEscape: return "invalid escape sequence";
    case RE2::ErrorBadCharClass: return "invalid character class";
    case RE2::ErrorBadCharRange: return "invalid character class range";
    case RE2::ErrorMissingBracket: return "missing closing ]";
    case RE2::ErrorMissingParen: return "missing closing )";
    case RE2::ErrorUnexpectedParen: return "unexpected )";
    case RE2::ErrorTrailingBackslash: return "trailing backslash at end of expression";
    case RE2::ErrorRepeatArgument: return "missing argument to repetition operator";
    case RE2::ErrorRepeatSize: return "invalid repeat count";
    case RE2::ErrorRepeatOp: return "invalid nested repetition operator";
    case RE2::ErrorBadPerlOp: return "invalid or unsupported Perl syntax";
    case RE2::ErrorBadUTF8: return "invalid UTF-8";
    case RE2::ErrorBadNamedCapture: return "invalid named capture";
    case RE2::ErrorPatternTooLarge: return "expression too large";
    default: return "regexp/syntax: internal error";
  }
}

Status RegexpError(std::string_view what, std::string_view expr) {
  std::string msg = "error parsing regexp: ";
  msg.append(what).append(": `").append(expr).append("`");
  return Status::InvalidArgument(std::move(msg));
}

}  // namespace

Result<std::unique_ptr<re2::RE2>> CompileAnchored(std::string_view regex) {
  // RE2 accepts `\C` (any byte); Go does not.
  for (size_t i = 0; i + 1 < regex.size(); ++i) {
    if (regex[i] != '\\') continue;
    if (regex[i + 1] == 'C') return RegexpError("invalid escape sequence", "\\C");
    ++i;  // skip the escaped character
  }
  std::string anchored = "^(?:";
  anchored.append(regex).append(")$");
  RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_unique<RE2>(anchored, options);
  if (!re->ok()) {
    const std::string& arg = re->error_arg();
    return RegexpError(GoRegexpError(re->error_code()), arg.empty() ? anchored : arg);
  }
  return re;
}

Status ValidateFields(const RelabelConfig& c, const ExplicitFields& explicit_fields) {
  const Action a = c.action;
  const std::string name(ActionName(a));
  const bool takes_target_template = a == Action::kReplace || a == Action::kLowercase ||
                                     a == Action::kUppercase || a == Action::kKeepEqual ||
                                     a == Action::kDropEqual;
  const bool fixed_replacement = a == Action::kLowercase || a == Action::kUppercase ||
                                 a == Action::kKeepEqual || a == Action::kDropEqual;
  const RelabelConfig defaults;

  if (c.modulus == 0 && a == Action::kHashMod) {
    return Status::InvalidArgument("relabel configuration for hashmod requires non-zero modulus");
  }
  if ((takes_target_template || a == Action::kHashMod) && c.target_label.empty()) {
    return Status::InvalidArgument("relabel configuration for " + name +
                                   " action requires 'target_label' value");
  }
  if (takes_target_template && !IsValidTargetTemplate(c.target_label)) {
    return Status::InvalidArgument(Quoted(c.target_label) + " is invalid 'target_label' for " + name +
                                   " action");
  }
  if (fixed_replacement && c.replacement != defaults.replacement) {
    return Status::InvalidArgument("'replacement' can not be set for " + name + " action");
  }
  if (a == Action::kLabelMap && !IsValidTargetTemplate(c.replacement)) {
    return Status::InvalidArgument(Quoted(c.replacement) + " is invalid 'replacement' for " + name +
                                   " action");
  }
  if (a == Action::kHashMod && !tsdb::IsValidLabelName(c.target_label)) {
    return Status::InvalidArgument(Quoted(c.target_label) + " is invalid 'target_label' for " + name +
                                   " action");
  }
  if (a == Action::kKeepEqual || a == Action::kDropEqual) {
    if (explicit_fields.regex || c.modulus != defaults.modulus || c.separator != defaults.separator ||
        c.replacement != defaults.replacement) {
      return Status::InvalidArgument(name +
                                     " action requires only 'source_labels' and `target_label`, and no other fields");
    }
  }
  if (a == Action::kLabelDrop || a == Action::kLabelKeep) {
    if (explicit_fields.source_labels || !c.target_label.empty() || c.modulus != defaults.modulus ||
        c.separator != defaults.separator || c.replacement != defaults.replacement) {
      return Status::InvalidArgument(name + " action requires only 'regex', and no other fields");
    }
  }
  return Status::Ok();
}

}  // namespace vigil::relabel::internal
