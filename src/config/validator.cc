#include "config/validator.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>

namespace vigil::config {
namespace {

constexpr std::string_view kDefaultSource = "(built-in default)";

// `map[key]` without inserting anything; false when `map` is not a map or has no such key.
bool Lookup(const YAML::Node& map, const std::string& key, YAML::Node* out) {
  if (!map.IsDefined() || !map.IsMap()) return false;
  const YAML::Node& cmap = map;
  YAML::Node v = cmap[key];
  if (!v.IsDefined()) return false;
  out->reset(v);
  return true;
}

// The raw value at root[section][key]; false when the user did not set it.
bool RawAt(const YAML::Node& root, const std::string& section, const std::string& key, YAML::Node* out) {
  YAML::Node sec;
  return Lookup(root, section, &sec) && Lookup(sec, key, out);
}

std::string Describe(const YAML::Node& n) {
  if (n.IsMap()) return "a map";
  if (n.IsSequence()) return "a list";
  if (n.IsNull()) return "an empty value";
  return "\"" + n.Scalar() + "\"";
}

// The part of a parser's message after `invalid xxx "value": `.
std::string Reason(const Status& st) {
  const std::string& m = st.message();
  size_t at = m.find("\": ");
  return at == std::string::npos ? m : m.substr(at + 3);
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

std::string Expected(const FieldSpec& f) {
  switch (f.type) {
    case FieldType::kBool: return "true or false";
    case FieldType::kInt: return "an integer in " + std::to_string(f.min) + ".." + std::to_string(f.max);
    case FieldType::kString: return "a string";
    case FieldType::kDuration: return "a duration such as 15s, 1m30s or 15d";
    case FieldType::kSize: return "a size such as 64MiB, 1KB or a number of bytes";
    case FieldType::kHostPort: return f.allow_empty ? "host:port or \"\"" : "host:port";
    case FieldType::kStringList: return "a list of strings such as [a, b]";
    case FieldType::kEnum: return "one of " + Join(f.allowed);
    case FieldType::kAny: return "any YAML";
  }
  return "?";
}

bool ParseBool(std::string_view s, bool* out) {
  std::string lower;
  for (char c : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "true" || lower == "yes" || lower == "on") {
    *out = true;
    return true;
  }
  if (lower == "false" || lower == "no" || lower == "off") {
    *out = false;
    return true;
  }
  return false;
}

// Builds the effective tree for one load. Single use.
class EffectiveBuilder {
 public:
  EffectiveBuilder(const Schema& schema, const OriginMap& origins, std::vector<ConfigError>* errors)
      : schema_(schema), origins_(origins), errors_(errors) {}

  YAML::Node Run(const YAML::Node& root) {
    CheckKeys(root, "", [&](const std::string& k) { return schema_.FindTopField(k) || schema_.FindSection(k); },
              Join(schema_.TopLevelKeys()));
    // The variables first: every other string may refer to them.
    admin_ip_ = RawVariable(root, "admin_ip");
    data_dir_ = SubstituteVariables(RawVariable(root, "data_dir"), admin_ip_, "${data_dir}");

    YAML::Node out(YAML::NodeType::Map);
    for (const auto& key : schema_.TopLevelKeys()) {
      if (const FieldSpec* f = schema_.FindTopField(key)) {
        out[key] = FieldValue(*f, root, key);
      } else {
        out[key] = SectionValue(*schema_.FindSection(key), root);
      }
    }
    CheckInfraPortal(root, &out);
    CheckScrapeTimeout(root, out);
    CheckRepoName(root, out);
    return out;
  }

 private:
  void Error(const std::string& path, const YAML::Node& node, std::string message) {
    ConfigError e;
    if (in_default_) {
      e.source = std::string(kDefaultSource);
      e.key = path;
    } else {
      e = origins_.At(path, node);
    }
    e.message = std::move(message);
    errors_->push_back(std::move(e));
  }

  std::string Subst(std::string_view s) const { return SubstituteVariables(s, admin_ip_, data_dir_); }

  // The scalar at root[key] if it is one, else the schema default.
  std::string RawVariable(const YAML::Node& root, const std::string& key) const {
    YAML::Node v;
    if (Lookup(root, key, &v) && v.IsScalar() && !v.Scalar().empty()) return v.Scalar();
    return YAML::Load(schema_.FindTopField(key)->default_yaml).Scalar();
  }

  // Reports non-scalar, unknown and duplicate keys of `map`.
  void CheckKeys(const YAML::Node& map, const std::string& prefix, const std::function<bool(const std::string&)>& known,
                 const std::string& expected) {
    if (!map.IsDefined() || !map.IsMap()) return;
    std::vector<std::pair<std::string, YAML::Mark>> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      const YAML::Node k = it->first;  // a copy: `it->` yields a temporary proxy
      if (!k.IsScalar()) {
        Error(prefix.empty() ? "(top level)" : prefix, k, "a key must be a plain name, got " + Describe(k));
        continue;
      }
      std::string path = prefix.empty() ? k.Scalar() : prefix + "." + k.Scalar();
      if (!known(k.Scalar())) {
        Error(path, k, "unknown key (expected one of: " + expected + ")");
        continue;
      }
      for (const auto& [name, mark] : seen) {
        if (name == k.Scalar()) {
          Error(path, k, "duplicate key (first set at line " + std::to_string(mark.line + 1) + ")");
          break;
        }
      }
      seen.emplace_back(k.Scalar(), k.Mark());
    }
  }

  YAML::Node SectionValue(const SectionSpec& spec, const YAML::Node& root) {
    YAML::Node raw;
    bool present = Lookup(root, spec.name, &raw);
    if (present && !raw.IsNull() && !raw.IsMap()) {
      Error(spec.name, raw, "expected a map of settings (" + spec.KeyList() + "), got " + Describe(raw));
      present = false;
    }
    if (present) {
      CheckKeys(raw, spec.name, [&](const std::string& k) { return spec.Find(k) != nullptr; }, spec.KeyList());
    } else {
      raw = YAML::Node(YAML::NodeType::Null);
    }
    YAML::Node out(YAML::NodeType::Map);
    for (const auto& f : spec.fields) out[f.name] = FieldValue(f, raw, spec.name + "." + f.name);
    return out;
  }

  // The converted value of `parent[f.name]`, or of the default when absent.
  YAML::Node FieldValue(const FieldSpec& f, const YAML::Node& parent, const std::string& path) {
    YAML::Node v, out;
    if (Lookup(parent, f.name, &v)) {
      Convert(f, v, path, &out);
      return out;
    }
    in_default_ = true;
    Convert(f, YAML::Load(f.default_yaml), path, &out);
    in_default_ = false;
    return out;
  }

  // Checks `v` against `f` and stores its effective form in *out.
  void Convert(const FieldSpec& f, const YAML::Node& v, const std::string& path, YAML::Node* out) {
    if (f.type == FieldType::kAny) {
      *out = SubstituteTree(v);
      return;
    }
    if (f.type == FieldType::kStringList) {
      ConvertList(f, v, path, out);
      return;
    }
    if (!v.IsScalar() && !v.IsNull()) {
      Error(path, v, "expected " + Expected(f) + ", got " + Describe(v));
      return;
    }
    const bool empty_value = v.IsNull();
    const std::string s = empty_value ? std::string() : Subst(v.Scalar());
    const bool null_means_empty = f.type == FieldType::kString || f.type == FieldType::kHostPort;
    if (empty_value && !null_means_empty) {
      Error(path, v, "expected " + Expected(f) + ", got an empty value");
      return;
    }
    auto bad = [&](const std::string& detail) {
      Error(path, v, "expected " + Expected(f) + ", got \"" + s + "\"" + (detail.empty() ? "" : " (" + detail + ")"));
    };
    switch (f.type) {
      case FieldType::kBool: {
        bool b = false;
        if (!ParseBool(s, &b)) return bad("");
        *out = YAML::Node(b);
        return;
      }
      case FieldType::kInt: {
        int64_t n = 0;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
        if (ec != std::errc() || end != s.data() + s.size()) return bad("");
        if (n < f.min || n > f.max) return bad("out of range");
        *out = YAML::Node(n);
        return;
      }
      case FieldType::kString:
        if (s.empty() && !f.allow_empty) {
          Error(path, v, "must not be empty");
          return;
        }
        *out = YAML::Node(s);
        return;
      case FieldType::kDuration: {
        auto d = ParseDuration(s);
        if (!d.ok()) return bad(Reason(d.status()));
        *out = YAML::Node(s);
        return;
      }
      case FieldType::kSize: {
        auto n = ParseSize(s);
        if (!n.ok()) return bad(Reason(n.status()));
        *out = YAML::Node(s);
        return;
      }
      case FieldType::kHostPort: {
        if (s.empty()) {
          if (!f.allow_empty) return bad("empty");
          *out = YAML::Node(s);
          return;
        }
        auto hp = ParseHostPort(s);
        if (!hp.ok()) return bad(Reason(hp.status()));
        *out = YAML::Node(s);
        return;
      }
      case FieldType::kEnum:
        for (const auto& a : f.allowed) {
          if (a == s) {
            *out = YAML::Node(s);
            return;
          }
        }
        return bad("");
      case FieldType::kStringList:
      case FieldType::kAny:
        break;  // handled above
    }
  }

  void ConvertList(const FieldSpec& f, const YAML::Node& v, const std::string& path, YAML::Node* out) {
    YAML::Node seq(YAML::NodeType::Sequence);
    if (v.IsNull()) {
      *out = seq;
      return;
    }
    if (!v.IsSequence()) {
      Error(path, v, "expected " + Expected(f) + ", got " + Describe(v));
      return;
    }
    size_t i = 0;
    for (const auto& item : v) {
      if (!item.IsScalar()) {
        Error(path + "[" + std::to_string(i) + "]", item, "expected a string, got " + Describe(item));
      } else {
        seq.push_back(Subst(item.Scalar()));
      }
      ++i;
    }
    *out = seq;
  }

  // A deep copy of `n` with the variables substituted in every scalar value.
  YAML::Node SubstituteTree(const YAML::Node& n) const {
    switch (n.Type()) {
      case YAML::NodeType::Scalar: {
        YAML::Node out(Subst(n.Scalar()));
        out.SetTag(n.Tag());
        return out;
      }
      case YAML::NodeType::Sequence: {
        YAML::Node out(YAML::NodeType::Sequence);
        for (const auto& item : n) out.push_back(SubstituteTree(item));
        return out;
      }
      case YAML::NodeType::Map: {
        YAML::Node out(YAML::NodeType::Map);
        for (auto it = n.begin(); it != n.end(); ++it) out.force_insert(YAML::Clone(it->first), SubstituteTree(it->second));
        return out;
      }
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        break;
    }
    return YAML::Node(YAML::NodeType::Null);
  }

  // infra_portal: a map of entry name -> map (domain, endpoint, path, ...).
  void CheckInfraPortal(const YAML::Node& root, YAML::Node* out) {
    YAML::Node raw;
    if (!Lookup(root, "infra_portal", &raw)) return;
    if (raw.IsNull()) {
      (*out)["infra_portal"] = YAML::Node(YAML::NodeType::Map);
      return;
    }
    if (!raw.IsMap()) {
      Error("infra_portal", raw,
            "expected a map of portal entries such as { home: { domain: i.pigsty } }, got " + Describe(raw));
      return;
    }
    for (auto it = raw.begin(); it != raw.end(); ++it) {
      if (!it->second.IsMap()) {
        Error("infra_portal." + it->first.Scalar(), it->second,
              "expected a map with keys such as domain, endpoint, path, websocket, got " + Describe(it->second));
      }
    }
  }

  void CheckScrapeTimeout(const YAML::Node& root, const YAML::Node& out) {
    const YAML::Node scrape = out["scrape"];
    if (!scrape.IsMap() || !scrape["scrape_timeout"].IsScalar() || !scrape["scrape_interval"].IsScalar()) return;
    auto timeout = ParseDuration(scrape["scrape_timeout"].Scalar());
    auto interval = ParseDuration(scrape["scrape_interval"].Scalar());
    if (!timeout.ok() || !interval.ok() || *timeout <= *interval) return;
    YAML::Node at;  // no position when neither key was set by the user
    std::string key = "scrape.scrape_timeout";
    if (!RawAt(root, "scrape", "scrape_timeout", &at) && RawAt(root, "scrape", "scrape_interval", &at)) {
      key = "scrape.scrape_interval";
    }
    Error(key, at,
          "scrape_timeout (" + scrape["scrape_timeout"].Scalar() + ") must not exceed scrape_interval (" +
              scrape["scrape_interval"].Scalar() + ")");
  }

  // repo.name is one URL path segment and directory name: /pigsty, <home>/pigsty.
  void CheckRepoName(const YAML::Node& root, const YAML::Node& out) {
    const YAML::Node name = out["repo"]["name"];
    if (!name.IsScalar()) return;
    const std::string& s = name.Scalar();
    if (s.empty()) return;  // the key's own check reports it
    bool ok = s != "." && s != ".." && std::all_of(s.begin(), s.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
             c == '.';
    });
    if (ok) return;
    YAML::Node at;
    RawAt(root, "repo", "name", &at);
    Error("repo.name", at,
          "expected one path segment of letters, digits, '-', '_' or '.' such as pigsty, got \"" + s + "\"");
  }

  const Schema& schema_;
  const OriginMap& origins_;
  std::vector<ConfigError>* errors_;
  std::string admin_ip_;
  std::string data_dir_;
  bool in_default_ = false;
};

}  // namespace

std::string SubstituteVariables(std::string_view s, const std::string& admin_ip, const std::string& data_dir) {
  static constexpr std::string_view kAdminIp = "${admin_ip}";
  static constexpr std::string_view kDataDir = "${data_dir}";
  std::string out;
  size_t pos = 0;
  while (pos < s.size()) {
    if (s.substr(pos, kAdminIp.size()) == kAdminIp) {
      out += admin_ip;
      pos += kAdminIp.size();
    } else if (s.substr(pos, kDataDir.size()) == kDataDir) {
      out += data_dir;
      pos += kDataDir.size();
    } else {
      out += s[pos++];
    }
  }
  return out;
}

YAML::Node BuildEffective(const Schema& schema, const YAML::Node& root, const OriginMap& origins,
                          std::vector<ConfigError>* errors) {
  EffectiveBuilder builder(schema, origins, errors);
  return builder.Run(root);
}

}  // namespace vigil::config
