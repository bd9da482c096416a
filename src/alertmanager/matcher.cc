#include "alertmanager/matcher.h"

#include <re2/re2.h>

namespace vigil::alertmanager {

Result<Matcher> Matcher::Make(MatchType type, std::string name, std::string value) {
  Matcher m;
  m.type_ = type;
  m.name_ = std::move(name);
  m.value_ = std::move(value);
  if (m.is_regex()) {
    RE2::Options opts;
    opts.set_log_errors(false);
    opts.set_dot_nl(true);
    auto re = std::make_shared<const re2::RE2>("^(?:" + m.value_ + ")$", opts);
    if (!re->ok()) {
      return Status::InvalidArgument("error parsing regexp: " + re->error() + ": `" + m.value_ + "`");
    }
    m.re_ = std::move(re);
  }
  return m;
}

bool Matcher::MatchesValue(std::string_view v) const {
  switch (type_) {
    case MatchType::kEqual:
      return v == value_;
    case MatchType::kNotEqual:
      return v != value_;
    case MatchType::kRegex:
      return RE2::FullMatch(v, *re_);
    case MatchType::kNotRegex:
      return !RE2::FullMatch(v, *re_);
  }
  return false;
}

bool Matcher::Matches(const LabelSet& labels) const {
  auto it = labels.find(name_);
  return MatchesValue(it == labels.end() ? std::string_view() : std::string_view(it->second));
}

namespace {

const char* OpString(MatchType t) {
  switch (t) {
    case MatchType::kEqual:
      return "=";
    case MatchType::kNotEqual:
      return "!=";
    case MatchType::kRegex:
      return "=~";
    case MatchType::kNotRegex:
      return "!~";
  }
  return "=";
}

std::string Quote(std::string_view v) {
  std::string out = "\"";
  for (char c : v) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  out += '"';
  return out;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string Matcher::ToString() const { return name_ + OpString(type_) + Quote(value_); }

bool MatchesAll(const Matchers& ms, const LabelSet& labels) {
  for (const auto& m : ms) {
    if (!m.Matches(labels)) return false;
  }
  return true;
}

std::string MatchersString(const Matchers& ms) {
  std::string out = "{";
  for (size_t i = 0; i < ms.size(); ++i) {
    if (i > 0) out += ',';
    out += ms[i].ToString();
  }
  out += '}';
  return out;
}

Result<Matcher> ParseMatcher(std::string_view input) {
  std::string_view s = Trim(input);
  auto bad = [&] { return Status::InvalidArgument("bad matcher format: " + std::string(input)); };
  size_t i = 0;
  while (i < s.size() && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_' ||
                          s[i] == ':' || (i > 0 && s[i] >= '0' && s[i] <= '9'))) {
    ++i;
  }
  if (i == 0) return bad();
  std::string name(s.substr(0, i));
  std::string_view rest = Trim(s.substr(i));
  MatchType type;
  if (rest.starts_with("=~")) {
    type = MatchType::kRegex;
    rest.remove_prefix(2);
  } else if (rest.starts_with("!=")) {
    type = MatchType::kNotEqual;
    rest.remove_prefix(2);
  } else if (rest.starts_with("!~")) {
    type = MatchType::kNotRegex;
    rest.remove_prefix(2);
  } else if (rest.starts_with("=")) {
    type = MatchType::kEqual;
    rest.remove_prefix(1);
  } else {
    return bad();
  }
  rest = Trim(rest);
  std::string value;
  if (!rest.empty() && rest.front() == '"') {
    if (rest.size() < 2 || rest.back() != '"') return bad();
    std::string_view body = rest.substr(1, rest.size() - 2);
    for (size_t k = 0; k < body.size(); ++k) {
      char c = body[k];
      if (c == '\\' && k + 1 < body.size()) {
        char n = body[++k];
        if (n == 'n') {
          value += '\n';
        } else if (n == '"' || n == '\\') {
          value += n;
        } else {
          value += '\\';
          value += n;
        }
      } else if (c == '"') {
        return Status::InvalidArgument("matcher value contains unescaped double quote: " + std::string(body));
      } else {
        value += c;
      }
    }
  } else {
    value = std::string(rest);
  }
  return Matcher::Make(type, std::move(name), std::move(value));
}

Result<Matchers> ParseMatchers(std::string_view input) {
  std::string_view s = Trim(input);
  if (s.starts_with("{")) {
    if (!s.ends_with("}")) return Status::InvalidArgument("bad matcher format: " + std::string(input));
    s = s.substr(1, s.size() - 2);
  }
  Matchers out;
  size_t start = 0;
  bool in_quotes = false;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i < s.size()) {
      char c = s[i];
      if (in_quotes && c == '\\') {
        ++i;
        continue;
      }
      if (c == '"') in_quotes = !in_quotes;
      if (c != ',' || in_quotes) continue;
    }
    std::string_view part = Trim(s.substr(start, i - start));
    start = i + 1;
    if (part.empty()) {
      if (i == s.size()) continue;  // trailing comma
      return Status::InvalidArgument("bad matcher format: " + std::string(input));
    }
    auto m = ParseMatcher(part);
    if (!m.ok()) return m.status();
    out.push_back(std::move(*m));
  }
  return out;
}

}  // namespace vigil::alertmanager
