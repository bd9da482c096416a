#pragma once
// StaticFiles: serves one directory tree over HTTP the way Nginx's static
// module does: Content-Type by extension, ETag and Last-Modified with 304 on
// If-None-Match / If-Modified-Since, single byte ranges (206, 416), index.html
// for directories, an optional directory listing, and a redirect to the
// slash-terminated URL for a directory named without one.
//
// Never leaves the root: paths with ".." or NUL segments are refused (400),
// as are encoded slashes in the raw target (404), and a file whose resolved
// path (after symlinks) is outside the root is refused (403). Files are
// opened relative to a descriptor of the root with openat2(RESOLVE_BENEATH),
// which the kernel refuses to resolve outside it: one system call instead of
// resolving every path component in user space. Directories, absolute
// symlinks (which RESOLVE_BENEATH refuses even when they stay inside) and a
// root replaced since construction take the path-resolving way.
//
// Thread-safety: immutable; Serve may run on many threads at once.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "net/http_types.h"

namespace vigil::portal {

class StaticFiles {
 public:
  // `root`: the directory served. `listing`: list directories without an
  // index.html (else 403). Bodies up to `max_inline_bytes` (and text up to
  // 1 MiB, so it can be gzipped) are read into the response; larger ones are
  // an open file range (net::FileBody) the server sends without reading it
  // into memory.
  StaticFiles(std::string root, bool listing, uint64_t max_inline_bytes = 64 << 10);

  // Answers `req` (GET or HEAD; others get 405) for `rel_path`, the decoded
  // path below the location's prefix ("/" or "/a/b.txt"). `url_path` is the
  // full decoded URL path, used for redirects and listing titles.
  net::HttpResponse Serve(const net::HttpRequest& req, std::string_view rel_path, std::string_view url_path) const;

  const std::string& root() const { return root_; }

 private:
  // The root directory, opened once (O_PATH) with its identity.
  struct RootDir;

  // Regular files through openat2 below root_dir_; nullopt when the request
  // needs the path-resolving way (see the class comment).
  std::optional<net::HttpResponse> ServeBeneath(const net::HttpRequest& req, std::string_view rel_path) const;
  net::HttpResponse ServeFile(const net::HttpRequest& req, const std::string& file) const;
  // Answers from `fd`, an open regular file (owned: closed here unless the
  // response keeps it) named `name` (for its Content-Type).
  net::HttpResponse ServeOpenFile(const net::HttpRequest& req, int fd, std::string_view name) const;
  net::HttpResponse ListDirectory(const std::string& dir, std::string_view url_path) const;

  std::string root_;
  std::string canonical_root_;  // root_ with symlinks resolved at construction; empty if it did not exist
  std::shared_ptr<const RootDir> root_dir_;  // null if the root did not exist or openat2 is unavailable
  bool listing_;
  uint64_t max_inline_bytes_;
};

// The Content-Type Nginx's mime.types gives a file name; application/octet-stream if unknown.
std::string_view ContentTypeFor(std::string_view file_name);

// An RFC 7231 IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
std::string HttpDate(int64_t unix_seconds);

// The 404/403/... page the portal answers with: a short HTML document.
net::HttpResponse ErrorPage(int status, std::string_view detail);

}  // namespace vigil::portal
