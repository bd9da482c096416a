#include "portal/access_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "base/file_util.h"
#include "base/json.h"
#include "base/log.h"
#include "base/time_format.h"
#include "net/runtime.h"

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

struct AccessLog::File {
  explicit File(int descriptor) : fd(descriptor) {}
  ~File() { ::close(fd); }
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  int fd;
};

namespace {

// Writes `bytes` (whole lines) to `file`; a short write (disk full) drops the rest.
void WriteLines(const AccessLog::File& file, std::string_view bytes) {
  (void)!::write(file.fd, bytes.data(), bytes.size());
}

// The lines an I/O thread has formatted in the current turn of its event
// loop, per file, until the flush it posted runs (or the thread ends).
class PendingLines {
 public:
  // A buffer whose bytes go to `file` at the next flush; its capacity is
  // kept from earlier batches. The buffer's lines are written at once
  // when they exceed kMaxPendingBytes.
  std::string& For(const std::shared_ptr<const AccessLog::File>& file) {
    Batch* free_batch = nullptr;
    for (Batch& b : batches_) {
      if (b.file == file) return b.bytes;
      if (!b.file && free_batch == nullptr) free_batch = &b;
    }
    if (free_batch == nullptr) free_batch = &batches_.emplace_back();
    free_batch->file = file;
    return free_batch->bytes;
  }
  // Posts one flush per turn to `io` (the caller's own context).
  void ScheduleFlush(boost::asio::io_context& io) {
    if (flush_posted_) return;
    flush_posted_ = true;
    boost::asio::post(io, [this] { Flush(); });
  }
  void Flush() {
    flush_posted_ = false;
    for (Batch& b : batches_) {
      if (!b.bytes.empty()) WriteLines(*b.file, b.bytes);
      b.bytes.clear();
      b.file.reset();  // lets a closed log's descriptor go
    }
  }
  ~PendingLines() { Flush(); }

 private:
  struct Batch {
    std::shared_ptr<const AccessLog::File> file;  // null: a free slot
    std::string bytes;
  };
  std::vector<Batch> batches_;  // one per file written this turn: a handful
  bool flush_posted_ = false;
};

// A batch larger than this is written without waiting for the turn to end.
constexpr size_t kMaxPendingBytes = 64 << 10;

}  // namespace

AccessLog::AccessLog(std::string dir) : dir_(std::move(dir)) {}

AccessLog::~AccessLog() = default;

std::shared_ptr<const AccessLog::File> AccessLog::FileOf(std::string_view vhost) {
  {
    std::shared_lock lock(mu_);
    if (auto it = files_.find(vhost); it != files_.end()) return it->second;
  }
  std::unique_lock lock(mu_);
  auto it = files_.find(vhost);
  if (it == files_.end()) {
    std::string path = dir_ + "/" + std::string(vhost) + ".log";
    int opened = EnsureDir(dir_).ok() ? ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : -1;
    if (opened < 0) VLOG_WARN("cannot open access log", {{"path", path}});
    it = files_.emplace(std::string(vhost), opened < 0 ? nullptr : std::make_shared<const File>(opened)).first;
  }
  return it->second;
}

void AccessLog::Write(const net::HttpRequest& req, const AccessRecord& rec) {
  if (dir_.empty()) return;
  std::shared_ptr<const File> file = FileOf(rec.vhost);
  if (!file) return;
  if (boost::asio::io_context* io = net::Runtime::ThisThreadIo()) {
    thread_local PendingLines pending;
    std::string& batch = pending.For(file);
    AppendAccessLine(&batch, req, rec);
    if (batch.size() > kMaxPendingBytes) {
      WriteLines(*file, batch);
      batch.clear();
    }
    pending.ScheduleFlush(*io);
    return;
  }
  // Each thread formats its lines into one buffer that keeps its capacity.
  thread_local std::string line;
  line.clear();
  AppendAccessLine(&line, req, rec);
  WriteLines(*file, line);
}

}  // namespace vigil::portal
