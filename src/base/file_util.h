#pragma once
// File-system helpers with the durability steps spelled out: atomic whole-file
// replacement, directory fsync, bounded reads, an append-only file handle and
// a read-only memory mapping.
//
// Every OS failure comes back as Status::IOError whose message names the
// operation, the path and strerror, e.g. "open /data/x: No such file or directory".
// The functions are thread-safe; the classes follow their own class comments.

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace vigil {

// Default permission bits for files these helpers create (before umask).
inline constexpr mode_t kDefaultFileMode = 0640;

// Replaces the file at `path` with `data` so that a crash at any moment leaves
// either the old contents or the new ones, never a mix: writes a temporary file
// in the same directory, fsyncs it, renames it over `path`, then fsyncs the
// directory. On error the temporary file is removed and `path` is untouched.
Status WriteFileAtomic(const std::string& path, std::string_view data, mode_t mode = kDefaultFileMode);

// Makes the directory entries of `dir` (created, renamed, removed files) durable.
Status FsyncDir(const std::string& dir);

// Reads the whole file. Fails with ResourceExhausted (not IOError) when the file
// holds more than `max_bytes`, without reading it all into memory.
Result<std::string> ReadFile(const std::string& path, size_t max_bytes);

// Creates `path` and any missing parents with mode 0750 (like mkdir -p).
// OK if it already is a directory; IOError if it exists as anything else.
Status EnsureDir(const std::string& path);

// The names (not paths) of the entries of `dir`, without "." and "..", sorted
// bytewise so callers see a stable order.
Result<std::vector<std::string>> ListDir(const std::string& dir);

// Removes a file (not a directory). The removal is durable only after FsyncDir.
Status RemoveFile(const std::string& path);

// Size of the file at `path` in bytes.
Result<uint64_t> FileSize(const std::string& path);

// Cuts the file at `path` to `size` bytes and fsyncs it.
// REQUIRES: size <= current size (growing would be legal but is never intended).
Status TruncateFile(const std::string& path, uint64_t size);

// The directory part of `path`: "a/b/c" -> "a/b", "c" -> ".", "/c" -> "/".
std::string DirName(const std::string& path);

// An open file that only grows, for logs. Writes go straight to the kernel
// (no user-space buffer): once Append returns, the bytes survive a crash of
// this process; they survive a machine crash only after Sync().
//
// Thread-safety: not thread-safe, except that Sync() may run concurrently with
// Append() from another thread (Sync touches nothing Append changes). The
// caller must not Close() or move the object while either is running.
class AppendFile {
 public:
  // Opens `path` for appending, creating it (with `mode`) if missing. Size()
  // starts at the existing length.
  static Result<AppendFile> Open(const std::string& path, mode_t mode = kDefaultFileMode);

  AppendFile(AppendFile&& other) noexcept;
  AppendFile& operator=(AppendFile&& other) noexcept;
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;
  // Closes the descriptor if still open; errors are ignored (call Close() to see them).
  ~AppendFile();

  // Appends all of `data`, retrying short writes. On error some prefix may
  // have been written; Size() counts it, so Truncate(old_size) can undo it.
  // REQUIRES: open.
  Status Append(std::string_view data);
  // Appends a then b with one writev(2) where possible (a header and a payload).
  Status Append(std::string_view a, std::string_view b);

  // fdatasync(2): appended bytes and the file length become durable.
  // REQUIRES: open.
  Status Sync();

  // Cuts the file back to `size` bytes (e.g. to drop a half-written record).
  // REQUIRES: open, size <= Size().
  Status Truncate(uint64_t size);

  // Bytes in the file, as seen through this handle.
  uint64_t Size() const { return size_; }
  const std::string& path() const { return path_; }
  bool is_open() const { return fd_ >= 0; }

  // Closes the descriptor (no implicit sync). Idempotent.
  Status Close();

 private:
  AppendFile(int fd, std::string path, uint64_t size) : fd_(fd), path_(std::move(path)), size_(size) {}

  int fd_ = -1;
  std::string path_;
  uint64_t size_ = 0;
};

// A read-only, shared memory mapping of a whole file, unmapped on destruction.
// An empty file maps to an empty view. The file must not be truncated by
// anyone while mapped (reading a vanished page raises SIGBUS).
//
// Thread-safety: immutable after Open, so any thread may read data().
class MappedFile {
 public:
  static Result<MappedFile> Open(const std::string& path);

  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  // The file's bytes; valid until this object is destroyed or moved from.
  std::string_view data() const { return {static_cast<const char*>(addr_), size_}; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile(void* addr, size_t size, std::string path) : addr_(addr), size_(size), path_(std::move(path)) {}
  void Reset();

  void* addr_ = nullptr;
  size_t size_ = 0;
  std::string path_;
};

}  // namespace vigil
