#pragma once
// LogReader: how LogsQL reads the log store. A scan visits the blocks that may
// hold matching rows; the request carries what the store can use to skip
// blocks without decoding them (time range, stream predicate, required words).

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "base/status.h"
#include "logstore/block_view.h"

namespace vigil::logstore {

// Words that every matching row has in one field: a block whose token filter
// for `field` lacks any of `tokens` is skipped. Tokens are exact
// (case-sensitive) words as ForEachToken produces them.
struct RequiredTokens {
  std::string field;
  std::vector<std::string> tokens;
};

// What a scan reads. The store may hand out blocks with rows outside the time
// range or of other columns; the caller filters rows itself. Skipping is an
// optimisation, never a change of result.
struct ScanRequest {
  // Inclusive bounds on `_time` in nanoseconds.
  int64_t min_time_ns = std::numeric_limits<int64_t>::min();
  int64_t max_time_ns = std::numeric_limits<int64_t>::max();
  // Blocks of streams for which this returns false are skipped; empty = all.
  std::function<bool(const StreamLabels&)> stream_matches;
  // Every entry must hold for a block to be read (AND).
  std::vector<RequiredTokens> required_tokens;
  // The columns the caller needs; empty = all. `*`-suffixed names are prefixes.
  std::vector<std::string> columns;
};

// Receives blocks; returns false to end the scan early.
using BlockFn = std::function<bool(const BlockView&)>;

// Read access to stored log rows. Thread-safe: scans may run concurrently with
// each other and with ingestion; a scan sees at least every row acknowledged
// before it started.
class LogReader {
 public:
  virtual ~LogReader() = default;
  // Calls fn for each block that may hold rows matching `request`, on the
  // calling thread, one block at a time. Returns a non-OK status only when the
  // store could not be read (the scan stops there).
  virtual Status Scan(const ScanRequest& request, const BlockFn& fn) const = 0;
};

}  // namespace vigil::logstore
