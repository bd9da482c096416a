// libFuzzer target for the template engine (src/template/template.h).
//
// The whole input is a template text. It is parsed with small limits and,
// when it parses, executed against a fixed data object (labels, value, a
// list and a map) with a query callback that returns two samples. Properties
// checked besides "no crash" (ASan/UBSan):
//   - Parse and Execute return errors as values: InvalidArgument or
//     ResourceExhausted, never another code;
//   - execution is deterministic (twice the same input, the same answer);
//   - the output never exceeds the configured bound.
//
// Build: cmake -DVIGIL_FUZZ=ON with clang (see CMakeLists.txt).

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "template/template.h"

namespace {

using namespace vigil;
using namespace vigil::tmpl;

void Check(bool ok) {
  if (!ok) std::abort();
}

bool ExpectedCode(const Status& s) {
  return s.code() == Status::Code::kInvalidArgument || s.code() == Status::Code::kResourceExhausted;
}

Value FixedData() {
  ValueMap m;
  m.entries.emplace("Labels", Value::Strings({{"instance", "host:9100"}, {"job", "node"}}));
  m.entries.emplace("Value", Value::Float(0.125));
  m.entries.emplace("List", Value::List({Value::Int(1), Value::String("two"), Value::Float(3.5)}));
  m.entries.emplace("Empty", Value::List({}));
  return Value::Map(std::move(m));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  ParseOptions options;
  options.limits.max_output_bytes = 64 * 1024;
  options.limits.max_steps = 20000;
  options.limits.max_call_depth = 20;
  options.limits.max_nesting = 50;
  auto tmpl = Template::Parse("fuzz", text, options);
  if (!tmpl.ok()) {
    Check(ExpectedCode(tmpl.status()));
    return 0;
  }
  static const Value kData = FixedData();
  ExecContext ctx;
  ctx.external_url = "http://localhost:9090/prefix";
  ctx.now_unix_nanos = 1'700'000'000'000'000'000;
  ctx.query = [](std::string_view q) -> Result<std::vector<QuerySample>> {
    if (q.empty()) return Status::InvalidArgument("empty query");
    return std::vector<QuerySample>{{{{"__name__", "up"}, {"instance", "b"}}, 1},
                                    {{{"__name__", "up"}, {"instance", "a"}}, 0}};
  };
  auto first = tmpl->Execute(kData, ctx);
  auto second = tmpl->Execute(kData, ctx);
  Check(first.ok() == second.ok());
  if (first.ok()) {
    Check(*first == *second);
    Check(first->size() <= options.limits.max_output_bytes);
  } else {
    Check(ExpectedCode(first.status()));
    Check(first.status().message() == second.status().message());
  }
  return 0;
}
