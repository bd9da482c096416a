#pragma once
// Label matchers, as in PromQL selectors: name=value, name!=value,
// name=~regex, name!~regex.
//
// Semantics follow Prometheus: regexes use RE2 syntax and are fully anchored
// (the value must match the whole regex, as `^(?:re)$`), and a series that
// lacks the label is matched as if its value were "". Common regex shapes are
// answered without running RE2: literals and alternations of literals
// (`a|b|c`, a set lookup), `.*`, `.+`, `lit.*`, `.*lit`, `.*lit.*`. Those fast
// paths give exactly the answer RE2 would, including that `.` matches neither
// a newline nor invalid UTF-8.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace re2 {
class RE2;
}

namespace vigil::tsdb {

enum class MatchType {
  kEqual,         // =
  kNotEqual,      // !=
  kRegexMatch,    // =~
  kRegexNoMatch,  // !~
};

// "=", "!=", "=~" or "!~".
std::string_view MatchTypeToString(MatchType type);

// One compiled label matcher. Cheap to copy (the compiled regex is shared).
// Thread-safety: immutable; any number of threads may call Matches.
class Matcher {
 public:
  // Compiles a matcher. Returns InvalidArgument carrying RE2's message when
  // `value` is not a valid regex for =~ / !~.
  static Result<Matcher> Make(MatchType type, std::string_view name, std::string_view value);
  // name="value"; cannot fail.
  static Matcher Equal(std::string_view name, std::string_view value);
  // name!="value"; cannot fail.
  static Matcher NotEqual(std::string_view name, std::string_view value);

  MatchType type() const { return type_; }
  const std::string& name() const { return name_; }
  const std::string& value() const { return value_; }

  // Whether a series whose label `name` has value `v` ("" when the label is
  // absent) is selected.
  bool Matches(std::string_view v) const { return MatchesPattern(v) != negated_; }

  // Whether a series without the label is selected (Matches("")), e.g.
  // {foo=""}, {foo!="bar"}, {foo=~"|x"}, {foo=~".*"}.
  bool MatchesEmpty() const { return matches_empty_; }

  // True for != and !~: Matches is the negation of the pattern.
  bool negated() const { return negated_; }

  // When the pattern is a finite set of literal strings (= and != always;
  // =~ and !~ for literal alternations such as "a|b|c"), that set, sorted and
  // unique; otherwise nullptr. The pattern matches exactly these values, so
  // Matches(v) == (v in set) != negated(). Valid while the matcher lives.
  const std::vector<std::string>* LiteralSet() const {
    return kind_ == Kind::kLiteralSet ? &literals_ : nullptr;
  }

  // True when Matches(v) holds for every non-empty v and not for "", i.e.
  // name!="" and name!~"" ("the label is present").
  bool MatchesEveryNonEmptyValue() const {
    return negated_ && kind_ == Kind::kLiteralSet && literals_.size() == 1 && literals_[0].empty();
  }

  // The matcher as PromQL prints it: name=~"value" with the value quoted.
  std::string ToString() const;

 private:
  // How the (un-negated) pattern is evaluated.
  enum class Kind {
    kLiteralSet,  // value in literals_
    kAnyText,     // .*  : valid UTF-8 without newline
    kNonEmptyText,// .+
    kPrefix,      // literal.*
    kSuffix,      // .*literal
    kContains,    // .*literal.*
    kRegex,       // RE2, anchored at both ends
  };

  Matcher() = default;
  bool MatchesPattern(std::string_view v) const;
  void Classify(std::string_view pattern);

  MatchType type_ = MatchType::kEqual;
  bool negated_ = false;
  bool matches_empty_ = false;
  Kind kind_ = Kind::kLiteralSet;
  std::string name_;
  std::string value_;
  std::vector<std::string> literals_;  // kLiteralSet: the set; kPrefix/kSuffix/kContains: one literal
  std::shared_ptr<const re2::RE2> regex_;  // kRegex only
};

}  // namespace vigil::tsdb
