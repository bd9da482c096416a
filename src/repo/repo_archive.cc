#include "repo/repo_archive.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>

#include "base/file_util.h"
#include "repo/repo_builder.h"
#include "repo/tar.h"

namespace vigil::repo {
namespace fs = std::filesystem;
namespace {

constexpr size_t kChunk = 1 << 20;
constexpr size_t kMaxLongName = 4096;

struct GzCloser {
  void operator()(gzFile_s* f) const {
    if (f != nullptr) gzclose(f);
  }
};
using GzPtr = std::unique_ptr<gzFile_s, GzCloser>;

std::string GzError(gzFile f) {
  int err = 0;
  const char* msg = gzerror(f, &err);
  return err == Z_ERRNO ? std::strerror(errno) : (msg != nullptr && *msg != '\0' ? msg : "unexpected end of file");
}

Status GzWriteAll(gzFile f, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    unsigned n = static_cast<unsigned>(std::min<size_t>(data.size(), kChunk));
    if (gzwrite(f, data.data(), n) != static_cast<int>(n)) return Status::IOError("write " + path + ": " + GzError(f));
    data.remove_prefix(n);
  }
  return Status::Ok();
}

// Reads exactly `n` bytes; Corruption when the archive ends first.
Status GzReadExact(gzFile f, char* buf, size_t n, const std::string& path) {
  size_t got = 0;
  while (got < n) {
    int r = gzread(f, buf + got, static_cast<unsigned>(std::min(n - got, kChunk)));
    if (r < 0) return Status::Corruption(path + ": damaged archive: " + GzError(f));
    if (r == 0) return Status::Corruption(path + ": truncated archive (ends in the middle of a member)");
    got += static_cast<size_t>(r);
  }
  return Status::Ok();
}

std::string BaseName(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  size_t slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

// The member path below the bundle's top directory, or an error for paths
// that could escape it. "" for the top directory itself.
Result<std::string> MemberPath(std::string name, std::string* top) {
  while (name.starts_with("./")) name.erase(0, 2);
  while (!name.empty() && name.back() == '/') name.pop_back();
  if (name.empty() || name[0] == '/') return Status::Corruption("refused member with an absolute or empty path: " + name);
  size_t slash = name.find('/');
  std::string first = name.substr(0, slash);
  if (top->empty()) *top = first;
  if (first != *top) return Status::Corruption("members under two top directories: " + *top + " and " + first);
  std::string rest = slash == std::string::npos ? "" : name.substr(slash + 1);
  std::string_view r = rest;
  while (!r.empty()) {
    size_t s = r.find('/');
    std::string_view seg = r.substr(0, s);
    if (seg.empty() || seg == "." || seg == "..") return Status::Corruption("refused member path: " + name);
    r = s == std::string_view::npos ? std::string_view() : r.substr(s + 1);
  }
  return rest;
}

Status ExtractMember(gzFile f, const std::string& archive, const std::string& path, uint64_t size, uint32_t mode,
                     std::string* buf) {
  if (Status st = EnsureDir(DirName(path)); !st.ok()) return st;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (mode & 0777) | 0600);
  if (fd < 0) return Status::IOError("create " + path + ": " + std::strerror(errno));
  uint64_t left = size;
  Status st;
  while (left > 0 && st.ok()) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(left, kChunk));
    st = GzReadExact(f, buf->data(), n, archive);
    if (!st.ok()) break;
    size_t done = 0;
    while (done < n) {
      ssize_t w = ::write(fd, buf->data() + done, n - done);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        st = Status::IOError("write " + path + ": " + std::strerror(errno));
        break;
      }
      done += static_cast<size_t>(w);
    }
    left -= n;
  }
  if (st.ok() && ::fsync(fd) != 0) st = Status::IOError("fsync " + path + ": " + std::strerror(errno));
  ::close(fd);
  if (!st.ok()) return st;
  size_t pad = TarPadding(size);
  return pad == 0 ? Status::Ok() : GzReadExact(f, buf->data(), pad, archive);
}

// Reads the whole archive into `tmp`; the caller removes `tmp` on failure.
Status ExtractAll(const std::string& in, const std::string& tmp, ArchiveReport* report) {
  GzPtr f(gzopen(in.c_str(), "rb"));
  if (!f) return Status::IOError("open " + in + ": " + std::strerror(errno));
  gzbuffer(f.get(), 256 * 1024);
  std::string buf(kChunk, '\0');
  std::string top, long_name;
  bool ended = false;
  while (!ended) {
    char block[kTarBlock];
    if (Status st = GzReadExact(f.get(), block, kTarBlock, in); !st.ok()) return st;
    std::string_view bv(block, kTarBlock);
    if (IsZeroBlock(bv)) {
      ended = true;
      break;
    }
    auto h = ParseTarHeader(bv);
    if (!h.ok()) return Status::Corruption(in + ": " + h.status().message());
    if (h->type == 'L') {
      if (h->size > kMaxLongName) return Status::Corruption(in + ": long name record too large");
      std::string name(static_cast<size_t>(h->size) + TarPadding(h->size), '\0');
      if (Status st = GzReadExact(f.get(), name.data(), name.size(), in); !st.ok()) return st;
      long_name.assign(name.c_str());
      continue;
    }
    std::string name = long_name.empty() ? h->name : long_name;
    long_name.clear();
    auto rel = MemberPath(name, &top);
    if (!rel.ok()) return Status::Corruption(in + ": " + rel.status().message());
    if (h->type == '5') {
      if (!rel->empty()) {
        if (Status st = EnsureDir(tmp + "/" + *rel); !st.ok()) return st;
      }
      continue;
    }
    if (h->type != '0' && h->type != '\0' && h->type != '7') {
      return Status::Corruption(in + ": refused member " + name + " (type '" + std::string(1, h->type) +
                                "': only files and directories)");
    }
    if (rel->empty()) return Status::Corruption(in + ": refused file member at the top: " + name);
    if (Status st = ExtractMember(f.get(), in, tmp + "/" + *rel, h->size, h->mode, &buf); !st.ok()) return st;
    report->files++;
    report->bytes += h->size;
  }
  // Drain to the end of the gzip stream so zlib checks its CRC and length.
  for (;;) {
    int r = gzread(f.get(), buf.data(), static_cast<unsigned>(buf.size()));
    if (r < 0) return Status::Corruption(in + ": damaged archive: " + GzError(f.get()));
    if (r == 0) break;
  }
  int err = 0;
  gzerror(f.get(), &err);
  if (err != Z_OK) return Status::Corruption(in + ": truncated or damaged archive: " + GzError(f.get()));
  gzFile raw = f.release();
  if (gzclose_r(raw) != Z_OK) return Status::Corruption(in + ": truncated archive (gzip stream incomplete)");
  if (report->files == 0) return Status::Corruption(in + ": the archive holds no files");
  return Status::Ok();
}

}  // namespace

Result<ArchiveReport> PackRepo(const std::string& dir, const std::string& out) {
  if (Status st = VerifyMarker(dir); !st.ok()) {
    return Status::InvalidArgument(dir + " is not a complete repository (" + st.message() +
                                   "); run `vigil repo build` first");
  }
  auto files = ListRepoFiles(dir);
  if (!files.ok()) return files.status();
  files->push_back(kMarkerName);
  std::string top = BaseName(dir);
  std::string tmp = out + ".tmp";
  GzPtr f(gzopen(tmp.c_str(), "wb6"));
  if (!f) return Status::IOError("create " + tmp + ": " + std::strerror(errno));
  gzbuffer(f.get(), 256 * 1024);
  ArchiveReport report;
  TarHeader dh;
  dh.name = top + "/";
  dh.type = '5';
  dh.mode = 0755;
  Status st = GzWriteAll(f.get(), EncodeTarHeader(dh), tmp);
  std::string buf(kChunk, '\0');
  for (size_t i = 0; i < files->size() && st.ok(); ++i) {
    const std::string& rel = (*files)[i];
    std::string path = dir + "/" + rel;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat sb {};
    if (fd < 0 || ::fstat(fd, &sb) != 0) {
      st = Status::IOError("open " + path + ": " + std::strerror(errno));
      if (fd >= 0) ::close(fd);
      break;
    }
    TarHeader h;
    h.name = top + "/" + rel;
    h.size = static_cast<uint64_t>(sb.st_size);
    h.mode = sb.st_mode & 0777;
    h.mtime = sb.st_mtime;
    st = GzWriteAll(f.get(), EncodeTarHeader(h), tmp);
    uint64_t left = h.size;
    while (st.ok() && left > 0) {
      ssize_t r = ::read(fd, buf.data(), static_cast<size_t>(std::min<uint64_t>(left, buf.size())));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        st = Status::IOError("read " + path + ": " + (r < 0 ? std::strerror(errno) : "file shrank while packing"));
        break;
      }
      st = GzWriteAll(f.get(), std::string_view(buf.data(), static_cast<size_t>(r)), tmp);
      left -= static_cast<uint64_t>(r);
    }
    ::close(fd);
    if (st.ok()) st = GzWriteAll(f.get(), std::string(TarPadding(h.size), '\0'), tmp);
    report.files++;
    report.bytes += h.size;
  }
  if (st.ok()) st = GzWriteAll(f.get(), std::string(2 * kTarBlock, '\0'), tmp);
  gzFile raw = f.release();
  if (gzclose_w(raw) != Z_OK && st.ok()) st = Status::IOError("close " + tmp + ": write failed");
  if (st.ok() && ::rename(tmp.c_str(), out.c_str()) != 0) {
    st = Status::IOError("rename " + tmp + " to " + out + ": " + std::strerror(errno));
  }
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  return report;
}

Result<ArchiveReport> UnpackRepo(const std::string& in, const std::string& dir) {
  std::string target = dir;
  while (target.size() > 1 && target.back() == '/') target.pop_back();
  std::string parent = DirName(target);
  std::string name = BaseName(target);
  if (Status st = EnsureDir(parent); !st.ok()) return st;
  std::string suffix = std::to_string(::getpid());
  std::string tmp = parent + "/." + name + ".unpack-" + suffix;
  std::error_code ec;
  fs::remove_all(tmp, ec);
  if (Status st = EnsureDir(tmp); !st.ok()) return st;
  ArchiveReport report;
  Status st = ExtractAll(in, tmp, &report);
  if (st.ok()) {
    if (Status v = VerifyMarker(tmp); !v.ok()) {
      st = Status::Corruption(in + ": contents do not match the archive's " + std::string(kMarkerName) + ": " +
                              v.message());
    }
  }
  if (!st.ok()) {
    fs::remove_all(tmp, ec);
    return st;
  }
  std::string old = parent + "/." + name + ".old-" + suffix;
  bool had_old = fs::exists(target, ec);
  if (had_old && ::rename(target.c_str(), old.c_str()) != 0) {
    st = Status::IOError("rename " + target + ": " + std::strerror(errno));
    fs::remove_all(tmp, ec);
    return st;
  }
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    st = Status::IOError("rename " + tmp + " to " + target + ": " + std::strerror(errno));
    if (had_old) ::rename(old.c_str(), target.c_str());
    fs::remove_all(tmp, ec);
    return st;
  }
  ::chmod(target.c_str(), 0755);
  if (had_old) fs::remove_all(old, ec);
  (void)FsyncDir(parent);
  return report;
}

}  // namespace vigil::repo
