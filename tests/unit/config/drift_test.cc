// Keeps the schema, docs/configuration.md and the root vigil.yml in step:
// every key documented with its default, and the annotated file equal to the
// built-in defaults with every key spelled out.

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "config/config.h"

namespace vigil::config {
namespace {

const std::string kRepoRoot = std::string(VIGIL_TESTDATA_DIR) + "/../../";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every documented key: "admin_ip" and "section.key", schema order.
std::vector<std::pair<std::string, const FieldSpec*>> AllKeys() {
  std::vector<std::pair<std::string, const FieldSpec*>> keys;
  const Schema& schema = DefaultSchema();
  for (const auto& f : schema.top_fields) keys.emplace_back(f.name, &f);
  for (const auto& s : schema.sections) {
    for (const auto& f : s.fields) keys.emplace_back(s.name + "." + f.name, &f);
  }
  return keys;
}

// The line of `doc` that documents `key` in a table row, or "".
std::string DocRow(const std::string& doc, const std::string& key) {
  std::istringstream in(doc);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("| `" + key + "` |", 0) == 0) return line;
  }
  return "";
}

TEST(DriftTest, DocsDocumentEveryKeyWithItsDefault) {
  std::string doc = ReadAll(kRepoRoot + "docs/configuration.md");
  ASSERT_FALSE(doc.empty()) << "cannot read docs/configuration.md";
  for (const auto& [key, field] : AllKeys()) {
    std::string row = DocRow(doc, key);
    EXPECT_FALSE(row.empty()) << "docs/configuration.md has no table row for `" << key << "`";
    if (row.empty() || field->type == FieldType::kAny) continue;
    YAML::Node def = YAML::Load(field->default_yaml);
    if (!def.IsScalar()) continue;
    std::string shown = def.Scalar().empty() ? "`\"\"`" : "`" + def.Scalar() + "`";
    EXPECT_NE(row.find(shown), std::string::npos) << "row for `" << key << "` does not show the default " << shown
                                                  << ":\n" << row;
  }
}

TEST(DriftTest, DocsDocumentEverySection) {
  std::string doc = ReadAll(kRepoRoot + "docs/configuration.md");
  for (const auto& s : DefaultSchema().sections) {
    EXPECT_NE(doc.find("### `" + s.name + "`"), std::string::npos) << "no heading for section " << s.name;
  }
}

TEST(DriftTest, RootVigilYmlLoadsToExactlyTheBuiltInDefaults) {
  LoadOptions file_opts;
  file_opts.config_path = kRepoRoot + "vigil.yml";
  Settings from_file;
  std::vector<ConfigError> errors;
  ASSERT_TRUE(LoadSettings(file_opts, &from_file, &errors)) << (errors.empty() ? "" : errors[0].ToString());

  LoadOptions none;
  none.search_paths.clear();
  Settings builtin;
  ASSERT_TRUE(LoadSettings(none, &builtin, &errors));
  EXPECT_EQ(builtin.source, "(built-in defaults)");
  EXPECT_EQ(RenderEffective(from_file), RenderEffective(builtin));
}

TEST(DriftTest, RootVigilYmlSpellsOutEveryKey) {
  YAML::Node root = YAML::LoadFile(kRepoRoot + "vigil.yml");
  const Schema& schema = DefaultSchema();
  for (const auto& f : schema.top_fields) EXPECT_TRUE(root[f.name].IsDefined()) << f.name;
  for (const auto& s : schema.sections) {
    ASSERT_TRUE(root[s.name].IsMap()) << s.name;
    for (const auto& f : s.fields) EXPECT_TRUE(root[s.name][f.name].IsDefined()) << s.name << "." << f.name;
  }
}

TEST(DriftTest, EveryDefaultIsValidOnItsOwn) {
  // Loading nothing exercises every default; this pins that none is invalid.
  Settings s;
  std::vector<ConfigError> errors;
  EXPECT_TRUE(LoadSettingsFromString("", "empty", LoadOptions(), &s, &errors))
      << (errors.empty() ? "" : errors[0].ToString());
}

TEST(DriftTest, SchemaHasEveryComponentInCanonicalOrder) {
  std::vector<std::string> names;
  for (const auto& s : DefaultSchema().sections) {
    if (s.component) names.push_back(s.name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"portal", "repo", "metrics", "scrape", "rules", "alertmanager", "logs",
                                             "traces", "probe", "ui", "dns", "ntp", "cmdb"}));
  for (const auto& s : DefaultSchema().sections) {
    if (!s.component) continue;
    EXPECT_NE(s.Find("enabled"), nullptr) << s.name;
    EXPECT_NE(s.Find("listen"), nullptr) << s.name;
  }
}

}  // namespace
}  // namespace vigil::config
