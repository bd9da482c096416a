#include "portal/access_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>

#include "base/file_util.h"
#include "base/json.h"
#include "base/log.h"
#include "base/time_format.h"

namespace vigil::portal {

namespace {

// Appends the RFC 3339 time of `unix_ms` as FormatRfc3339Millis writes it
// ("2026-11-27T23:51:09.25Z"). The date and time of day are formatted once
// per second and thread (as nginx caches its log time), the milliseconds
// every time.
void AppendTime(std::string* out, int64_t unix_ms) {
  if (unix_ms <= 0) {
    out->append(FormatRfc3339Millis(unix_ms));
    return;
  }
  struct Cached {
    int64_t second = -1;
    std::string text;  // "2026-11-27T23:51:09", without fraction or zone
  };
  thread_local Cached cached;
  int64_t second = unix_ms / 1000;
  if (second != cached.second) {
    std::string full = FormatRfc3339Millis(second * 1000);  // whole second: no fraction
    cached.text.assign(full, 0, full.size() - 1);           // drop the 'Z'
    cached.second = second;
  }
  out->append(cached.text);
  int ms = static_cast<int>(unix_ms % 1000);
  if (ms != 0) {
    char frac[5] = {'.', static_cast<char>('0' + ms / 100), static_cast<char>('0' + ms / 10 % 10),
                    static_cast<char>('0' + ms % 10), 0};
    size_t len = 4;
    while (frac[len - 1] == '0') --len;
    out->append(frac, len);
  }
  out->push_back('Z');
}

}  // namespace

void AppendAccessLine(std::string* out, const net::HttpRequest& req, const AccessRecord& rec) {
  using namespace std::string_view_literals;
  out->append("{\"time\":\""sv);
  AppendTime(out, rec.unix_ms);
  out->push_back('"');
  // Keys are constants that need no escaping: each goes out as one append
  // of `,"key":`.
  auto field = [out](std::string_view key_prefix, std::string_view value) {
    out->append(key_prefix);
    json::AppendString(out, value);
  };
  // Integers as json::AppendNumber would print them, without going through double.
  auto integer = [out](std::string_view key_prefix, uint64_t value) {
    out->append(key_prefix);
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), value);
    out->append(digits, static_cast<size_t>(end - digits));
  };
  field(",\"remote_addr\":"sv, req.remote_addr);
  field(",\"host\":"sv, req.Header("Host"));
  field(",\"method\":"sv, req.method);
  field(",\"uri\":"sv, req.target);
  integer(",\"status\":"sv, rec.status < 0 ? 0 : static_cast<uint64_t>(rec.status));
  integer(",\"bytes\":"sv, rec.bytes);
  out->append(",\"duration\":"sv);
  json::AppendNumber(out, rec.duration_seconds);
  field(",\"upstream\":"sv, rec.upstream);
  field(",\"user_agent\":"sv, req.Header("User-Agent"));
  field(",\"referer\":"sv, req.Header("Referer"));
  out->append("}\n"sv);
}

std::string FormatAccessLine(const net::HttpRequest& req, const AccessRecord& rec) {
  std::string out;
  out.reserve(320);  // a typical line, so that it is built without regrowing
  AppendAccessLine(&out, req, rec);
  return out;
}

AccessLog::AccessLog(std::string dir) : dir_(std::move(dir)) {}

AccessLog::~AccessLog() {
  for (auto& [name, fd] : files_) {
    if (fd >= 0) ::close(fd);
  }
}

void AccessLog::Write(const net::HttpRequest& req, const AccessRecord& rec) {
  if (dir_.empty()) return;
  // Each thread formats its lines into one buffer that keeps its capacity.
  thread_local std::string line;
  line.clear();
  AppendAccessLine(&line, req, rec);
  int fd = -1;
  {
    std::shared_lock lock(mu_);
    auto it = files_.find(rec.vhost);
    if (it != files_.end()) fd = it->second;
  }
  if (fd == -1) {
    std::unique_lock lock(mu_);
    auto it = files_.find(rec.vhost);
    if (it == files_.end()) {
      std::string path = dir_ + "/" + std::string(rec.vhost) + ".log";
      int opened = EnsureDir(dir_).ok() ? ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : -1;
      if (opened < 0) VLOG_WARN("cannot open access log", {{"path", path}});
      it = files_.emplace(rec.vhost, opened).first;
    }
    fd = it->second;
  }
  // The descriptor stays open for the AccessLog's lifetime, so using it
  // outside the lock is safe. A short write (disk full) drops the rest.
  if (fd >= 0) (void)!::write(fd, line.data(), line.size());
}

}  // namespace vigil::portal
