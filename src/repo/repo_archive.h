#pragma once
// The offline repository bundle, as Pigsty's pigsty-pkg-<version>.tgz: a
// gzip-compressed tar of the repository directory (top-level directory
// named like it, e.g. `pigsty/`) including its `repo_complete` marker.
//
// Unpacking never touches the existing repository until the new one is
// proven whole: it extracts into a temporary directory next to the target,
// checks every file against the marker (no file missing, extra or changed),
// and only then swaps the directories with two renames. A truncated,
// corrupt or tampered archive is refused and the temporary directory
// removed. Members other than regular files and directories (symlinks,
// devices), absolute paths and `..` are refused.
//
// Thread-safety: free functions; not safe against a concurrent build or
// unpack of the same directory.

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/status.h"

namespace vigil::repo {

struct ArchiveReport {
  size_t files = 0;     // regular files written or read
  uint64_t bytes = 0;   // their total size
};

// Writes `dir` (which must hold a matching repo_complete, see VerifyMarker)
// to the .tgz `out` (through a temporary file renamed at the end).
// FailedPrecondition-like errors come back as InvalidArgument naming the
// marker problem; I/O failures as IOError.
Result<ArchiveReport> PackRepo(const std::string& dir, const std::string& out);

// Replaces the repository `dir` with the contents of the .tgz `in` as
// described above. Corruption when the archive is truncated, damaged, holds
// a refused member or fails the marker check; `dir` is then unchanged.
Result<ArchiveReport> UnpackRepo(const std::string& in, const std::string& dir);

}  // namespace vigil::repo
