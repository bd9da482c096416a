#include "alertmanager/record_log.h"

#include <unistd.h>

#include <cinttypes>
#include <cstring>

#include "base/crc32c.h"
#include "base/file_util.h"

namespace vigil::alertmanager {
namespace {

std::string Frame(std::string_view record) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08" PRIx32 " ", crc32c::Value(record.data(), record.size()));
  std::string line(buf);
  line.append(record);
  line += '\n';
  return line;
}

// Splits `data` into intact records; returns the byte length of the valid prefix.
size_t Unframe(const std::string& data, std::vector<std::string>* out) {
  size_t pos = 0;
  while (pos < data.size()) {
    size_t nl = data.find('\n', pos);
    if (nl == std::string::npos || nl - pos < 9 || data[pos + 8] != ' ') break;
    uint32_t want = 0;
    if (std::sscanf(data.c_str() + pos, "%8" SCNx32, &want) != 1) break;
    std::string_view rec(data.data() + pos + 9, nl - pos - 9);
    if (crc32c::Value(rec.data(), rec.size()) != want) break;
    out->emplace_back(rec);
    pos = nl + 1;
  }
  return pos;
}

constexpr size_t kMaxStateFile = 1ull << 30;

}  // namespace

RecordLog::~RecordLog() {
  if (log_) std::fclose(log_);
}

Result<std::vector<std::string>> RecordLog::Open(const std::string& dir, const std::string& name) {
  Status st = EnsureDir(dir);
  if (!st.ok()) return st;
  snapshot_path_ = dir + "/" + name + ".snapshot";
  log_path_ = dir + "/" + name + ".log";
  std::vector<std::string> records;
  auto snap = ReadFile(snapshot_path_, kMaxStateFile);
  if (snap.ok()) Unframe(*snap, &records);
  auto log = ReadFile(log_path_, kMaxStateFile);
  if (log.ok()) {
    size_t valid = Unframe(*log, &records);
    if (valid < log->size()) {
      Status t = TruncateFile(log_path_, valid);
      if (!t.ok()) return t;
    }
  }
  if (log_) std::fclose(log_);
  log_ = std::fopen(log_path_.c_str(), "ab");
  if (!log_) return Status::IOError("cannot open " + log_path_ + ": " + std::strerror(errno));
  appended_ = 0;
  return records;
}

Status RecordLog::Append(std::string_view record, bool sync) {
  if (!log_) return Status::Internal("record log is not open");
  std::string line = Frame(record);
  if (std::fwrite(line.data(), 1, line.size(), log_) != line.size() || std::fflush(log_) != 0) {
    return Status::IOError("cannot append to " + log_path_ + ": " + std::strerror(errno));
  }
  if (sync && ::fdatasync(fileno(log_)) != 0) {
    return Status::IOError("cannot sync " + log_path_ + ": " + std::strerror(errno));
  }
  ++appended_;
  return Status::Ok();
}

Status RecordLog::Compact(const std::vector<std::string>& records) {
  std::string data;
  for (const auto& r : records) data += Frame(r);
  Status st = WriteFileAtomic(snapshot_path_, data);
  if (!st.ok()) return st;
  if (log_) std::fclose(log_);
  log_ = std::fopen(log_path_.c_str(), "wb");
  if (!log_) return Status::IOError("cannot reopen " + log_path_ + ": " + std::strerror(errno));
  appended_ = 0;
  return Status::Ok();
}

}  // namespace vigil::alertmanager
