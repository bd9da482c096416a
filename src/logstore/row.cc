#include "logstore/row.h"

#include "base/go_format.h"
#include "base/hash.h"

namespace vigil::logstore {

std::string FormatStream(const StreamLabels& labels) {
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += labels[i].first;
    out.push_back('=');
    AppendQuoted(&out, labels[i].second);
  }
  out.push_back('}');
  return out;
}

uint64_t StreamIdOf(const StreamLabels& labels) {
  std::string key;
  for (const auto& [name, value] : labels) {
    key += name;
    key.push_back('\0');
    key += value;
    key.push_back('\0');
  }
  return Hash64(key);
}

}  // namespace vigil::logstore
