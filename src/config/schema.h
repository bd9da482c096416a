#pragma once
// The declarative schema of vigil.yml: for every section, the keys it
// accepts, each with a type, a default and a one-line description. The loader
// validates against it, fills the defaults from it, and the docs test checks
// that docs/configuration.md mentions every key in it.
//
// To add a key: add one line to the section's function in schema_table.cc,
// document it in docs/configuration.md and add it to the root vigil.yml (the
// unit tests fail until all three agree).
//
// A Schema is immutable after construction; any thread may read it.

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::config {

enum class FieldType {
  kBool,        // true / false
  kInt,         // decimal integer within [min, max]
  kString,      // any scalar
  kDuration,    // Prometheus duration: "15s", "1m30s", "15d", or 0
  kSize,        // bytes: 1048576, "64MiB", "1KB"
  kHostPort,    // "host:port"; "" only when allow_empty
  kStringList,  // sequence of scalars
  kEnum,        // one of `allowed`
  kAny,         // free-form YAML handed to the component unvalidated
};

// Human name of a type, as used in error messages and docs ("duration").
std::string_view FieldTypeName(FieldType t);

struct FieldSpec {
  std::string name;
  FieldType type = FieldType::kString;
  std::string default_yaml;  // the default, as YAML text ("15d", "[]", "true")
  std::string doc;           // one line
  int64_t min = std::numeric_limits<int64_t>::min();  // kInt only
  int64_t max = std::numeric_limits<int64_t>::max();  // kInt only
  std::vector<std::string> allowed;                   // kEnum only
  bool allow_empty = false;  // kString / kHostPort: whether "" is valid
};

struct SectionSpec {
  std::string name;
  std::string doc;
  bool component = false;  // one of the services `vigil serve` runs
  std::vector<FieldSpec> fields;

  // The field called `name`, or nullptr.
  const FieldSpec* Find(std::string_view name) const;
  // "enabled, listen, retention" in schema order.
  std::string KeyList() const;
};

struct Schema {
  // Top-level keys that are not sections: admin_ip, data_dir, infra_portal.
  std::vector<FieldSpec> top_fields;
  // Sections in canonical order: log, http, then the components.
  std::vector<SectionSpec> sections;

  const FieldSpec* FindTopField(std::string_view name) const;
  const SectionSpec* FindSection(std::string_view name) const;
  // All top-level key names in canonical order.
  std::vector<std::string> TopLevelKeys() const;
};

// The schema of vigil.yml. Built once; the reference stays valid for the
// life of the process.
const Schema& DefaultSchema();

}  // namespace vigil::config
