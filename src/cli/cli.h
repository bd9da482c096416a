#pragma once
// Entry point of the `vigil` command line: parses argv, dispatches to the
// subcommand and returns the process exit code.

namespace vigil::cli {

// Runs vigil with the given arguments. Returns the exit code:
// 0 success, 1 runtime failure, 2 usage or configuration error.
int Main(int argc, char** argv);

}  // namespace vigil::cli
