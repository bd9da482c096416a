#pragma once
// Reading a Debian binary package (.deb): the outer ar archive, its
// control.tar{,.gz,.xz,.zst} member and the `control` file inside, parsed
// into its fields (deb-control(5)). Only the control member is read into
// memory; package data is never decompressed.
//
// Thread-safety: free functions without shared state.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace vigil::repo {

// Bounds on what a package may make us hold in memory.
inline constexpr size_t kMaxControlArchiveBytes = 64u << 20;  // control.tar.* as stored
inline constexpr size_t kMaxControlTarBytes = 64u << 20;      // decompressed
inline constexpr size_t kMaxControlFileBytes = 1u << 20;      // ./control

// One field of a control paragraph. `value` is everything after "Name:",
// leading blanks removed, continuation lines kept verbatim (with their
// leading space) and joined by '\n'.
struct ControlField {
  std::string name;
  std::string value;
};

// A control paragraph with its fields in file order.
struct ControlParagraph {
  std::vector<ControlField> fields;
  // The value of `name` (case-insensitive), or null.
  const std::string* Find(std::string_view name) const;
};

// Parses one paragraph. Fails with InvalidArgument naming the line when a
// line is neither "Name: value" nor a continuation, a field is repeated, or
// Package/Version/Architecture is missing. Comment lines ('#') are skipped.
Result<ControlParagraph> ParseControl(std::string_view text);

// Reads `n` bytes at `offset` of the package into *out (fewer at the end).
using ReadAtFn = std::function<Status(uint64_t offset, size_t n, std::string* out)>;

// Extracts the raw text of ./control from a .deb of `size` bytes read through
// `read_at`. Fails with Corruption naming what is wrong (not an ar archive,
// no control.tar member, unknown compression, truncated member, ...).
Result<std::string> ExtractControl(uint64_t size, const ReadAtFn& read_at);

// ExtractControl over a whole package held in memory (tests, fuzzing).
Result<std::string> ExtractControlFromBytes(std::string_view deb);

// ExtractControl over a file.
Result<std::string> ExtractControlFromFile(const std::string& path);

// Decompresses `in` by its magic bytes (gzip, xz, zstd; anything else is
// returned as-is) into at most `max_out` bytes (ResourceExhausted beyond).
Result<std::string> DecompressAny(std::string_view in, size_t max_out);

}  // namespace vigil::repo
