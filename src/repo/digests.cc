#include "repo/digests.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

namespace vigil::repo {
namespace {

struct CtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_MD_CTX, CtxFree>;

std::string Hex(const unsigned char* p, unsigned n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(n * 2);
  for (unsigned i = 0; i < n; ++i) {
    s.push_back(kHex[p[i] >> 4]);
    s.push_back(kHex[p[i] & 15]);
  }
  return s;
}

// Feeds chunks to up to three digests at once.
class MultiDigest {
 public:
  explicit MultiDigest(bool all) {
    Add(EVP_sha256());
    if (all) {
      Add(EVP_md5());
      Add(EVP_sha1());
    }
  }
  void Update(const char* data, size_t n) {
    for (auto& c : ctx_) EVP_DigestUpdate(c.get(), data, n);
    size_ += n;
  }
  Digests Finish() {
    Digests d;
    d.size = size_;
    std::string* outs[] = {&d.sha256, &d.md5, &d.sha1};
    for (size_t i = 0; i < ctx_.size(); ++i) {
      unsigned char md[EVP_MAX_MD_SIZE];
      unsigned n = 0;
      EVP_DigestFinal_ex(ctx_[i].get(), md, &n);
      *outs[i] = Hex(md, n);
    }
    return d;
  }

 private:
  void Add(const EVP_MD* md) {
    ctx_.emplace_back(EVP_MD_CTX_new());
    EVP_DigestInit_ex(ctx_.back().get(), md, nullptr);
  }
  std::vector<CtxPtr> ctx_;
  uint64_t size_ = 0;
};

Result<Digests> DigestFd(const std::string& path, bool all) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError("open " + path + ": " + std::strerror(errno));
  MultiDigest md(all);
  std::unique_ptr<char[]> buf(new char[1 << 20]);
  for (;;) {
    ssize_t r = ::read(fd, buf.get(), 1 << 20);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      Status st = Status::IOError("read " + path + ": " + std::strerror(errno));
      ::close(fd);
      return st;
    }
    if (r == 0) break;
    md.Update(buf.get(), static_cast<size_t>(r));
  }
  ::close(fd);
  return md.Finish();
}

}  // namespace

Digests DigestBytes(std::string_view data) {
  MultiDigest md(true);
  md.Update(data.data(), data.size());
  return md.Finish();
}

Result<Digests> DigestFile(const std::string& path) { return DigestFd(path, true); }

Result<std::string> Sha256File(const std::string& path) {
  auto d = DigestFd(path, false);
  if (!d.ok()) return d.status();
  return d->sha256;
}

}  // namespace vigil::repo
