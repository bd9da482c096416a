#include "base/file_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <system_error>
#include <utility>

#include <fmt/format.h>

namespace vigil {
namespace {

constexpr mode_t kDirMode = 0750;

Status OsError(std::string_view op, const std::string& path, int err) {
  return Status::IOError(fmt::format("{} {}: {}", op, path, std::generic_category().message(err)));
}

// close(2) that reports errors but never retries: on Linux the descriptor is
// gone even when close returns EINTR.
Status CloseFd(int fd, const std::string& path) {
  if (::close(fd) != 0) return OsError("close", path, errno);
  return Status::Ok();
}

Status WriteAll(int fd, const std::string& path, std::string_view data, uint64_t* written) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return OsError("write", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
    if (written != nullptr) *written += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

Status FsyncFd(int fd, const std::string& path) {
  while (::fsync(fd) != 0) {
    if (errno != EINTR) return OsError("fsync", path, errno);
  }
  return Status::Ok();
}

}  // namespace

std::string DirName(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  size_t end = path.find_last_not_of('/', slash);
  if (end == std::string::npos) return "/";
  return path.substr(0, end + 1);
}

Status FsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return OsError("open", dir, errno);
  Status s = FsyncFd(fd, dir);
  Status c = CloseFd(fd, dir);
  return s.ok() ? c : s;
}

Status WriteFileAtomic(const std::string& path, std::string_view data, mode_t mode) {
  static std::atomic<uint64_t> counter{0};
  const std::string tmp = fmt::format("{}.tmp.{}.{}", path, ::getpid(), counter.fetch_add(1));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return OsError("open", tmp, errno);
  Status s = WriteAll(fd, tmp, data, nullptr);
  if (s.ok()) s = FsyncFd(fd, tmp);
  Status c = CloseFd(fd, tmp);
  if (s.ok()) s = c;
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) s = OsError("rename to " + path, tmp, errno);
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  return FsyncDir(DirName(path));
}

Result<std::string> ReadFile(const std::string& path, size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return OsError("open", path, errno);
  std::string out;
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    if (static_cast<uint64_t>(st.st_size) > max_bytes) {
      ::close(fd);
      return Status::ResourceExhausted(
          fmt::format("read {}: file has {} bytes, limit is {}", path, st.st_size, max_bytes));
    }
    out.reserve(static_cast<size_t>(st.st_size));
  }
  // Read until EOF rather than trusting st_size: /proc files report 0.
  char buf[64 * 1024];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      Status s = OsError("read", path, errno);
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max_bytes) {
      ::close(fd);
      return Status::ResourceExhausted(fmt::format("read {}: more than {} bytes", path, max_bytes));
    }
    out.append(buf, static_cast<size_t>(n));
  }
  Status c = CloseFd(fd, path);
  if (!c.ok()) return c;
  return out;
}

Status EnsureDir(const std::string& path) {
  if (path.empty()) return Status::InvalidArgument("EnsureDir: empty path");
  // Create each prefix ending before a '/', then the full path.
  for (size_t pos = path.find('/', 1);; pos = path.find('/', pos + 1)) {
    std::string prefix = pos == std::string::npos ? path : path.substr(0, pos);
    if (!prefix.empty() && prefix.back() != '/') {
      if (::mkdir(prefix.c_str(), kDirMode) != 0 && errno != EEXIST) return OsError("mkdir", prefix, errno);
    }
    if (pos == std::string::npos) break;
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return OsError("stat", path, errno);
  if (!S_ISDIR(st.st_mode)) return OsError("mkdir", path, ENOTDIR);
  return Status::Ok();
}

Result<std::vector<std::string>> ListDir(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return OsError("opendir", dir, errno);
  std::vector<std::string> names;
  while (true) {
    errno = 0;
    struct dirent* e = ::readdir(d);
    if (e == nullptr) {
      int err = errno;
      ::closedir(d);
      if (err != 0) return OsError("readdir", dir, err);
      break;
    }
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    names.emplace_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

Status RemoveFile(const std::string& path) {
  if (::unlink(path.c_str()) != 0) return OsError("unlink", path, errno);
  return Status::Ok();
}

Result<uint64_t> FileSize(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return OsError("stat", path, errno);
  return static_cast<uint64_t>(st.st_size);
}

Status TruncateFile(const std::string& path, uint64_t size) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return OsError("open", path, errno);
  Status s;
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0) s = OsError("ftruncate", path, errno);
  if (s.ok()) s = FsyncFd(fd, path);
  Status c = CloseFd(fd, path);
  return s.ok() ? c : s;
}

// ---- AppendFile ----

Result<AppendFile> AppendFile::Open(const std::string& path, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, mode);
  if (fd < 0) return OsError("open", path, errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    Status s = OsError("fstat", path, errno);
    ::close(fd);
    return s;
  }
  return AppendFile(fd, path, static_cast<uint64_t>(st.st_size));
}

AppendFile::AppendFile(AppendFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)), size_(other.size_) {}

AppendFile& AppendFile::operator=(AppendFile&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
    size_ = other.size_;
  }
  return *this;
}

AppendFile::~AppendFile() { Close(); }

Status AppendFile::Append(std::string_view data) { return WriteAll(fd_, path_, data, &size_); }

Status AppendFile::Append(std::string_view a, std::string_view b) {
  while (!a.empty()) {
    struct iovec iov[2] = {{const_cast<char*>(a.data()), a.size()}, {const_cast<char*>(b.data()), b.size()}};
    ssize_t n = ::writev(fd_, iov, b.empty() ? 1 : 2);
    if (n < 0) {
      if (errno == EINTR) continue;
      return OsError("write", path_, errno);
    }
    size_t done = static_cast<size_t>(n);
    size_ += done;
    size_t from_a = std::min(done, a.size());
    a.remove_prefix(from_a);
    b.remove_prefix(done - from_a);
  }
  return WriteAll(fd_, path_, b, &size_);
}

Status AppendFile::Sync() {
  while (::fdatasync(fd_) != 0) {
    if (errno != EINTR) return OsError("fdatasync", path_, errno);
  }
  return Status::Ok();
}

Status AppendFile::Truncate(uint64_t size) {
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return OsError("ftruncate", path_, errno);
  size_ = size;
  return Status::Ok();
}

Status AppendFile::Close() {
  if (fd_ < 0) return Status::Ok();
  return CloseFd(std::exchange(fd_, -1), path_);
}

// ---- MappedFile ----

Result<MappedFile> MappedFile::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return OsError("open", path, errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    Status s = OsError("fstat", path, errno);
    ::close(fd);
    return s;
  }
  size_t size = static_cast<size_t>(st.st_size);
  void* addr = nullptr;
  if (size > 0) {
    addr = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
    if (addr == MAP_FAILED) {
      Status s = OsError("mmap", path, errno);
      ::close(fd);
      return s;
    }
  }
  ::close(fd);  // the mapping keeps its own reference to the file
  return MappedFile(addr, size, path);
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : addr_(std::exchange(other.addr_, nullptr)), size_(std::exchange(other.size_, 0)), path_(std::move(other.path_)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    Reset();
    addr_ = std::exchange(other.addr_, nullptr);
    size_ = std::exchange(other.size_, 0);
    path_ = std::move(other.path_);
  }
  return *this;
}

MappedFile::~MappedFile() { Reset(); }

void MappedFile::Reset() {
  if (addr_ != nullptr) ::munmap(addr_, size_);
  addr_ = nullptr;
  size_ = 0;
}

}  // namespace vigil
