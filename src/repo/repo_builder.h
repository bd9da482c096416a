#pragma once
// Building a local software repository in place: apt metadata for a flat
// `./` repository from the .deb files under it (Packages, Packages.gz,
// Release), yum metadata by running createrepo_c when it is installed and
// the directory holds .rpm files, and then the `repo_complete` marker that
// lists the SHA-256 of every file, as Pigsty's `sow create --pigsty` does.
// The marker is what makes a repository "complete": building is skipped
// while it matches, and the offline bundle (repo_archive.h) is verified
// against it.
//
// Thread-safety: free functions; two builds of the same directory at once
// are not supported (the last one's metadata wins).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"

namespace vigil::repo {

inline constexpr char kMarkerName[] = "repo_complete";

// Every regular file under `dir` (a symlink to a file counts as that file;
// symlinked directories are not entered), as paths relative to it with '/'
// separators, sorted; the marker itself is left out.
Result<std::vector<std::string>> ListRepoFiles(const std::string& dir);

// The marker text for `dir`: one "<sha256>  <relative path>\n" line per
// file of ListRepoFiles (the format of sha256sum, so `sha256sum -c` checks it).
// `known` (relative path -> sha256), when given, supplies checksums the
// caller has just computed, so those files are not read again.
Result<std::string> ComputeMarker(const std::string& dir,
                                  const std::map<std::string, std::string>* known = nullptr);

// OK when `dir`/repo_complete exists and lists exactly the files under
// `dir` with their current checksums. NotFound when there is no marker;
// Corruption naming the first file that is missing, extra or changed, or
// the malformed line.
Status VerifyMarker(const std::string& dir);

struct BuildOptions {
  std::string dir;
  bool force = false;        // rebuild even when the marker matches
  int64_t now_unix = 0;      // Release Date; 0: the current time
  std::string createrepo;    // createrepo_c program; "" looks it up in PATH
};

struct BuildReport {
  bool skipped = false;               // the marker matched; nothing was written
  size_t packages = 0;                // .deb files indexed
  size_t files = 0;                   // files listed in the marker
  bool yum = false;                   // createrepo_c ran
  std::vector<std::string> warnings;  // .deb files skipped, and why
};

// Builds `opts.dir` as described above. The old marker is removed first, so
// an interrupted build never leaves a marker that looks complete. Fails with
// IOError (or the createrepo_c exit status) naming what went wrong.
Result<BuildReport> BuildRepo(const BuildOptions& opts);

}  // namespace vigil::repo
