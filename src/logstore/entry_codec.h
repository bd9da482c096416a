#pragma once
// Binary encoding of a batch of log entries, the payload of one log-store WAL
// record. Self-delimiting, bounded on decode. Two versions, told apart by the
// first byte:
//
//   version 1 (EncodeEntries; written before the name table existed):
//     rows:varint, then per row zigzag(time):varint, labels:varint,
//     (name, value)* as strings, fields:varint, (name, value)* as strings
//   version 2 (EncodeRowBatch, what the log store writes):
//     0x00 0x02, streams:varint, per stream labels:varint (name, value)*,
//     names:varint, name*, rows:varint, then per row
//     zigzag(time - previous row's time, the first against 0):varint,
//     stream index:varint, fields:varint, (name index:varint, value)*
//
// A string is its length as a varint, then its bytes. A version 1 record
// starts with its row count, and one of 0 rows is the single byte 0x00, so
// a record of 2+ bytes starting with 0x00 is versioned. Version 2 names each
// field and stream once per record: a span of ~30 fields takes about a third
// of its version 1 bytes.

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "logstore/row.h"
#include "logstore/row_batch.h"

namespace vigil::logstore {

// Appends the version 1 encoding of `entries` to `*out` (tests and fuzzers
// use it to produce records of the older layout).
void EncodeEntries(const std::vector<LogEntry>& entries, std::string* out);

// Decodes a record of either version, appending to `*out`. Corruption when the
// payload is malformed (then `*out` may hold a prefix of the batch).
Status DecodeEntries(std::string_view in, std::vector<LogEntry>* out);

// Appends the version 2 encoding of the rows of `batch` to `*out`.
void EncodeRowBatch(const RowBatch& batch, std::string* out);

// Decodes a record of either version, appending its rows to `*out`.
// Corruption when malformed or of an unknown version (then `*out` may hold
// a prefix).
Status DecodeRowBatch(std::string_view in, RowBatch* out);

}  // namespace vigil::logstore
