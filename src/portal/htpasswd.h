#pragma once
// HTTP basic authentication against an htpasswd file, as nginx's
// auth_basic_user_file reads it: "user:hash" lines, '#' comments. Hashes
// understood: bcrypt ($2y$, $2b$, $2a$), SHA-crypt ($5$, $6$), MD5-crypt
// ($1$) through libxcrypt's crypt_r, Apache's $apr1$ MD5 (own code), and
// {SHA} (base64 SHA-1). Anything else never matches.
//
// Thread-safety: HtpasswdFile::Check may be called from any thread; the file
// is re-read when its mtime or size changes (as nginx reads it per request).
// Browsers send the credentials with every request and bcrypt is slow by
// design, so successful checks are remembered (as a SHA-256 of user,
// password and hash; at most 1024, forgotten when the file changes).

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "base/status.h"

namespace vigil::portal {

// True when `password` hashes to `hash` (one of the formats above);
// comparisons are constant-time in the hash length.
bool VerifyPasswordHash(std::string_view password, std::string_view hash);

// The $apr1$ hash of `password` with `salt` (at most 8 characters used), as
// `htpasswd -m` writes it. Exposed for tests.
std::string Apr1Hash(std::string_view password, std::string_view salt);

// The user and password of an "Authorization: Basic ..." header value;
// false when it is not well-formed Basic credentials.
bool ParseBasicAuthorization(std::string_view header, std::string* user, std::string* password);

class HtpasswdFile {
 public:
  explicit HtpasswdFile(std::string path);

  // OK when `user` is in the file and `password` matches. Unauthenticated-
  // style failures (unknown user, wrong password) return NotFound without
  // saying which; IOError when the file cannot be read (the caller should
  // answer 500, as nginx does).
  Status Check(std::string_view user, std::string_view password);

  const std::string& path() const { return path_; }

 private:
  Status Refresh();  // REQUIRES: mu_ held

  const std::string path_;
  std::mutex mu_;
  int64_t mtime_ns_ = -1;
  int64_t size_ = -1;
  std::map<std::string, std::string, std::less<>> users_;  // user -> hash
  std::set<std::string> verified_;  // SHA-256 of user\0password\0hash that matched
};

}  // namespace vigil::portal
