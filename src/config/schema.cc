#include "config/schema.h"

namespace vigil::config {

std::string_view FieldTypeName(FieldType t) {
  switch (t) {
    case FieldType::kBool: return "bool";
    case FieldType::kInt: return "int";
    case FieldType::kString: return "string";
    case FieldType::kDuration: return "duration";
    case FieldType::kSize: return "size";
    case FieldType::kHostPort: return "host:port";
    case FieldType::kStringList: return "list of strings";
    case FieldType::kEnum: return "enum";
    case FieldType::kAny: return "any";
  }
  return "?";
}

const FieldSpec* SectionSpec::Find(std::string_view key) const {
  for (const auto& f : fields) {
    if (f.name == key) return &f;
  }
  return nullptr;
}

std::string SectionSpec::KeyList() const {
  std::string out;
  for (const auto& f : fields) {
    if (!out.empty()) out += ", ";
    out += f.name;
  }
  return out;
}

const FieldSpec* Schema::FindTopField(std::string_view key) const {
  for (const auto& f : top_fields) {
    if (f.name == key) return &f;
  }
  return nullptr;
}

const SectionSpec* Schema::FindSection(std::string_view key) const {
  for (const auto& s : sections) {
    if (s.name == key) return &s;
  }
  return nullptr;
}

std::vector<std::string> Schema::TopLevelKeys() const {
  // Scalars first, then the sections, then free-form maps (long, so last).
  std::vector<std::string> keys;
  for (const auto& f : top_fields) {
    if (f.type != FieldType::kAny) keys.push_back(f.name);
  }
  for (const auto& s : sections) keys.push_back(s.name);
  for (const auto& f : top_fields) {
    if (f.type == FieldType::kAny) keys.push_back(f.name);
  }
  return keys;
}

}  // namespace vigil::config
