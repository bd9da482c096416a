#pragma once
// Label matchers as Alertmanager writes them: `name="value"`, `name!=value`,
// `name=~"regex"`, `name!~regex`, alone or as a set `{a="x", b=~"y.*"}`.
// Regexes use RE2 (Go's syntax) and are fully anchored. A missing label
// matches as the empty string.
//
// Thread-safety: a Matcher is immutable after construction and safe to share.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "alertmanager/model.h"
#include "base/status.h"

namespace re2 {
class RE2;
}

namespace vigil::alertmanager {

enum class MatchType { kEqual, kNotEqual, kRegex, kNotRegex };

class Matcher {
 public:
  // Builds a matcher; InvalidArgument when a regex does not compile.
  static Result<Matcher> Make(MatchType type, std::string name, std::string value);

  // True when the label `name` of `labels` (empty when absent) satisfies it.
  bool Matches(const LabelSet& labels) const;
  // True when the value `v` satisfies it.
  bool MatchesValue(std::string_view v) const;

  MatchType type() const { return type_; }
  const std::string& name() const { return name_; }
  const std::string& value() const { return value_; }
  bool is_regex() const { return type_ == MatchType::kRegex || type_ == MatchType::kNotRegex; }
  bool is_equal() const { return type_ == MatchType::kEqual || type_ == MatchType::kRegex; }
  // `name="value"` with the operator of the type, value quoted as Go's %q does.
  std::string ToString() const;

 private:
  MatchType type_ = MatchType::kEqual;
  std::string name_;
  std::string value_;
  std::shared_ptr<const re2::RE2> re_;
};

using Matchers = std::vector<Matcher>;

// True when every matcher matches (an empty set matches everything).
bool MatchesAll(const Matchers& ms, const LabelSet& labels);
// `{a="x",b=~"y"}`: Alertmanager's Matchers.String(), matchers in given order.
std::string MatchersString(const Matchers& ms);

// Parses one matcher such as `severity!="info"` or `job=~node.*` (the value
// may be quoted; inside quotes \" \\ and \n are escapes).
Result<Matcher> ParseMatcher(std::string_view s);
// Parses a comma-separated list, optionally in braces: `{a="1", b=~"x|y"}`.
// Commas inside quoted values do not split.
Result<Matchers> ParseMatchers(std::string_view s);

}  // namespace vigil::alertmanager
