#pragma once
// AccessLog: one JSON object per request, one file per virtual host
// (<dir>/<vhost>.log), appended. Fields: time, remote_addr, host, method,
// uri, status, bytes, duration (seconds), upstream, user_agent, referer.
//
// Lines go to files opened O_APPEND in whole-line writes, so lines from
// concurrent writers never interleave and writers do not wait for each
// other. On an I/O thread of a net::Runtime, the lines written during one
// turn of its event loop wait in the thread's buffer until the handlers
// ready in that turn have run, and then leave together in one write(2) per
// file: a busy thread writes once per batch of requests, not once per
// request, and no line waits for a timer (unlike nginx's `buffer=`). Lines
// still pending when the thread ends are written then. Elsewhere each line
// is written at once.
//
// Thread-safety: Write may be called from any thread; lines never interleave.

#include <cstdint>
#include <map>
#include <memory>
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

  // Appends one line for `req` answered as `rec` says (see above for
  // when it reaches the file). A file that cannot be opened is reported
  // once to the process log and its lines are dropped, as are those of a
  // failed write.
  void Write(const net::HttpRequest& req, const AccessRecord& rec);

  // An open log file, closed when the last holder (this object or lines
  // still pending on some thread) lets go.
  struct File;

 private:
  // The file of `vhost`, opened on first use; null when it cannot be opened.
  std::shared_ptr<const File> FileOf(std::string_view vhost);

  std::string dir_;
  std::shared_mutex mu_;  // guards files_; writes happen outside it
  std::map<std::string, std::shared_ptr<const File>, std::less<>> files_;  // null when opening failed
};

// The JSON line (with trailing newline) Write appends.
std::string FormatAccessLine(const net::HttpRequest& req, const AccessRecord& rec);
// Appends that line to *out (so that a caller can reuse one buffer).
void AppendAccessLine(std::string* out, const net::HttpRequest& req, const AccessRecord& rec);

}  // namespace vigil::portal
