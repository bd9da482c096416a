#pragma once
// HostsSource: where the local records come from (hosts files in a list of
// directories, plus inline lines from vigil.yml) and a cheap fingerprint of
// those files, so that a poller can tell when they changed.
//
// Every regular file directly inside a directory is read (names starting
// with '.' are skipped), in name order, directories in the order given, the
// inline lines last. A path that names a file is read as that one file; a
// path that does not exist contributes nothing.
//
// Thread-safety: plain value; Load and Fingerprint only read the file system.

#include <string>
#include <vector>

#include "dns/hosts.h"

namespace vigil::dns {

struct HostsSource {
  std::vector<std::string> paths;         // dns.hosts_dir
  std::vector<std::string> inline_lines;  // dns.records

  struct Loaded {
    std::vector<HostsEntry> entries;
    std::vector<std::string> problems;  // "file:line: what", for the log
    size_t files = 0;
  };
  // Reads every file and line. Unreadable files are reported in problems.
  Loaded Load() const;

  // Changes whenever a file is added, removed, renamed, resized or written
  // (nanosecond mtime), or a directory is created or removed.
  std::string Fingerprint() const;
};

}  // namespace vigil::dns
