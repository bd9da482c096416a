#pragma once
// An interpreter for Prometheus 2.42's PromQL test-script DSL
// (promql/testdata/*.test): load, clear, eval, eval_fail, eval_ordered.
// See shared/peer-tests/promql/README.md for the format.

#include <string>
#include <vector>

#include "promql/engine.h"

namespace vigil::promql::testing {

// The outcome of one eval command.
struct EvalOutcome {
  int line = 0;          // 1-based line of the eval command
  std::string command;   // the command line as written
  bool passed = false;
  std::string failure;   // why it failed (empty when passed)
};

// The outcome of one script.
struct ScriptOutcome {
  std::string error;  // a script-level error (unreadable file, bad load line)
  std::vector<EvalOutcome> evals;
};

// Runs the script `text` with a fresh in-memory storage and an engine built
// from `options`. Every eval is run as the reference runner does: an
// instant query, a range query around the time (not for eval_ordered), and
// the `@`-pinned variants at other times.
ScriptOutcome RunScript(const std::string& text, const EngineOptions& options);

}  // namespace vigil::promql::testing
