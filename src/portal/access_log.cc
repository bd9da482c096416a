#include "portal/access_log.h"

#include <fcntl.h>
#include <unistd.h>

#include "base/file_util.h"
#include "base/json.h"
#include "base/log.h"
#include "base/time_format.h"

namespace vigil::portal {

std::string FormatAccessLine(const net::HttpRequest& req, const AccessRecord& rec) {
  std::string out;
  out.reserve(320);  // a typical line, so that it is built without regrowing
  out += '{';
  auto field = [&out](std::string_view key, std::string_view value) {
    if (out.size() > 1) out += ',';
    json::AppendString(&out, key);
    out += ':';
    json::AppendString(&out, value);
  };
  auto number = [&out](std::string_view key, double value) {
    out += ',';
    json::AppendString(&out, key);
    out += ':';
    json::AppendNumber(&out, value);
  };
  field("time", FormatRfc3339Millis(rec.unix_ms));
  field("remote_addr", req.remote_addr);
  field("host", req.Header("Host"));
  field("method", req.method);
  field("uri", req.target);
  number("status", rec.status);
  number("bytes", static_cast<double>(rec.bytes));
  number("duration", rec.duration_seconds);
  field("upstream", rec.upstream);
  field("user_agent", req.Header("User-Agent"));
  field("referer", req.Header("Referer"));
  out += "}\n";
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
  std::string line = FormatAccessLine(req, rec);
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
      std::string path = dir_ + "/" + rec.vhost + ".log";
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
