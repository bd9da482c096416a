// libFuzzer target for the relabeling engine (src/relabel/relabel.h).
//
// The input is split at the first NUL byte: the part before is a YAML list
// of relabel rules, the part after a label set, one `name=value` per line.
// Rules also come straight from the bytes (an action byte, then regex,
// target_label and replacement taken from the input's lines) so that
// arbitrary regexes and templates reach Compile and Process without going
// through YAML. Properties checked besides "no crash" (ASan/UBSan):
//   - the parser and Compile either succeed or return InvalidArgument;
//   - Process is deterministic (twice the same input, the same answer);
//   - a kept label set never holds an empty value.
//
// Build: cmake -DVIGIL_FUZZ=ON with clang (see CMakeLists.txt).

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "relabel/relabel.h"

namespace {

using namespace vigil;
using namespace vigil::relabel;

void Check(bool ok) {
  if (!ok) std::abort();
}

std::vector<std::string_view> Lines(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    const size_t nl = s.find('\n');
    out.push_back(s.substr(0, nl));
    if (nl == std::string_view::npos) break;
    s.remove_prefix(nl + 1);
  }
  return out;
}

tsdb::Labels LabelsFrom(std::string_view text) {
  tsdb::LabelsBuilder b;
  for (std::string_view line : Lines(text)) {
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    b.Set(line.substr(0, eq), line.substr(eq + 1));
  }
  return b.Build();
}

void Run(const Relabeler& relabeler, const tsdb::Labels& labels) {
  const std::optional<tsdb::Labels> first = relabeler.Process(labels);
  const std::optional<tsdb::Labels> second = relabeler.Process(labels);
  Check(first.has_value() == second.has_value());
  if (!first) return;
  Check(*first == *second);
  for (tsdb::Label l : *first) Check(!l.value.empty());
}

// Rules built directly from the lines of `text`: each group of four lines is
// (action byte + modulus digits, regex, target_label, replacement).
std::vector<RelabelConfig> RulesFrom(std::string_view text) {
  const std::vector<std::string_view> lines = Lines(text);
  std::vector<RelabelConfig> rules;
  for (size_t i = 0; i + 3 < lines.size() && rules.size() < 8; i += 4) {
    RelabelConfig c;
    const std::string_view head = lines[i];
    c.action = static_cast<Action>(head.empty() ? 0 : static_cast<unsigned char>(head[0]) % 11);
    for (char ch : head.substr(head.empty() ? 0 : 1)) {
      if (ch >= '0' && ch <= '9') c.modulus = c.modulus * 10 + static_cast<uint64_t>(ch - '0');
    }
    c.regex = std::string(lines[i + 1]);
    c.target_label = std::string(lines[i + 2]);
    c.replacement = std::string(lines[i + 3]);
    if (c.action != Action::kLabelDrop && c.action != Action::kLabelKeep) c.source_labels = {"a", "b"};
    rules.push_back(std::move(c));
  }
  return rules;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;  // regex compilation cost grows with size
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const std::string_view config_text = input.substr(0, nul);
  const std::string_view label_text = nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);
  const tsdb::Labels labels = LabelsFrom(label_text);

  YAML::Node node;
  bool yaml_ok = true;
  try {
    node = YAML::Load(std::string(config_text));
  } catch (const YAML::Exception&) {
    yaml_ok = false;  // not our parser's job: the caller loads the document
  }
  if (yaml_ok) {
    const Result<std::vector<RelabelConfig>> parsed = ParseRelabelConfigs(node);
    if (parsed.ok()) {
      const Result<Relabeler> compiled = Relabeler::Compile(*parsed);
      Check(compiled.ok());  // the parser already validated every rule
      Run(*compiled, labels);
    } else {
      Check(parsed.status().code() == Status::Code::kInvalidArgument);
    }
    const Result<RelabelConfig> single = ParseRelabelConfig(node);
    Check(single.ok() || single.status().code() == Status::Code::kInvalidArgument);
  }

  const Result<Relabeler> direct = Relabeler::Compile(RulesFrom(config_text));
  if (direct.ok()) {
    Run(*direct, labels);
  } else {
    Check(direct.status().code() == Status::Code::kInvalidArgument);
  }
  return 0;
}
