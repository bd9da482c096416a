#pragma once
// AccessLog: one JSON object per request, one file per virtual host
// (<dir>/<vhost>.log), appended. Fields: time, remote_addr, host, method,
// uri, status, bytes, duration (seconds), upstream, user_agent, referer.
//
// Each line leaves in one write(2) to a file opened O_APPEND, so lines from
// concurrent writers never interleave and writers do not wait for each
// other (as nginx's unbuffered access_log).
//
// Thread-safety: Write may be called from any thread; lines never interleave.

#include <cstdint>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "net/http_types.h"

namespace vigil::portal {

// One request's outcome. The views belong to the caller and need to stay
// valid only for the Write/Add call that takes the record.
struct AccessRecord {
  int64_t unix_ms = 0;
  std::string_view vhost;     // file name stem
  std::string_view upstream;  // "http://127.0.0.1:8428" or "" for static
  int status = 0;
  uint64_t bytes = 0;    // response body bytes
  double duration_seconds = 0;
};

class AccessLog {
 public:
  // `dir` is created on first write; empty disables logging.
  explicit AccessLog(std::string dir);
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // Appends one line for `req` answered as `rec` says. Failures to open or
  // write are reported once per file to the process log, then ignored.
  void Write(const net::HttpRequest& req, const AccessRecord& rec);

 private:
  std::string dir_;
  std::shared_mutex mu_;              // guards files_; writes happen outside it
  std::map<std::string, int, std::less<>> files_;  // descriptors; -1 when opening failed
};

// The JSON line (with trailing newline) Write appends.
std::string FormatAccessLine(const net::HttpRequest& req, const AccessRecord& rec);
// Appends that line to *out (so that a caller can reuse one buffer).
void AppendAccessLine(std::string* out, const net::HttpRequest& req, const AccessRecord& rec);

}  // namespace vigil::portal
