#pragma once
// Binary encoding of a batch of log entries, the payload of one log-store WAL
// record. Self-delimiting, bounded on decode.

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "logstore/row.h"
#include "logstore/row_batch.h"

namespace vigil::logstore {

// Appends the encoding of `entries` to `*out`.
void EncodeEntries(const std::vector<LogEntry>& entries, std::string* out);

// Decodes a payload of EncodeEntries, appending to `*out`. Corruption when the
// payload is malformed (then `*out` may hold a prefix of the batch).
Status DecodeEntries(std::string_view in, std::vector<LogEntry>* out);

// Appends the encoding of the rows of `batch` to `*out`: the same bytes
// EncodeEntries(batch.ToEntries()) gives, so WAL records of either decode
// with either decoder.
void EncodeRowBatch(const RowBatch& batch, std::string* out);

// Decodes a payload of EncodeEntries/EncodeRowBatch, appending its rows to
// `*out`. Corruption when malformed (then `*out` may hold a prefix).
Status DecodeRowBatch(std::string_view in, RowBatch* out);

}  // namespace vigil::logstore
