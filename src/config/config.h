#pragma once
// Vigil's configuration: one YAML file, vigil.yml, plus command-line
// overrides. LoadSettings finds and parses the file, applies --set and
// --data-dir, validates every key against the schema (collecting all errors
// with file:line:column), fills in defaults and substitutes ${admin_ip} and
// ${data_dir}. The result is an immutable Settings value; components read
// their own section from it.
//
// docs/configuration.md describes every key; schema.h is the source of truth.
//
// Thread-safety: the functions here are reentrant. A Settings value is safe to
// read from many threads once built; YAML::Node members must not be mutated.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "base/status.h"
#include "config/schema.h"
#include "config/values.h"

namespace vigil::config {

// One problem found while loading. `source` is the file path, "--set a.b",
// "--data-dir" or a fixed description; line and column are 1-based, 0 when
// the problem has no position (then they are omitted from ToString).
struct ConfigError {
  std::string source;
  int line = 0;
  int column = 0;
  std::string key;  // dotted path ("metrics.listen", "rules.files[1]"); may be empty
  std::string message;

  // "source:line:col: key: message"; ":line:col" is omitted when line is 0
  // and "key: " when key is empty.
  std::string ToString() const;
};

// How to find and override the config.
struct LoadOptions {
  // The file to read. Empty: the first existing file of `search_paths`, or
  // the built-in defaults when none exists. A path given here must exist.
  std::string config_path;
  // When not empty, replaces data_dir (after every --set).
  std::string data_dir_override;
  // "a.b.c=value" items applied in order; the value is parsed as YAML.
  std::vector<std::string> set_overrides;
  // Where to look when config_path is empty, in order.
  std::vector<std::string> search_paths = {"vigil.yml", "/etc/vigil/vigil.yml"};
};

// The parsed `http:` section: limits of every HTTP server in the process.
struct HttpLimits {
  size_t max_header_size = 16 << 10;
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds read_timeout{30'000};
  size_t max_connections = 10'000;
  size_t gzip_min_size = 1 << 10;
};

// One component's section, validated, defaults filled, substituted.
//
// Copies share the YAML tree (it is never modified after loading).
// Assignment rebinds `section` to the other tree instead of writing through
// it, unlike YAML::Node's own operator=, so a handle that a component kept
// from an older Settings still shows the older values.
struct ComponentSettings {
  ComponentSettings() = default;
  ComponentSettings(const ComponentSettings&) = default;
  ComponentSettings& operator=(const ComponentSettings& other);

  std::string name;        // "metrics"
  bool enabled = false;
  std::string listen;      // "" when the component is served by another one
  std::string http_listen; // "" when the component has no separate HTTP port
  YAML::Node section;      // the whole section; every schema key is present
};

// The whole loaded configuration. Copy and assignment behave as for
// ComponentSettings: trees are shared, never written through.
struct Settings {
  Settings() = default;
  Settings(const Settings&) = default;
  Settings& operator=(const Settings& other);

  std::string source;  // path of the file read, or "(built-in defaults)"
  std::string admin_ip;
  std::string data_dir;
  std::string log_level;   // debug|info|warn|error
  std::string log_format;  // logfmt|json
  HttpLimits http;
  // Canonical order: portal repo metrics scrape rules alertmanager logs
  // traces probe ui dns ntp cmdb (the schema's component order).
  std::vector<ComponentSettings> components;
  YAML::Node infra_portal;  // map: name -> free-form entry map
  YAML::Node effective;     // the whole effective tree

  // The component called `name`, or nullptr. The pointer is valid while
  // this Settings is alive and unmodified.
  const ComponentSettings* Find(std::string_view name) const;
};

// Loads the config as `opts` says. On success fills *out and returns true.
// On failure returns false, leaves *out unspecified and appends every error
// found (not only the first) to *errors, ordered by file position first.
// Never throws.
bool LoadSettings(const LoadOptions& opts, Settings* out, std::vector<ConfigError>* errors);

// Like LoadSettings, but reads the YAML from `text` and names it `source` in
// errors (opts.config_path and search_paths are ignored). For tests and for
// configs that do not live in a file.
bool LoadSettingsFromString(std::string_view text, std::string_view source, const LoadOptions& opts,
                            Settings* out, std::vector<ConfigError>* errors);

// The effective config as plain YAML text (no comments), keys in schema
// order, every key present. Loading this text again yields the same Settings.
std::string RenderEffective(const Settings& s);

// Typed accessors for a validated section. REQUIRES: `key` is a schema key of
// the matching type in `section` (then they cannot fail); otherwise they
// return the zero value.
std::chrono::milliseconds GetDuration(const YAML::Node& section, std::string_view key);
uint64_t GetSize(const YAML::Node& section, std::string_view key);
int64_t GetInt(const YAML::Node& section, std::string_view key);
bool GetBool(const YAML::Node& section, std::string_view key);
std::string GetString(const YAML::Node& section, std::string_view key);
std::vector<std::string> GetStringList(const YAML::Node& section, std::string_view key);

}  // namespace vigil::config
