// LoadSettings: find the file, parse it, apply overrides, validate, and turn
// the effective tree into a Settings value.

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>

#include "config/config.h"
#include "config/overrides.h"
#include "config/validator.h"

namespace vigil::config {
namespace {

constexpr std::string_view kBuiltInSource = "(built-in defaults)";

// Reads a whole file. False with *error set when it cannot.
bool ReadFile(const std::string& path, std::string* text, std::string* error) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    *error = "cannot read the config file: it is a directory";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = std::string("cannot read the config file: ") + std::strerror(errno);
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    *error = "cannot read the config file: read error";
    return false;
  }
  *text = ss.str();
  return true;
}

// Parses `text` as one YAML document. Returns false after appending an error.
bool ParseDocument(std::string_view text, const std::string& source, YAML::Node* root,
                   std::vector<ConfigError>* errors) {
  try {
    std::vector<YAML::Node> docs = YAML::LoadAll(std::string(text));
    if (docs.size() > 1) {
      ConfigError e = MakeError(source, "", "expected one YAML document, found " + std::to_string(docs.size()));
      const YAML::Mark m = docs[1].Mark();
      if (!m.is_null()) {
        e.line = m.line + 1;
        e.column = m.column + 1;
      }
      errors->push_back(std::move(e));
      return false;
    }
    *root = docs.empty() ? YAML::Node(YAML::NodeType::Null) : docs[0];
    return true;
  } catch (const YAML::Exception& ex) {
    ConfigError e = MakeError(source, "", ex.msg);
    if (!ex.mark.is_null()) {
      e.line = ex.mark.line + 1;
      e.column = ex.mark.column + 1;
    }
    errors->push_back(std::move(e));
    return false;
  }
}

void FillSettings(const Schema& schema, const YAML::Node& effective, const std::string& source, Settings* out) {
  *out = Settings();
  out->source = source;
  out->effective.reset(effective);  // YAML::Node handles are bound with reset(), never operator=
  out->admin_ip = effective["admin_ip"].Scalar();
  out->data_dir = effective["data_dir"].Scalar();
  const YAML::Node log = effective["log"];
  out->log_level = log["level"].Scalar();
  out->log_format = log["format"].Scalar();
  const YAML::Node http = effective["http"];
  out->http.max_header_size = GetSize(http, "max_header_size");
  out->http.idle_timeout = GetDuration(http, "idle_timeout");
  out->http.read_timeout = GetDuration(http, "read_timeout");
  out->http.max_connections = static_cast<size_t>(GetInt(http, "max_connections"));
  out->http.gzip_min_size = GetSize(http, "gzip_min_size");
  for (const auto& spec : schema.sections) {
    if (!spec.component) continue;
    ComponentSettings c;
    c.name = spec.name;
    c.section.reset(effective[spec.name]);
    c.enabled = GetBool(c.section, "enabled");
    c.listen = GetString(c.section, "listen");
    c.http_listen = GetString(c.section, "http_listen");
    out->components.push_back(std::move(c));
  }
  out->infra_portal.reset(effective["infra_portal"]);
}

// Errors with a file position first, by position; the rest keep their order.
void SortErrors(std::vector<ConfigError>* errors) {
  std::stable_sort(errors->begin(), errors->end(), [](const ConfigError& a, const ConfigError& b) {
    bool a_pos = a.line > 0, b_pos = b.line > 0;
    if (a_pos != b_pos) return a_pos;
    if (!a_pos) return false;
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
}

bool LoadText(std::string_view text, const std::string& source, const LoadOptions& opts, Settings* out,
              std::vector<ConfigError>* errors) {
  std::vector<ConfigError> found;
  try {
    YAML::Node root;
    if (!ParseDocument(text, source, &root, &found)) {
      errors->insert(errors->end(), found.begin(), found.end());
      return false;
    }
    if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);  // empty file, or only comments
    if (!root.IsMap()) {
      ConfigError e = MakeError(source, "", "expected a map of settings at the top level");
      if (!root.Mark().is_null()) {
        e.line = root.Mark().line + 1;
        e.column = root.Mark().column + 1;
      }
      found.push_back(std::move(e));
      root = YAML::Node(YAML::NodeType::Map);
    }
    OriginMap origins(source);
    for (const auto& item : opts.set_overrides) ApplySetOverride(item, &root, &origins, &found);
    if (!opts.data_dir_override.empty()) {
      ApplyTopLevelOverride("data_dir", opts.data_dir_override, "--data-dir", &root, &origins);
    }
    const Schema& schema = DefaultSchema();
    YAML::Node effective = BuildEffective(schema, root, origins, &found);
    if (found.empty()) FillSettings(schema, effective, source, out);
  } catch (const YAML::Exception& ex) {
    found.push_back(MakeError(source, "", std::string("internal error reading the config: ") + ex.what()));
  } catch (const std::exception& ex) {
    found.push_back(MakeError(source, "", std::string("internal error reading the config: ") + ex.what()));
  }
  if (found.empty()) return true;
  SortErrors(&found);
  errors->insert(errors->end(), found.begin(), found.end());
  return false;
}

}  // namespace

std::string ConfigError::ToString() const {
  std::string out = source;
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  out += ": ";
  if (!key.empty()) out += key + ": ";
  out += message;
  return out;
}

ComponentSettings& ComponentSettings::operator=(const ComponentSettings& other) {
  if (this == &other) return *this;
  name = other.name;
  enabled = other.enabled;
  listen = other.listen;
  http_listen = other.http_listen;
  section.reset(other.section);
  return *this;
}

Settings& Settings::operator=(const Settings& other) {
  if (this == &other) return *this;
  source = other.source;
  admin_ip = other.admin_ip;
  data_dir = other.data_dir;
  log_level = other.log_level;
  log_format = other.log_format;
  http = other.http;
  components.clear();  // fresh elements: copy-constructed, so nothing is written through
  components.reserve(other.components.size());
  for (const auto& c : other.components) components.push_back(c);
  infra_portal.reset(other.infra_portal);
  effective.reset(other.effective);
  return *this;
}

const ComponentSettings* Settings::Find(std::string_view name) const {
  for (const auto& c : components) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

bool LoadSettingsFromString(std::string_view text, std::string_view source, const LoadOptions& opts, Settings* out,
                            std::vector<ConfigError>* errors) {
  return LoadText(text, std::string(source), opts, out, errors);
}

bool LoadSettings(const LoadOptions& opts, Settings* out, std::vector<ConfigError>* errors) {
  std::string path = opts.config_path;
  if (path.empty()) {
    for (const auto& candidate : opts.search_paths) {
      std::error_code ec;
      if (std::filesystem::exists(candidate, ec)) {
        path = candidate;
        break;
      }
    }
  }
  if (path.empty()) return LoadText("", std::string(kBuiltInSource), opts, out, errors);
  std::string text, error;
  if (!ReadFile(path, &text, &error)) {
    errors->push_back(MakeError(path, "", error));
    return false;
  }
  return LoadText(text, path, opts, out, errors);
}

}  // namespace vigil::config
