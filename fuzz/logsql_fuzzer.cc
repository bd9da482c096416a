// libFuzzer target for the LogsQL engine (src/logsql/logsql.h).
//
// The whole input is a query. It is parsed and, when it parses, executed
// against a small fixed in-memory store (syslog-, JSON- and logfmt-shaped
// rows in three streams) with bounded held rows and a deadline. Properties
// checked besides "no crash" (ASan/UBSan):
//   - Parse errors are InvalidArgument and name a position;
//   - String() of a parsed query parses again, to the same String();
//   - execution is deterministic (twice the same query, the same rows);
//   - Execute fails only with InvalidArgument or ResourceExhausted.
//
// Build: cmake -DVIGIL_FUZZ=ON with clang (see CMakeLists.txt).

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "logsql/logsql.h"
#include "logstore/memory_store.h"

namespace {

using namespace vigil;
using namespace vigil::logsql;

// Aborts (a finding) naming the property that failed.
void Check(bool ok, int line) {
  if (ok) return;
  std::fprintf(stderr, "logsql_fuzzer: property at line %d failed\n", line);
  std::abort();
}
#define CHECK(cond) Check((cond), __LINE__)

const logstore::MemoryLogStore& FixedStore() {
  static const logstore::MemoryLogStore* store = [] {
    auto* s = new logstore::MemoryLogStore;
    const int64_t base = 1'700'000'000'000'000'000;
    const char* msgs[] = {"error: connection refused from 10.0.0.5 port 5432",
                          R"({"level":"warn","user":{"id":7,"name":"bob"},"tags":[1,2]})",
                          "level=info msg=\"checkpoint complete\" took=1.5s size=10KiB",
                          "GET /api/v1/query?x=1 200 12ms",
                          "héllo wörld ssh: login fail",
                          ""};
    for (int i = 0; i < 30; ++i) {
      logstore::LogEntry e;
      e.time_ns = base + int64_t{i} * 7'000'000'000;
      e.stream = {{"ins", "pg-" + std::to_string(i % 2)}, {"job", i % 3 ? "pgsql" : "nginx"}};
      e.fields = {{"_msg", msgs[i % 6]}, {"n", std::to_string(i * 3 - 20)}, {"ip", "10.0.0." + std::to_string(i)}};
      if (i % 4 == 0) e.fields.push_back({"level", i % 8 ? "error" : "warn"});
      s->Add(std::move(e));
    }
    return s;
  }();
  return *store;
}

Status Run(const Query& q, std::vector<Row>* out) {
  ExecuteOptions opts;
  opts.now_ns = 1'700'000'100'000'000'000;
  opts.max_held_rows = 1000;
  opts.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  size_t cells = 0;
  return Execute(q, FixedStore(), opts, [&](const Row& r) {
    cells += r.size();
    out->push_back(r);
    return cells < 100000;
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto q = Parse(text);
  if (!q.ok()) {
    CHECK(q.status().code() == Status::Code::kInvalidArgument);
    return 0;
  }
  const std::string canonical = q->String();
  auto again = Parse(canonical);
  CHECK(again.ok());
  CHECK(again->String() == canonical);

  std::vector<Row> first, second;
  const Status a = Run(q.value(), &first);
  const Status b = Run(q.value(), &second);
  if (!a.ok()) {
    CHECK(a.code() == Status::Code::kInvalidArgument || a.code() == Status::Code::kResourceExhausted);
    return 0;
  }
  CHECK(b.ok());
  CHECK(first.size() == second.size());
  for (size_t i = 0; i < first.size(); ++i) {
    CHECK(first[i].size() == second[i].size());
    for (size_t j = 0; j < first[i].size(); ++j)
      CHECK(first[i][j].name == second[i][j].name && first[i][j].value == second[i][j].value);
  }
  return 0;
}
