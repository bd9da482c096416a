#pragma once
// Binary encoding of a batch of log entries, the payload of one log-store WAL
// record. Self-delimiting, bounded on decode.

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "logstore/row.h"

namespace vigil::logstore {

// Appends the encoding of `entries` to `*out`.
void EncodeEntries(const std::vector<LogEntry>& entries, std::string* out);

// Decodes a payload of EncodeEntries, appending to `*out`. Corruption when the
// payload is malformed (then `*out` may hold a prefix of the batch).
Status DecodeEntries(std::string_view in, std::vector<LogEntry>* out);

}  // namespace vigil::logstore
