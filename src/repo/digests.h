#pragma once
// Size and MD5/SHA-1/SHA-256 digests (lowercase hex) of files and byte
// strings, as apt's Packages and Release files list them.
//
// Thread-safety: free functions without shared state.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace vigil::repo {

struct Digests {
  uint64_t size = 0;
  std::string md5;
  std::string sha1;
  std::string sha256;
};

// Digests of `data`.
Digests DigestBytes(std::string_view data);

// Digests of the file at `path`, read in chunks (constant memory).
Result<Digests> DigestFile(const std::string& path);

// SHA-256 (hex) of the file at `path`, read in chunks.
Result<std::string> Sha256File(const std::string& path);

}  // namespace vigil::repo
