#pragma once
// `vigil logs ...` commands.

#include <cstdint>
#include <string>

#include "config/config.h"

namespace vigil::logs {

// `vigil logs query QUERY`: runs a LogsQL query on a running server's
// /select/logsql/query (`url`, an http:// URL, default http://<logs.listen>)
// and prints the result rows, one JSON object per line, as they arrive (as
// vlogscli does). Returns 0, or 1 with the server's error on stderr.
int QueryCommand(const config::LoadOptions& opts, const std::string& url, const std::string& query,
                 const std::string& start, const std::string& end, uint64_t limit);

}  // namespace vigil::logs
