#pragma once
// Tar headers (POSIX ustar, plus the GNU long-name record GNU tar writes for
// names over 100 bytes, and GNU base-256 sizes over 8 GiB): the record format
// of the offline repository bundle and of a .deb's control.tar.
//
// Thread-safety: free functions without shared state.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace vigil::repo {

inline constexpr size_t kTarBlock = 512;

// One member's header. `type` is the ustar typeflag: '0' (or '\0') regular
// file, '5' directory, 'L' GNU long name of the next member, others as-is.
struct TarHeader {
  std::string name;  // full path (prefix/name joined)
  char type = '0';
  uint64_t size = 0;
  uint32_t mode = 0644;
  int64_t mtime = 0;
};

// True when `block` (512 bytes) is all zeros: the end-of-archive marker.
bool IsZeroBlock(std::string_view block);

// Parses one 512-byte header block. Fails with Corruption when the checksum
// does not match or a number field is malformed.
// REQUIRES: block.size() == kTarBlock and !IsZeroBlock(block).
Result<TarHeader> ParseTarHeader(std::string_view block);

// The blocks that describe `h`: a GNU long-name record first when the name
// does not fit ustar's 100-byte name (+155-byte prefix), then the header.
// The caller writes the member's data padded to 512 bytes after them.
std::string EncodeTarHeader(const TarHeader& h);

// Bytes of padding after `size` bytes of member data.
inline size_t TarPadding(uint64_t size) { return static_cast<size_t>((kTarBlock - size % kTarBlock) % kTarBlock); }

// The data of regular-file member `name` ("control" also matches "./control")
// in the in-memory archive `tar`. NotFound when absent; Corruption when the
// archive is malformed or ends early.
Result<std::string> FindTarMember(std::string_view tar, std::string_view name);

}  // namespace vigil::repo
