#pragma once
// File-based service discovery (Prometheus' file_sd_configs): target groups
// read from YAML or JSON files named by paths or globs, re-read when a file
// appears, changes or disappears, and in full every refresh_interval.
// Pigsty keeps one directory of such files per job (targets/node/*.yml, ...).

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "scrape/scrape_config.h"
#include "scrape/target.h"

namespace vigil::scrape {

// The label file_sd adds to every group: the file it came from.
inline constexpr std::string_view kFilePathLabel = "__meta_filepath";

// Parses one target file: a YAML or JSON list of {targets: [...], labels:
// {...}} entries, strict as Prometheus (unknown fields, invalid label names
// and non-string targets are errors). An empty file has no groups. Each
// group gets `__meta_filepath: path` and the source "path:index".
Result<std::vector<TargetGroup>> ParseTargetFile(std::string_view text, const std::string& path);

// The targets of one file_sd_configs entry.
// Thread-compatible: one owner calls Refresh; the result is copied out.
class FileDiscovery {
 public:
  explicit FileDiscovery(FileSdConfig config);

  // Expands the globs; reads files that are new or whose size or mtime
  // changed (every file when refresh_interval has passed since the last
  // full read); forgets files that are gone. A file that cannot be read or
  // parsed keeps its previous groups and its error is kept in errors().
  // Returns true when the set of groups changed.
  bool Refresh(std::chrono::steady_clock::time_point now);

  // Every group of every file, files in path order.
  std::vector<TargetGroup> Groups() const;

  // "path: message" for each file whose last read failed.
  std::vector<std::string> errors() const;

 private:
  struct FileState {
    int64_t mtime_ns = 0;
    int64_t size = -1;
    std::vector<TargetGroup> groups;
    std::string error;
  };

  FileSdConfig config_;
  std::map<std::string, FileState> files_;
  std::chrono::steady_clock::time_point last_full_read_{};
  bool read_once_ = false;
};

}  // namespace vigil::scrape
