#include "portal/static_files.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <vector>

#include "base/file_util.h"
#include "base/html.h"

namespace vigil::portal {
namespace fs = std::filesystem;
namespace {

struct MimeType {
  std::string_view ext;
  std::string_view type;
};

// The common part of Nginx's mime.types, plus the package formats a repo serves.
constexpr MimeType kMimeTypes[] = {
    {"html", "text/html"}, {"htm", "text/html"}, {"css", "text/css"}, {"xml", "text/xml"},
    {"txt", "text/plain"}, {"md", "text/plain"}, {"js", "application/javascript"}, {"mjs", "application/javascript"},
    {"json", "application/json"}, {"map", "application/json"}, {"svg", "image/svg+xml"}, {"png", "image/png"},
    {"jpg", "image/jpeg"}, {"jpeg", "image/jpeg"}, {"gif", "image/gif"}, {"ico", "image/x-icon"},
    {"webp", "image/webp"}, {"woff", "font/woff"}, {"woff2", "font/woff2"}, {"ttf", "font/ttf"},
    {"pdf", "application/pdf"}, {"zip", "application/zip"}, {"gz", "application/gzip"}, {"tgz", "application/gzip"},
    {"tar", "application/x-tar"}, {"bz2", "application/x-bzip2"}, {"xz", "application/x-xz"},
    {"zst", "application/zstd"}, {"wasm", "application/wasm"}, {"crt", "application/x-x509-ca-cert"},
    {"pem", "application/x-x509-ca-cert"}, {"deb", "application/vnd.debian.binary-package"},
    {"rpm", "application/x-redhat-package-manager"}, {"repo", "text/plain"}, {"list", "text/plain"},
    {"yml", "text/plain"}, {"yaml", "text/plain"}, {"sh", "text/plain"}, {"csv", "text/csv"},
};

// Text types get a charset so browsers do not guess.
std::string WithCharset(std::string_view type) {
  std::string t(type);
  if (type.starts_with("text/") || type == "application/javascript" || type == "application/json") {
    t += "; charset=utf-8";
  }
  return t;
}

std::string Etag(const struct stat& st) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "\"%llx-%llx\"", static_cast<unsigned long long>(st.st_mtime),
                static_cast<unsigned long long>(st.st_size));
  return buf;
}

std::optional<int64_t> ParseHttpDate(std::string_view s) {
  struct tm tm {};
  std::string str(s);
  const char* end = strptime(str.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return static_cast<int64_t>(timegm(&tm));
}

bool ParseUint(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

enum class RangeResult { kNone, kOk, kUnsatisfiable };

// Parses a single "bytes=first-last" / "bytes=first-" / "bytes=-suffix" as
// Nginx does: another unit or several ranges mean the whole file (RFC 9110
// lets a server ignore Range), a malformed or inverted byte range is 416.
RangeResult ParseRange(std::string_view header, uint64_t size, uint64_t* first, uint64_t* last) {
  if (!header.starts_with("bytes=")) return RangeResult::kNone;
  std::string_view spec = header.substr(6);
  if (spec.find(',') != std::string_view::npos) return RangeResult::kNone;
  while (!spec.empty() && spec.front() == ' ') spec.remove_prefix(1);
  while (!spec.empty() && spec.back() == ' ') spec.remove_suffix(1);
  size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return RangeResult::kUnsatisfiable;
  std::string_view a = spec.substr(0, dash), b = spec.substr(dash + 1);
  uint64_t x = 0, y = 0;
  if (a.empty()) {
    if (!ParseUint(b, &y)) return RangeResult::kUnsatisfiable;
    if (y == 0 || size == 0) return RangeResult::kUnsatisfiable;
    *first = size - std::min(y, size);
    *last = size - 1;
    return RangeResult::kOk;
  }
  if (!ParseUint(a, &x)) return RangeResult::kUnsatisfiable;
  if (b.empty()) {
    y = size == 0 ? 0 : size - 1;
  } else if (!ParseUint(b, &y) || y < x) {
    return RangeResult::kUnsatisfiable;
  }
  if (x >= size) return RangeResult::kUnsatisfiable;
  *first = x;
  *last = std::min(y, size - 1);
  return RangeResult::kOk;
}

bool IsWithin(const fs::path& p, const fs::path& root) {
  auto rel = p.lexically_relative(root);
  return !rel.empty() && *rel.begin() != "..";
}

}  // namespace

std::string_view ContentTypeFor(std::string_view file_name) {
  size_t dot = file_name.rfind('.');
  size_t slash = file_name.rfind('/');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) {
    return "application/octet-stream";
  }
  std::string ext(file_name.substr(dot + 1));
  for (char& c : ext) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  for (const auto& m : kMimeTypes) {
    if (m.ext == ext) return m.type;
  }
  return "application/octet-stream";
}

std::string HttpDate(int64_t unix_seconds) {
  time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[64];
  strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

net::HttpResponse ErrorPage(int status, std::string_view detail) {
  std::string reason(net::ReasonPhrase(status));
  std::string body = "<html>\n<head><title>" + std::to_string(status) + " " + reason +
                     "</title></head>\n<body>\n<center><h1>" + std::to_string(status) + " " + reason +
                     "</h1></center>\n";
  if (!detail.empty()) {
    body += "<center>";
    html::AppendEscaped(&body, detail);
    body += "</center>\n";
  }
  body += "<hr><center>vigil</center>\n</body>\n</html>\n";
  net::HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.SetHeader("Content-Type", "text/html; charset=utf-8");
  return r;
}

struct StaticFiles::RootDir {
  RootDir(int f, dev_t d, ino_t i) : fd(f), dev(d), ino(i) {}
  ~RootDir() { ::close(fd); }
  RootDir(const RootDir&) = delete;
  RootDir& operator=(const RootDir&) = delete;
  int fd;  // O_PATH | O_DIRECTORY
  dev_t dev;
  ino_t ino;
};

namespace {

// openat2(2) has no glibc wrapper in Debian 12.
int OpenBeneath(int dir_fd, const char* rel, uint64_t flags) {
  struct open_how how {};
  how.flags = flags;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, dir_fd, rel, &how, sizeof(how)));
}

}  // namespace

StaticFiles::StaticFiles(std::string root, bool listing, uint64_t max_inline_bytes)
    : root_(std::move(root)), listing_(listing), max_inline_bytes_(max_inline_bytes) {
  std::error_code ec;
  fs::path canonical = fs::canonical(root_, ec);
  if (!ec) canonical_root_ = canonical.string();
  int fd = ::open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  struct stat st {};
  if (fd >= 0 && ::fstat(fd, &st) == 0) {
    // A kernel without openat2 (or a filter refusing it) keeps the path-resolving way.
    int probe = OpenBeneath(fd, ".", O_PATH | O_CLOEXEC);
    if (probe >= 0) {
      ::close(probe);
      root_dir_ = std::make_shared<const RootDir>(fd, st.st_dev, st.st_ino);
      return;
    }
  }
  if (fd >= 0) ::close(fd);
}

std::optional<net::HttpResponse> StaticFiles::ServeBeneath(const net::HttpRequest& req,
                                                           std::string_view rel_path) const {
  if (!root_dir_) return std::nullopt;
  // The root's path must still name the directory opened at construction
  // (a root deleted and created again is served from its path).
  struct stat root_st {};
  if (::stat(root_.c_str(), &root_st) != 0 || root_st.st_dev != root_dir_->dev || root_st.st_ino != root_dir_->ino) {
    return std::nullopt;
  }
  size_t start = rel_path.find_first_not_of('/');
  if (start == std::string_view::npos) return std::nullopt;  // the root itself: a directory
  std::string rel(rel_path.substr(start));
  // O_NONBLOCK: opening a FIFO must not wait for a writer (as nginx opens files).
  int fd = OpenBeneath(root_dir_->fd, rel.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    switch (errno) {
      case ENOENT:
      case ENOTDIR:
        return ErrorPage(404, "");
      default:  // EXDEV (an absolute or escaping symlink), EACCES, ELOOP, ...: decided by resolved path
        return std::nullopt;
    }
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    if (S_ISDIR(st.st_mode)) return std::nullopt;  // redirects, index.html, listings
    return ErrorPage(404, "");
  }
  return ServeOpenFile(req, fd, rel);
}

net::HttpResponse StaticFiles::Serve(const net::HttpRequest& req, std::string_view rel_path,
                                     std::string_view url_path) const {
  if (req.method != "GET" && req.method != "HEAD") {
    net::HttpResponse r = ErrorPage(405, "");
    r.SetHeader("Allow", "GET, HEAD");
    return r;
  }
  // The raw target must not smuggle a slash or a NUL through percent-encoding.
  std::string_view raw = std::string_view(req.target).substr(0, req.target.find('?'));
  for (std::string_view bad : {"%2f", "%2F", "%5c", "%5C"}) {
    if (raw.find(bad) != std::string_view::npos) return ErrorPage(404, "");
  }
  if (rel_path.find('\0') != std::string_view::npos || rel_path.find('\\') != std::string_view::npos) {
    return ErrorPage(400, "");
  }
  // Reject ".." segments outright rather than normalising them away.
  size_t pos = 0;
  while (pos <= rel_path.size()) {
    size_t next = rel_path.find('/', pos);
    if (next == std::string_view::npos) next = rel_path.size();
    if (rel_path.substr(pos, next - pos) == "..") return ErrorPage(400, "");
    pos = next + 1;
  }
  if (auto answered = ServeBeneath(req, rel_path)) return *std::move(answered);
  std::error_code ec;
  // Resolved once; a root that did not exist at construction is resolved per request.
  fs::path root = canonical_root_.empty() ? fs::canonical(root_, ec) : fs::path(canonical_root_);
  if (ec) return ErrorPage(404, "");
  fs::path target = root / fs::path(std::string(rel_path)).relative_path();
  struct stat st {};
  if (::stat(target.c_str(), &st) != 0) return ErrorPage(404, "");
  fs::path real = fs::canonical(target, ec);
  if (ec) return ErrorPage(404, "");
  if (real != root && !IsWithin(real, root)) return ErrorPage(403, "");
  if (S_ISDIR(st.st_mode)) {
    if (url_path.empty() || url_path.back() != '/') {
      net::HttpResponse r = ErrorPage(301, "");
      std::string location(url_path);
      location += '/';
      if (size_t q = req.target.find('?'); q != std::string::npos) location += req.target.substr(q);
      r.SetHeader("Location", location);
      return r;
    }
    fs::path index = real / "index.html";
    struct stat ist {};
    if (::stat(index.c_str(), &ist) == 0 && S_ISREG(ist.st_mode)) return ServeFile(req, index.string());
    if (!listing_) return ErrorPage(403, "");
    return ListDirectory(real.string(), url_path);
  }
  if (!S_ISREG(st.st_mode)) return ErrorPage(404, "");
  return ServeFile(req, real.string());
}

net::HttpResponse StaticFiles::ServeFile(const net::HttpRequest& req, const std::string& file) const {
  // One descriptor for stat and reads: what is described is what is sent.
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrorPage(errno == ENOENT ? 404 : 403, "");
  return ServeOpenFile(req, fd, file);
}

net::HttpResponse StaticFiles::ServeOpenFile(const net::HttpRequest& req, int fd, std::string_view file) const {
  struct FdCloser {
    int fd;
    ~FdCloser() {
      if (fd >= 0) ::close(fd);
    }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return ErrorPage(404, "");
  uint64_t size = static_cast<uint64_t>(st.st_size);
  std::string etag = Etag(st);
  std::string last_modified = HttpDate(static_cast<int64_t>(st.st_mtime));
  net::HttpResponse r;
  r.headers.reserve(6);
  r.SetHeader("Content-Type", WithCharset(ContentTypeFor(file)));
  r.SetHeader("Last-Modified", last_modified);
  r.SetHeader("ETag", etag);
  r.SetHeader("Accept-Ranges", "bytes");

  // RFC 9110 13.2.2: If-None-Match wins over If-Modified-Since.
  std::string_view inm = req.Header("If-None-Match");
  bool not_modified = false;
  if (!inm.empty()) {
    not_modified = inm == "*" || inm.find(etag) != std::string_view::npos;
  } else if (auto ims = ParseHttpDate(req.Header("If-Modified-Since")); ims) {
    not_modified = static_cast<int64_t>(st.st_mtime) <= *ims;
  }
  if (not_modified) {
    r.status = 304;
    return r;
  }

  uint64_t first = 0, last = size == 0 ? 0 : size - 1;
  bool partial = false;
  std::string_view range = req.Header("Range");
  std::string_view if_range = req.Header("If-Range");
  if (!range.empty() && (if_range.empty() || if_range == etag || if_range == last_modified)) {
    switch (ParseRange(range, size, &first, &last)) {
      case RangeResult::kNone:
        break;
      case RangeResult::kOk:
        partial = true;
        break;
      case RangeResult::kUnsatisfiable: {
        net::HttpResponse e = ErrorPage(416, "");
        e.SetHeader("Content-Range", "bytes */" + std::to_string(size));
        return e;
      }
    }
  }
  uint64_t length = size == 0 ? 0 : last - first + 1;
  bool text = ContentTypeFor(file).starts_with("text/");
  bool inline_body = length <= max_inline_bytes_ || (text && length <= (1u << 20) && !partial);
  if (req.method != "HEAD" && length > 0 && inline_body) {
    r.body.resize(length);
    size_t got = 0;
    while (got < length) {
      ssize_t n = ::pread(fd, r.body.data() + got, length - got, static_cast<off_t>(first + got));
      if (n <= 0) return ErrorPage(500, "read failed");
      got += static_cast<size_t>(n);
    }
  } else if (req.method != "HEAD" && length > 0) {
    r.file = std::make_shared<net::FileBody>(fd, first, length);
    closer.fd = -1;  // owned by the response now
  } else if (req.method == "HEAD") {
    // No body: the server keeps this Content-Length for HEAD.
    r.SetHeader("Content-Length", std::to_string(length));
  }
  if (partial) {
    r.status = 206;
    r.SetHeader("Content-Range",
                "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" + std::to_string(size));
  }
  return r;
}

net::HttpResponse StaticFiles::ListDirectory(const std::string& dir, std::string_view url_path) const {
  auto names = ListDir(dir);
  if (!names.ok()) return ErrorPage(403, "");
  std::vector<std::string> entries = *names;
  std::sort(entries.begin(), entries.end());
  std::string title = "Index of ";
  title += url_path;
  std::string body = "<html>\n<head><title>";
  html::AppendEscaped(&body, title);
  body += "</title></head>\n<body>\n<h1>";
  html::AppendEscaped(&body, title);
  body += "</h1><hr><pre><a href=\"../\">../</a>\n";
  auto add = [&](const std::string& name, bool is_dir, const struct stat& st) {
    std::string shown = name + (is_dir ? "/" : "");
    body += "<a href=\"" + net::UrlEncode(name) + (is_dir ? "/" : "") + "\">";
    html::AppendEscaped(&body, shown);
    body += "</a>";
    body.append(shown.size() < 50 ? 51 - shown.size() : 1, ' ');
    char buf[64];
    time_t t = st.st_mtime;
    struct tm tm {};
    gmtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "%d-%b-%Y %H:%M", &tm);
    body += buf;
    std::string size = is_dir ? "-" : std::to_string(static_cast<long long>(st.st_size));
    body.append(size.size() < 20 ? 20 - size.size() : 1, ' ');
    body += size + "\n";
  };
  // Directories first, as Nginx's autoindex lists them.
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& name : entries) {
      if (name.empty() || name[0] == '.') continue;
      struct stat st {};
      if (::stat((dir + "/" + name).c_str(), &st) != 0) continue;
      bool is_dir = S_ISDIR(st.st_mode);
      if (is_dir == (pass == 0)) add(name, is_dir, st);
    }
  }
  body += "</pre><hr></body>\n</html>\n";
  net::HttpResponse r;
  r.body = std::move(body);
  r.SetHeader("Content-Type", "text/html; charset=utf-8");
  return r;
}

}  // namespace vigil::portal
