#include "portal/htpasswd.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/md5.h>
#include <openssl/sha.h>
#include <sys/stat.h>

#include <strings.h>

#include <cerrno>
#include <cstring>

#include "base/base64.h"
#include "base/file_util.h"

namespace vigil::portal {
namespace {

constexpr size_t kMaxHtpasswdBytes = 4u << 20;
constexpr size_t kMaxVerifiedEntries = 1024;
constexpr std::string_view kCryptAlphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string Md5(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_Digest(data.data(), data.size(), md, &n, EVP_md5(), nullptr);
  return std::string(reinterpret_cast<char*>(md), n);
}

// Appends `n` crypt-alphabet characters encoding the 24-bit value `v`,
// least significant 6 bits first (the md5-crypt output encoding).
void To64(std::string* out, uint32_t v, int n) {
  for (int i = 0; i < n; ++i) {
    out->push_back(kCryptAlphabet[v & 0x3f]);
    v >>= 6;
  }
}

}  // namespace

std::string Apr1Hash(std::string_view password, std::string_view salt) {
  constexpr std::string_view kMagic = "$apr1$";
  if (salt.starts_with(kMagic)) salt.remove_prefix(kMagic.size());
  salt = salt.substr(0, std::min<size_t>(salt.find('$'), 8));
  // The md5-crypt construction: an initial digest over password, magic and
  // salt, mixed with a digest of password+salt+password, then 1000 rounds.
  std::string alt = Md5(std::string(password) + std::string(salt) + std::string(password));
  std::string ctx = std::string(password) + std::string(kMagic) + std::string(salt);
  for (size_t left = password.size(); left > 0; left -= std::min<size_t>(left, 16)) {
    ctx.append(alt, 0, std::min<size_t>(left, 16));
  }
  for (size_t bits = password.size(); bits != 0; bits >>= 1) {
    ctx.push_back((bits & 1) != 0 ? '\0' : (password.empty() ? '\0' : password[0]));
  }
  std::string digest = Md5(ctx);
  for (int round = 0; round < 1000; ++round) {
    std::string step;
    step += (round & 1) != 0 ? std::string(password) : digest;
    if (round % 3 != 0) step += salt;
    if (round % 7 != 0) step += password;
    step += (round & 1) != 0 ? digest : std::string(password);
    digest = Md5(step);
  }
  auto b = [&](int i) { return static_cast<uint32_t>(static_cast<unsigned char>(digest[static_cast<size_t>(i)])); };
  std::string out = std::string(kMagic) + std::string(salt) + "$";
  To64(&out, (b(0) << 16) | (b(6) << 8) | b(12), 4);
  To64(&out, (b(1) << 16) | (b(7) << 8) | b(13), 4);
  To64(&out, (b(2) << 16) | (b(8) << 8) | b(14), 4);
  To64(&out, (b(3) << 16) | (b(9) << 8) | b(15), 4);
  To64(&out, (b(4) << 16) | (b(10) << 8) | b(5), 4);
  To64(&out, b(11), 2);
  return out;
}

bool VerifyPasswordHash(std::string_view password, std::string_view hash) {
  if (hash.starts_with("$apr1$")) return ConstantTimeEqual(Apr1Hash(password, hash), hash);
  if (hash.starts_with("{SHA}")) {
    unsigned char md[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(password.data()), password.size(), md);
    return ConstantTimeEqual(Base64Encode(std::string_view(reinterpret_cast<char*>(md), sizeof(md))), hash.substr(5));
  }
  bool crypt_family = hash.starts_with("$2y$") || hash.starts_with("$2b$") || hash.starts_with("$2a$") ||
                      hash.starts_with("$5$") || hash.starts_with("$6$") || hash.starts_with("$1$");
  if (!crypt_family) return false;
  if (password.find('\0') != std::string_view::npos) return false;
  auto data = std::make_unique<crypt_data>();
  std::memset(data.get(), 0, sizeof(crypt_data));
  std::string pw(password), setting(hash);
  const char* out = crypt_r(pw.c_str(), setting.c_str(), data.get());
  if (out == nullptr || out[0] == '*') return false;
  return ConstantTimeEqual(out, hash);
}

bool ParseBasicAuthorization(std::string_view header, std::string* user, std::string* password) {
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  if (header.size() < 6 || strncasecmp(header.data(), "basic ", 6) != 0) return false;
  header.remove_prefix(6);
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
  if (header.size() > 4096) return false;
  auto decoded = Base64Decode(header);
  if (!decoded) return false;
  size_t colon = decoded->find(':');
  if (colon == std::string::npos) return false;
  *user = decoded->substr(0, colon);
  *password = decoded->substr(colon + 1);
  return true;
}

HtpasswdFile::HtpasswdFile(std::string path) : path_(std::move(path)) {}

Status HtpasswdFile::Refresh() {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    users_.clear();
    mtime_ns_ = -1;
    return Status::IOError("htpasswd file " + path_ + ": " + std::strerror(errno));
  }
  int64_t mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  if (mtime_ns == mtime_ns_ && st.st_size == size_) return Status::Ok();
  auto text = ReadFile(path_, kMaxHtpasswdBytes);
  if (!text.ok()) return text.status();
  users_.clear();
  verified_.clear();
  std::string_view rest = *text;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    std::string_view hash = line.substr(colon + 1);
    // nginx ignores anything after a further colon (Apache's comment field).
    hash = hash.substr(0, hash.find(':'));
    users_.emplace(std::string(line.substr(0, colon)), std::string(hash));
  }
  mtime_ns_ = mtime_ns;
  size_ = st.st_size;
  return Status::Ok();
}

Status HtpasswdFile::Check(std::string_view user, std::string_view password) {
  std::string hash, key;
  {
    std::lock_guard lock(mu_);
    if (Status st = Refresh(); !st.ok()) return st;
    auto it = users_.find(user);
    if (it == users_.end()) return Status::NotFound("wrong user or password");
    hash = it->second;
    std::string material = std::string(user) + '\0' + std::string(password) + '\0' + hash;
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(material.data()), material.size(), md);
    OPENSSL_cleanse(material.data(), material.size());
    key.assign(reinterpret_cast<char*>(md), sizeof(md));
    if (verified_.count(key) != 0) return Status::Ok();
  }
  // The slow hash runs without the lock.
  if (!VerifyPasswordHash(password, hash)) return Status::NotFound("wrong user or password");
  std::lock_guard lock(mu_);
  if (verified_.size() >= kMaxVerifiedEntries) verified_.clear();
  verified_.insert(std::move(key));
  return Status::Ok();
}

}  // namespace vigil::portal
