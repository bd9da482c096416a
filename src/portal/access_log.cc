#include "portal/access_log.h"

#include "base/file_util.h"
#include "base/json.h"
#include "base/log.h"
#include "base/time_format.h"

namespace vigil::portal {

std::string FormatAccessLine(const net::HttpRequest& req, const AccessRecord& rec) {
  std::string out = "{";
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
  for (auto& [name, f] : files_) {
    if (f != nullptr) std::fclose(f);
  }
}

void AccessLog::Write(const net::HttpRequest& req, const AccessRecord& rec) {
  if (dir_.empty()) return;
  std::string line = FormatAccessLine(req, rec);
  std::lock_guard lock(mu_);
  auto it = files_.find(rec.vhost);
  if (it == files_.end()) {
    FILE* f = nullptr;
    std::string path = dir_ + "/" + rec.vhost + ".log";
    if (EnsureDir(dir_).ok()) f = std::fopen(path.c_str(), "ae");
    if (f == nullptr) VLOG_WARN("cannot open access log", {{"path", path}});
    it = files_.emplace(rec.vhost, f).first;
  }
  if (it->second == nullptr) return;
  std::fwrite(line.data(), 1, line.size(), it->second);
  std::fflush(it->second);
}

}  // namespace vigil::portal
