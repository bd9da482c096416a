#pragma once
// RecordLog: durable state as a snapshot file plus an append-only log, both
// of text records, one per line. Silences and the notification log keep
// their state here. Each line carries a CRC32C so that a torn or corrupted
// tail (after kill -9 or a crash mid-write) is detected and dropped on open,
// never fatal. Compact() rewrites the snapshot atomically and empties the log.
//
// Thread-safety: not thread-safe; the owner serializes calls.

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace vigil::alertmanager {

class RecordLog {
 public:
  RecordLog() = default;
  ~RecordLog();
  RecordLog(const RecordLog&) = delete;
  RecordLog& operator=(const RecordLog&) = delete;

  // Opens (creating `dir` if needed) `<dir>/<name>.snapshot` and
  // `<dir>/<name>.log`, returns every intact record, snapshot first, then
  // the log in append order. A bad line ends the log: it and everything
  // after it are truncated away.
  Result<std::vector<std::string>> Open(const std::string& dir, const std::string& name);

  // Appends one record. REQUIRES: Open succeeded; `record` has no '\n'.
  // With `sync`, fdatasync()s before returning (survives power loss too);
  // without, the record survives a process kill but maybe not a power cut.
  Status Append(std::string_view record, bool sync);

  // Replaces the snapshot with `records` and empties the log.
  Status Compact(const std::vector<std::string>& records);

  // Records appended since the last Open/Compact.
  size_t appended() const { return appended_; }

 private:
  std::string snapshot_path_;
  std::string log_path_;
  FILE* log_ = nullptr;
  size_t appended_ = 0;
};

}  // namespace vigil::alertmanager
