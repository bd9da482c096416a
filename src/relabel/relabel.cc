#include "relabel/relabel.h"

#include <openssl/evp.h>
#include <re2/re2.h>

#include <array>
#include <utility>

#include "relabel/go_text.h"
#include "relabel/validate.h"

namespace vigil::relabel {
namespace {

constexpr std::array<std::pair<Action, std::string_view>, 11> kActionNames = {{
    {Action::kReplace, "replace"},
    {Action::kKeep, "keep"},
    {Action::kDrop, "drop"},
    {Action::kKeepEqual, "keepequal"},
    {Action::kDropEqual, "dropequal"},
    {Action::kHashMod, "hashmod"},
    {Action::kLabelMap, "labelmap"},
    {Action::kLabelDrop, "labeldrop"},
    {Action::kLabelKeep, "labelkeep"},
    {Action::kLowercase, "lowercase"},
    {Action::kUppercase, "uppercase"},
}};

char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; }

re2::StringPiece Piece(std::string_view s) { return re2::StringPiece(s.data(), s.size()); }

}  // namespace

struct Relabeler::Compiled {
  std::unique_ptr<re2::RE2> regex;
  int groups = 0;  // capturing groups, not counting the whole match
};

std::string_view ActionName(Action action) {
  for (const auto& [a, name] : kActionNames) {
    if (a == action) return name;
  }
  return "unknown";
}

std::optional<Action> ParseAction(std::string_view name) {
  // Go's strings.ToLower also folds non-ASCII letters, but no action name
  // has any, so a name with them is unknown either way.
  std::string lower;
  lower.reserve(name.size());
  for (char c : name) lower.push_back(AsciiLower(c));
  for (const auto& [a, n] : kActionNames) {
    if (n == lower) return a;
  }
  return std::nullopt;
}

Status Validate(const RelabelConfig& config) {
  auto re = internal::CompileAnchored(config.regex);
  if (!re.ok()) return re.status();
  internal::ExplicitFields explicit_fields;
  explicit_fields.regex = config.regex != kDefaultRegex;
  explicit_fields.source_labels = !config.source_labels.empty();
  return internal::ValidateFields(config, explicit_fields);
}

uint64_t HashMod(std::string_view value, uint64_t modulus) {
  if (modulus == 0) return 0;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  // MD5 as Prometheus uses it: a stable spread, not a security property.
  if (EVP_Digest(value.data(), value.size(), digest, &length, EVP_md5(), nullptr) != 1 || length != 16) {
    return 0;  // unreachable with a working libcrypto
  }
  uint64_t tail = 0;
  for (int i = 8; i < 16; ++i) tail = (tail << 8) | digest[i];
  return tail % modulus;
}

Result<Relabeler> Relabeler::Compile(std::vector<RelabelConfig> configs) {
  Relabeler out;
  out.compiled_.reserve(configs.size());
  for (const RelabelConfig& config : configs) {
    auto re = internal::CompileAnchored(config.regex);
    if (!re.ok()) return re.status();
    internal::ExplicitFields explicit_fields;
    explicit_fields.regex = config.regex != kDefaultRegex;
    explicit_fields.source_labels = !config.source_labels.empty();
    if (Status s = internal::ValidateFields(config, explicit_fields); !s.ok()) return s;
    auto compiled = std::make_shared<Compiled>();
    compiled->regex = std::move(re).value();
    compiled->groups = compiled->regex->NumberOfCapturingGroups();
    out.compiled_.push_back(std::move(compiled));
  }
  out.configs_ = std::move(configs);
  return out;
}

bool Relabeler::Process(tsdb::LabelsBuilder* builder) const {
  std::string value;
  std::vector<re2::StringPiece> pieces;
  std::vector<std::string_view> groups;
  // Matches `input` against the rule's regex and fills `groups`.
  auto match = [&](const Compiled& c, std::string_view input) {
    pieces.assign(static_cast<size_t>(c.groups) + 1, re2::StringPiece());
    if (!c.regex->Match(Piece(input), 0, input.size(), re2::RE2::ANCHOR_BOTH, pieces.data(),
                        static_cast<int>(pieces.size()))) {
      return false;
    }
    groups.clear();
    for (const re2::StringPiece& p : pieces) groups.emplace_back(p.data(), p.size());
    return true;
  };

  for (size_t i = 0; i < configs_.size(); ++i) {
    const RelabelConfig& cfg = configs_[i];
    const Compiled& c = *compiled_[i];
    value.clear();
    for (size_t k = 0; k < cfg.source_labels.size(); ++k) {
      if (k > 0) value.append(cfg.separator);
      value.append(builder->Get(cfg.source_labels[k]));
    }
    // The groups of the last successful match(); valid until the next one.
    auto matched = [&] { return internal::MatchGroups{groups, &c.regex->NamedCapturingGroups()}; };

    switch (cfg.action) {
      case Action::kDrop:
        if (re2::RE2::FullMatch(Piece(value), *c.regex)) return false;
        break;
      case Action::kKeep:
        if (!re2::RE2::FullMatch(Piece(value), *c.regex)) return false;
        break;
      case Action::kDropEqual:
        if (builder->Get(cfg.target_label) == value) return false;
        break;
      case Action::kKeepEqual:
        if (builder->Get(cfg.target_label) != value) return false;
        break;
      case Action::kReplace: {
        if (!match(c, value)) break;  // no match: no replacement
        std::string target;
        internal::ExpandTemplate(cfg.target_label, matched(), &target);
        // Prometheus 2.42 deletes the label named by the unexpanded
        // target_label in both cases below.
        if (!tsdb::IsValidLabelName(target)) {
          builder->Del(cfg.target_label);
          break;
        }
        std::string replaced;
        internal::ExpandTemplate(cfg.replacement, matched(), &replaced);
        if (replaced.empty()) {
          builder->Del(cfg.target_label);
          break;
        }
        builder->Set(target, replaced);
        break;
      }
      case Action::kLowercase:
        builder->Set(cfg.target_label, internal::GoToLower(value));
        break;
      case Action::kUppercase:
        builder->Set(cfg.target_label, internal::GoToUpper(value));
        break;
      case Action::kHashMod:
        builder->Set(cfg.target_label, std::to_string(HashMod(value, cfg.modulus)));
        break;
      case Action::kLabelMap: {
        // Every rule sees the set as the previous rule left it.
        const tsdb::Labels snapshot = builder->Build();
        for (tsdb::Label l : snapshot) {
          if (!match(c, l.name)) continue;
          std::string name;
          internal::ExpandTemplate(cfg.replacement, matched(), &name);
          builder->Set(name, l.value);
        }
        break;
      }
      case Action::kLabelDrop:
      case Action::kLabelKeep: {
        const bool drop_matching = cfg.action == Action::kLabelDrop;
        const tsdb::Labels snapshot = builder->Build();
        for (tsdb::Label l : snapshot) {
          if (re2::RE2::FullMatch(Piece(l.name), *c.regex) == drop_matching) builder->Del(l.name);
        }
        break;
      }
    }
  }
  return true;
}

std::optional<tsdb::Labels> Relabeler::Process(const tsdb::Labels& labels) const {
  tsdb::LabelsBuilder builder(labels);
  if (!Process(&builder)) return std::nullopt;
  return builder.Build();
}

}  // namespace vigil::relabel
