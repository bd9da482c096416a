// Runs Prometheus 2.42's own PromQL test scripts against the engine.
// The scripts live outside the repository, beside it, in
// shared/peer-tests/promql (CI lays the tree out the same way).

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "script_runner.h"

namespace vigil::promql::testing {
namespace {

// Eval commands that do not pass yet, as "file:line", with the reason.
// Keep this list short; remove entries as they get fixed.
const std::set<std::string>& KnownFailures() {
  static const std::set<std::string> known = {
  };
  return known;
}

std::filesystem::path ScriptDir() {
  std::filesystem::path repo_root = std::filesystem::path(VIGIL_TESTDATA_DIR) / ".." / "..";
  return (repo_root / ".." / "shared" / "peer-tests" / "promql").lexically_normal();
}

std::vector<std::filesystem::path> ScriptFiles() {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(ScriptDir(), ec)) {
    if (entry.path().extension() == ".test") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(PromqlScriptTest, EveryPrometheusScriptPassesExceptKnownFailures) {
  auto files = ScriptFiles();
  if (files.empty()) GTEST_SKIP() << "no scripts in " << ScriptDir();
  EngineOptions options;
  int total = 0, passed = 0;
  for (const auto& file : files) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    ScriptOutcome out = RunScript(text.str(), options);
    const std::string name = file.filename().string();
    EXPECT_TRUE(out.error.empty()) << name << ": " << out.error;
    int file_passed = 0;
    for (const auto& e : out.evals) {
      const std::string key = name + ":" + std::to_string(e.line);
      const bool known = KnownFailures().count(key) > 0;
      if (e.passed) {
        ++file_passed;
        if (known) std::cout << "[ NOTE ] " << key << " passes now; remove it from the known failures\n";
      } else {
        EXPECT_TRUE(known) << key << ": " << e.command << "\n    " << e.failure;
      }
    }
    total += static_cast<int>(out.evals.size());
    passed += file_passed;
    std::cout << "[ SCRIPT ] " << name << ": " << file_passed << "/" << out.evals.size() << " evals pass\n";
  }
  std::cout << "[ SCRIPT ] total: " << passed << "/" << total << "\n";
}

}  // namespace
}  // namespace vigil::promql::testing
