#include "tsdb/matcher.h"

#include <re2/re2.h>

#include <algorithm>
#include <cstring>

#include "tsdb/labels.h"

namespace vigil::tsdb {
namespace {

// Literal sets up to this size are scanned; larger ones binary-searched.
constexpr size_t kLinearSetLimit = 8;

bool IsRegexMeta(char c) { return std::strchr("\\.+*?()|[]{}^$", c) != nullptr && c != '\0'; }

bool IsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Parses `pattern` as `lit|lit|...` where each literal is plain characters and
// escaped ASCII punctuation (`\.`). Appends the decoded literals to `*out`.
// Returns false for anything else (classes, groups, repetitions, `\d`, ...).
// REQUIRES: RE2 accepted `pattern`, so escapes are well-formed.
bool ParseLiteralAlternation(std::string_view pattern, bool allow_alternation,
                             std::vector<std::string>* out) {
  std::string current;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\') {
      if (i + 1 >= pattern.size()) return false;
      const char next = pattern[i + 1];
      if (static_cast<unsigned char>(next) >= 0x80 || IsAsciiAlnum(next)) return false;
      current.push_back(next);
      ++i;
    } else if (c == '|') {
      if (!allow_alternation) return false;
      out->push_back(std::move(current));
      current.clear();
    } else if (IsRegexMeta(c)) {
      return false;
    } else {
      current.push_back(c);
    }
  }
  out->push_back(std::move(current));
  return true;
}

// What `.*` matches in RE2: any valid UTF-8 without a newline.
bool IsDotText(std::string_view v) {
  return std::memchr(v.data(), '\n', v.size()) == nullptr && IsValidUtf8(v);
}

}  // namespace

std::string_view MatchTypeToString(MatchType type) {
  switch (type) {
    case MatchType::kEqual: return "=";
    case MatchType::kNotEqual: return "!=";
    case MatchType::kRegexMatch: return "=~";
    case MatchType::kRegexNoMatch: return "!~";
  }
  return "?";
}

Result<Matcher> Matcher::Make(MatchType type, std::string_view name, std::string_view value) {
  Matcher m;
  m.type_ = type;
  m.negated_ = type == MatchType::kNotEqual || type == MatchType::kRegexNoMatch;
  m.name_.assign(name);
  m.value_.assign(value);
  if (type == MatchType::kEqual || type == MatchType::kNotEqual) {
    m.kind_ = Kind::kLiteralSet;
    m.literals_.emplace_back(value);
  } else {
    RE2::Options options;
    options.set_log_errors(false);
    // Compiled unwrapped and matched with ANCHOR_BOTH: the same as ^(?:re)$,
    // but a pattern such as "a)|(b" is rejected instead of being re-parsed
    // across the added group.
    auto regex = std::make_shared<RE2>(re2::StringPiece(value.data(), value.size()), options);
    if (!regex->ok()) {
      return Status::InvalidArgument("error parsing regexp: " + regex->error());
    }
    m.Classify(value);
    if (m.kind_ == Kind::kRegex) m.regex_ = std::move(regex);
  }
  m.matches_empty_ = m.Matches("");
  return m;
}

Matcher Matcher::Equal(std::string_view name, std::string_view value) {
  return std::move(Make(MatchType::kEqual, name, value)).value();
}

Matcher Matcher::NotEqual(std::string_view name, std::string_view value) {
  return std::move(Make(MatchType::kNotEqual, name, value)).value();
}

void Matcher::Classify(std::string_view pattern) {
  literals_.clear();
  if (ParseLiteralAlternation(pattern, /*allow_alternation=*/true, &literals_)) {
    std::sort(literals_.begin(), literals_.end());
    literals_.erase(std::unique(literals_.begin(), literals_.end()), literals_.end());
    kind_ = Kind::kLiteralSet;
    return;
  }
  literals_.clear();
  if (pattern == ".*") {
    kind_ = Kind::kAnyText;
    return;
  }
  if (pattern == ".+") {
    kind_ = Kind::kNonEmptyText;
    return;
  }
  const bool leading = pattern.starts_with(".*");
  if (leading) pattern.remove_prefix(2);
  const bool trailing = pattern.ends_with(".*");
  if (trailing) pattern.remove_suffix(2);
  if ((leading || trailing) && !pattern.empty() &&
      ParseLiteralAlternation(pattern, /*allow_alternation=*/false, &literals_) &&
      literals_[0].find('\n') == std::string::npos) {
    kind_ = leading && trailing ? Kind::kContains : leading ? Kind::kSuffix : Kind::kPrefix;
    return;
  }
  literals_.clear();
  kind_ = Kind::kRegex;
}

bool Matcher::MatchesPattern(std::string_view v) const {
  switch (kind_) {
    case Kind::kLiteralSet:
      if (literals_.size() <= kLinearSetLimit) {
        for (const std::string& lit : literals_) {
          if (lit == v) return true;
        }
        return false;
      }
      return std::binary_search(literals_.begin(), literals_.end(), v,
                                [](std::string_view a, std::string_view b) { return a < b; });
    case Kind::kAnyText:
      return IsDotText(v);
    case Kind::kNonEmptyText:
      return !v.empty() && IsDotText(v);
    case Kind::kPrefix:
      return v.starts_with(literals_[0]) && IsDotText(v.substr(literals_[0].size()));
    case Kind::kSuffix:
      return v.ends_with(literals_[0]) && IsDotText(v.substr(0, v.size() - literals_[0].size()));
    case Kind::kContains:
      // The literal has no newline and is whole UTF-8 characters, so a split
      // around it is dot-text on both sides exactly when all of v is.
      return v.find(literals_[0]) != std::string_view::npos && IsDotText(v);
    case Kind::kRegex:
      return regex_->Match(re2::StringPiece(v.data(), v.size()), 0, v.size(), RE2::ANCHOR_BOTH,
                           nullptr, 0);
  }
  return false;
}

std::string Matcher::ToString() const {
  std::string out = name_;
  out.append(MatchTypeToString(type_));
  AppendQuoted(&out, value_);
  return out;
}

}  // namespace vigil::tsdb
