#include "base/wal.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <utility>

#include <fmt/format.h>

#include "base/crc32c.h"
#include "base/log.h"
#include "base/varint.h"

namespace vigil {
namespace {

std::string SegmentPath(const std::string& dir, uint64_t seq) { return dir + "/" + WalSegmentName(seq); }

// CRC of a record as stored: over the length and type bytes, then the payload.
uint32_t RecordCrc(const char* length_and_type, std::string_view payload) {
  uint32_t crc = crc32c::Value(length_and_type, 5);
  return crc32c::Mask(crc32c::Extend(crc, payload.data(), payload.size()));
}

void EncodeHeader(char* header, std::string_view payload) {
  EncodeFixed32(header + 4, static_cast<uint32_t>(payload.size()));
  header[8] = static_cast<char>(kWalRecordFull);
  EncodeFixed32(header, RecordCrc(header + 4, payload));
}

// How far a segment parsed: [0, good_end) holds whole, valid records; when
// good_end < size, `damage` says what stopped the scan there.
struct SegmentScan {
  size_t good_end = 0;
  const char* damage = nullptr;
  Status callback_status;
};

SegmentScan ScanSegment(std::string_view data, const WalReader::RecordFn& fn, uint64_t* records) {
  SegmentScan scan;
  size_t pos = 0;
  while (pos < data.size()) {
    const size_t remaining = data.size() - pos;
    const char* p = data.data() + pos;
    if (remaining < kWalRecordHeaderBytes) {
      scan.damage = "incomplete record header";
      break;
    }
    const uint32_t masked_crc = DecodeFixed32(p);
    const uint64_t length = DecodeFixed32(p + 4);
    const uint8_t type = static_cast<uint8_t>(p[8]);
    if (type != kWalRecordFull) {
      scan.damage = "bad record type";
      break;
    }
    if (length > kWalMaxRecordBytes) {
      scan.damage = "bad record length";
      break;
    }
    if (length > remaining - kWalRecordHeaderBytes) {
      scan.damage = "record extends past end of file";
      break;
    }
    std::string_view payload(p + kWalRecordHeaderBytes, static_cast<size_t>(length));
    if (RecordCrc(p + 4, payload) != masked_crc) {
      scan.damage = "checksum mismatch";
      break;
    }
    scan.callback_status = fn(payload);
    if (!scan.callback_status.ok()) break;
    ++*records;
    pos += kWalRecordHeaderBytes + payload.size();
  }
  scan.good_end = pos;
  return scan;
}

bool DirExists(const std::string& dir) {
  struct stat st;
  return ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

std::string WalSegmentName(uint64_t seq) { return fmt::format("{:08}", seq); }

Result<std::vector<uint64_t>> ListWalSegments(const std::string& dir) {
  std::vector<uint64_t> seqs;
  if (!DirExists(dir)) return seqs;
  auto names = ListDir(dir);
  if (!names.ok()) return names.status();
  for (const std::string& name : names.value()) {
    uint64_t seq = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), seq);
    // Only canonical names count: "00000001", not "1", "000000001" or "00000001.tmp".
    if (ec != std::errc() || end != name.data() + name.size() || name != WalSegmentName(seq)) continue;
    seqs.push_back(seq);
  }
  std::sort(seqs.begin(), seqs.end());
  return seqs;
}

// ---- WalWriter ----

WalWriter::WalWriter(std::string dir, const WalOptions& options, uint64_t segment, AppendFile file,
                     uint64_t old_bytes)
    : dir_(std::move(dir)),
      options_(options),
      file_(std::move(file)),
      segment_(segment),
      other_segments_bytes_(old_bytes) {}

WalWriter::~WalWriter() { Close(); }

Result<std::unique_ptr<WalWriter>> WalWriter::Open(const std::string& dir, const WalOptions& options) {
  if (options.segment_bytes == 0) return Status::InvalidArgument("wal: segment_bytes must be positive");
  Status s = EnsureDir(dir);
  if (!s.ok()) return s;
  auto seqs = ListWalSegments(dir);
  if (!seqs.ok()) return seqs.status();
  uint64_t old_bytes = 0;
  for (uint64_t seq : seqs.value()) {
    auto size = FileSize(SegmentPath(dir, seq));
    if (!size.ok()) return size.status();
    old_bytes += size.value();
  }
  const uint64_t segment = seqs->empty() ? 1 : seqs->back() + 1;
  auto file = AppendFile::Open(SegmentPath(dir, segment));
  if (!file.ok()) return file.status();
  s = FsyncDir(dir);
  if (!s.ok()) return s;
  return std::unique_ptr<WalWriter>(new WalWriter(dir, options, segment, std::move(file).value(), old_bytes));
}

Status WalWriter::UsableLocked() const {
  if (!sticky_error_.ok()) return sticky_error_;
  if (closed_) return Status::Unavailable("wal " + dir_ + ": writer is closed");
  return Status::Ok();
}

void WalWriter::WaitForSyncLocked(std::unique_lock<std::mutex>& lock) {
  sync_done_.wait(lock, [this] { return !sync_in_progress_; });
}

Status WalWriter::Append(std::string_view record) {
  std::unique_lock lock(mu_);
  return AppendLocked(lock, record);
}

Status WalWriter::AppendAndSync(std::string_view record) {
  std::unique_lock lock(mu_);
  Status s = AppendLocked(lock, record);
  if (!s.ok()) return s;
  return SyncLocked(lock, appended_seq_);
}

Status WalWriter::Sync() {
  std::unique_lock lock(mu_);
  return SyncLocked(lock, appended_seq_);
}

Status WalWriter::AppendLocked(std::unique_lock<std::mutex>& lock, std::string_view record) {
  if (record.size() > kWalMaxRecordBytes) {
    return Status::InvalidArgument(
        fmt::format("wal: record of {} bytes exceeds the limit of {}", record.size(), kWalMaxRecordBytes));
  }
  const uint64_t frame_bytes = kWalRecordHeaderBytes + record.size();
  while (true) {
    Status s = UsableLocked();
    if (!s.ok()) return s;
    const uint64_t size = file_->Size();
    if (size == 0 || size + frame_bytes <= options_.segment_bytes) break;
    if (sync_in_progress_) {
      WaitForSyncLocked(lock);  // releases the lock: re-check everything
      continue;
    }
    s = RotateLocked(lock);
    if (!s.ok()) return s;
    break;
  }
  char header[kWalRecordHeaderBytes];
  EncodeHeader(header, record);
  const uint64_t size_before = file_->Size();
  Status s = file_->Append(std::string_view(header, sizeof(header)), record);
  if (!s.ok()) {
    // Cut off any partial frame so later records stay reachable on replay.
    if (file_->Size() != size_before && !file_->Truncate(size_before).ok()) sticky_error_ = s;
    return s;
  }
  ++appended_seq_;
  ++stats_.records;
  stats_.bytes += frame_bytes;
  return Status::Ok();
}

Status WalWriter::SyncLocked(std::unique_lock<std::mutex>& lock, uint64_t target_seq) {
  while (true) {
    if (synced_seq_ >= target_seq) return Status::Ok();
    Status s = UsableLocked();
    if (!s.ok()) return s;
    if (!sync_in_progress_) break;
    sync_done_.wait(lock);
  }
  // Become the leader: one fdatasync for everything appended so far.
  sync_in_progress_ = true;
  const uint64_t covered_seq = appended_seq_;
  AppendFile* file = &*file_;  // not replaced or closed while sync_in_progress_
  // Earlier segments left unsynced by StartNextSegment hold records this sync covers.
  std::vector<std::pair<uint64_t, AppendFile>> earlier = std::move(unsynced_segments_);
  unsynced_segments_.clear();
  lock.unlock();
  Status s;
  for (auto& [seq, f] : earlier) {
    if (s.ok()) s = f.Sync();
    (void)f.Close();
  }
  if (s.ok()) s = file->Sync();
  lock.lock();
  sync_in_progress_ = false;
  if (s.ok()) {
    synced_seq_ = std::max(synced_seq_, covered_seq);
    ++stats_.syncs;
  } else {
    sticky_error_ = s;
  }
  sync_done_.notify_all();
  return s;
}

Status WalWriter::Rotate() {
  std::unique_lock lock(mu_);
  WaitForSyncLocked(lock);
  Status s = UsableLocked();
  if (!s.ok()) return s;
  return RotateLocked(lock);
}

Status WalWriter::SyncUnsyncedSegmentsLocked() {
  Status s;
  for (auto& [seq, f] : unsynced_segments_) {
    if (s.ok()) s = f.Sync();
    (void)f.Close();
  }
  unsynced_segments_.clear();
  if (!s.ok()) sticky_error_ = s;
  return s;
}

Status WalWriter::StartNextSegment() {
  std::unique_lock lock(mu_);
  WaitForSyncLocked(lock);
  Status s = UsableLocked();
  if (!s.ok()) return s;
  return RotateLocked(lock, /*sync=*/false);
}

// REQUIRES: mu_ held, !sync_in_progress_, usable.
Status WalWriter::RotateLocked(std::unique_lock<std::mutex>& /*lock*/, bool sync) {
  Status s;
  if (sync) {
    s = SyncUnsyncedSegmentsLocked();
    if (s.ok()) s = file_->Sync();
    if (!s.ok()) {
      sticky_error_ = s;
      return s;
    }
    ++stats_.syncs;
    synced_seq_ = appended_seq_;
  }
  const uint64_t next = segment_ + 1;
  auto next_file = AppendFile::Open(SegmentPath(dir_, next));
  if (!next_file.ok()) return next_file.status();  // keep appending to the old segment
  s = FsyncDir(dir_);
  if (!s.ok()) {
    next_file->Close();
    RemoveFile(next_file->path());
    return s;
  }
  other_segments_bytes_ += file_->Size();
  if (sync) {
    Status c = file_->Close();
    if (!c.ok()) {
      // The data was synced above; a close error cannot lose it.
      VLOG_WARN("wal: closing segment failed", {{"file", file_->path()}, {"error", c.ToString()}});
    }
  } else {
    unsynced_segments_.emplace_back(segment_, std::move(*file_));
  }
  file_ = std::move(next_file).value();
  segment_ = next;
  ++stats_.rotations;
  return Status::Ok();
}

Status WalWriter::TruncateBefore(uint64_t segment) {
  std::lock_guard lock(mu_);
  Status s = UsableLocked();
  if (!s.ok()) return s;
  const uint64_t limit = std::min(segment, segment_);
  // Unsynced segments about to be deleted need no sync any more.
  std::erase_if(unsynced_segments_, [&](std::pair<uint64_t, AppendFile>& u) {
    if (u.first >= limit) return false;
    (void)u.second.Close();
    return true;
  });
  auto seqs = ListWalSegments(dir_);
  if (!seqs.ok()) return seqs.status();
  bool removed_any = false;
  for (uint64_t seq : seqs.value()) {
    if (seq >= limit) break;
    const std::string path = SegmentPath(dir_, seq);
    auto size = FileSize(path);
    Status r = RemoveFile(path);
    if (!r.ok()) {
      if (s.ok()) s = r;
      continue;
    }
    removed_any = true;
    if (size.ok()) other_segments_bytes_ -= std::min(other_segments_bytes_, size.value());
  }
  if (removed_any) {
    Status d = FsyncDir(dir_);
    if (s.ok()) s = d;
  }
  return s;
}

uint64_t WalWriter::CurrentSegment() const {
  std::lock_guard lock(mu_);
  return segment_;
}

uint64_t WalWriter::SizeBytes() const {
  std::lock_guard lock(mu_);
  return other_segments_bytes_ + file_->Size();
}

WalWriterStats WalWriter::Stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

Status WalWriter::Close() {
  std::unique_lock lock(mu_);
  if (closed_) return close_status_;
  WaitForSyncLocked(lock);
  Status s = sticky_error_;
  if (s.ok()) s = SyncUnsyncedSegmentsLocked();
  if (s.ok() && synced_seq_ < appended_seq_) {
    s = file_->Sync();
    if (s.ok()) {
      synced_seq_ = appended_seq_;
      ++stats_.syncs;
    }
  }
  Status c = file_->Close();
  if (s.ok()) s = c;
  closed_ = true;
  close_status_ = s;
  return s;
}

// ---- WalReader ----

Status WalReader::Replay(const std::string& dir, const RecordFn& fn, ReplayStats* stats) {
  ReplayStats local;
  ReplayStats& st = stats != nullptr ? *stats : local;
  auto seqs = ListWalSegments(dir);
  if (!seqs.ok()) return seqs.status();
  for (size_t i = 0; i < seqs->size(); ++i) {
    const uint64_t seq = (*seqs)[i];
    const bool is_last = i + 1 == seqs->size();
    const std::string path = SegmentPath(dir, seq);
    if (i > 0 && seq != (*seqs)[i - 1] + 1) {
      VLOG_WARN("wal: gap in segment sequence; records may be missing",
                {{"dir", dir}, {"after", WalSegmentName((*seqs)[i - 1])}, {"next", WalSegmentName(seq)}});
    }
    SegmentScan scan;
    size_t size = 0;
    {
      auto mapped = MappedFile::Open(path);
      if (!mapped.ok()) return mapped.status();
      size = mapped->size();
      scan = ScanSegment(mapped->data(), fn, &st.records);
    }  // unmapped here, before any truncation
    ++st.segments;
    if (!scan.callback_status.ok()) return scan.callback_status;
    if (scan.good_end == size) continue;

    const uint64_t dropped = size - scan.good_end;
    st.bytes_dropped += dropped;
    ++st.corrupt_segments;
    if (is_last) {
      Status s = TruncateFile(path, scan.good_end);
      if (!s.ok()) return s;
      VLOG_WARN("wal: damaged tail of last segment truncated",
                {{"file", path},
                 {"offset", std::to_string(scan.good_end)},
                 {"bytes_dropped", std::to_string(dropped)},
                 {"reason", scan.damage}});
    } else {
      VLOG_WARN("wal: damaged segment, skipping its remainder",
                {{"file", path},
                 {"offset", std::to_string(scan.good_end)},
                 {"bytes_dropped", std::to_string(dropped)},
                 {"reason", scan.damage}});
    }
  }
  return Status::Ok();
}

}  // namespace vigil
