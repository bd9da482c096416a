#include "logstore/log_store.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "base/file_util.h"
#include "base/log.h"
#include "logstore/entry_codec.h"
#include "logstore/part_merge.h"

namespace vigil::logstore {
namespace {

// Floor division: the UTC day of a timestamp, also for negative ones.
int64_t DayOf(int64_t time_ns) {
  int64_t day = time_ns / kNanosPerDay;
  if (time_ns % kNanosPerDay < 0) --day;
  return day;
}

std::string DayName(int64_t day) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day}}};
  return fmt::format("{:04}{:02}{:02}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                     static_cast<unsigned>(ymd.day()));
}

// Parses "YYYYMMDD" into a day number.
bool ParseDayName(const std::string& name, int64_t* day) {
  unsigned y = 0, m = 0, d = 0;
  if (name.size() != 8 || std::sscanf(name.c_str(), "%4u%2u%2u", &y, &m, &d) != 3) return false;
  const std::chrono::year_month_day ymd{std::chrono::year(static_cast<int>(y)), std::chrono::month(m), std::chrono::day(d)};
  if (!ymd.ok()) return false;
  *day = std::chrono::sys_days(ymd).time_since_epoch().count();
  return true;
}

// Parses "<16 hex digits>.part" into a sequence number.
bool ParsePartName(const std::string& name, uint64_t* seq) {
  if (name.size() != 21 || name.substr(16) != ".part") return false;
  unsigned long long v = 0;
  if (std::sscanf(name.c_str(), "%16llx", &v) != 1) return false;
  *seq = v;
  return true;
}

// The maintenance (merge) thread runs at this nice value above the
// process's: under load the scheduler then favours the threads answering
// writes and queries, whose latency the senders wait for, and the flush,
// while merges still get the CPU left over (a partition past
// merge_min_parts only costs queries a few more parts meanwhile).
constexpr int kBackgroundNiceIncrement = 5;

// Lowers the calling thread's CPU priority by kBackgroundNiceIncrement
// (Linux: nice values are per thread). Best effort: errors are ignored.
void LowerThisThreadPriority() {
  const auto tid = static_cast<id_t>(::gettid());
  errno = 0;
  const int nice = ::getpriority(PRIO_PROCESS, tid);
  if (errno != 0) return;
  (void)::setpriority(PRIO_PROCESS, tid, std::min(19, nice + kBackgroundNiceIncrement));
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Rows of one stream grouped into days, for writing parts.
using RowsByDay = std::map<int64_t, std::vector<StreamRows>>;

// Adds the rows of one stream to `out`, sorted by time and split per day.
void GroupByDay(const StreamLabels& labels, std::vector<RowRef> rows, RowsByDay* out) {
  // Rows mostly arrive in time order; checking costs one pass, sorting several.
  const auto earlier = [](const RowRef& a, const RowRef& b) { return a.time_ns < b.time_ns; };
  if (!std::is_sorted(rows.begin(), rows.end(), earlier)) std::stable_sort(rows.begin(), rows.end(), earlier);
  StreamRows* current = nullptr;
  int64_t current_day = 0;
  for (const RowRef& e : rows) {
    const int64_t day = DayOf(e.time_ns);
    if (current == nullptr || day != current_day) {
      current = &(*out)[day].emplace_back(StreamRows{labels, {}});
      current_day = day;
    }
    current->rows.push_back(e);
  }
}

}  // namespace

LogStore::LogStore(const LogStoreOptions& options)
    : options_(options), head_(std::make_shared<MemoryLogStore>()) {}

Result<std::unique_ptr<LogStore>> LogStore::Open(const LogStoreOptions& options) {
  std::unique_ptr<LogStore> store(new LogStore(options));
  if (Status s = store->Load(); !s.ok()) return s;
  if (options.background) {
    store->bg_ = std::thread([s = store.get()] { s->BackgroundLoop(); });
    store->maintenance_bg_ = std::thread([s = store.get()] { s->MaintenanceLoop(); });
  }
  return store;
}

LogStore::~LogStore() { (void)Close(); }

std::string LogStore::PartitionDir(int64_t day) const { return options_.dir + "/partitions/" + DayName(day); }

Status LogStore::Load() {
  const std::string parts_root = options_.dir + "/partitions";
  if (Status s = EnsureDir(parts_root); !s.ok()) return s;
  auto days = ListDir(parts_root);
  if (!days.ok()) return days.status();
  uint64_t max_seq = 0;
  for (const auto& day_name : days.value()) {
    int64_t day = 0;
    if (!ParseDayName(day_name, &day)) continue;
    const std::string dir = parts_root + "/" + day_name;
    auto names = ListDir(dir);
    if (!names.ok()) return names.status();
    std::vector<std::shared_ptr<Part>> parts;
    for (const auto& name : names.value()) {
      uint64_t seq = 0;
      if (name.find(".tmp.") != std::string::npos) {
        (void)RemoveFile(dir + "/" + name);  // an interrupted atomic write
        continue;
      }
      if (!ParsePartName(name, &seq)) continue;
      max_seq = std::max(max_seq, seq);
      auto part = Part::Open(dir + "/" + name, seq);
      if (!part.ok()) {
        if (part.status().code() != Status::Code::kCorruption) return part.status();
        VLOG_WARN("quarantining corrupt log part", {{"path", dir + "/" + name}, {"error", part.status().message()}});
        std::error_code ec;
        std::filesystem::rename(dir + "/" + name, dir + "/" + name + ".corrupt", ec);
        ++stats_.corrupt_parts;
        continue;
      }
      parts.push_back(std::move(part.value()));
    }
    // A merge's output replaces its inputs; inputs left by a crash go now.
    std::set<uint64_t> superseded;
    for (const auto& p : parts) superseded.insert(p->superseded().begin(), p->superseded().end());
    Partition partition{dir, {}};
    for (auto& p : parts) {
      if (superseded.contains(p->seq())) {
        (void)RemoveFile(p->path());
        continue;
      }
      partition.parts.push_back(std::move(p));
    }
    if (!superseded.empty()) (void)FsyncDir(dir);
    partitions_[day] = std::move(partition);
  }
  next_seq_ = max_seq + 1;

  const std::string wal_dir = options_.dir + "/wal";
  ReplayStats replay;
  Status s = WalReader::Replay(
      wal_dir,
      [&](std::string_view record) {
        RowBatch batch;
        if (Status d = DecodeRowBatch(record, &batch); !d.ok()) {
          VLOG_WARN("skipping malformed log WAL record", {{"error", d.message()}});
          return Status::Ok();
        }
        head_->AddBatch(std::move(batch));
        return Status::Ok();
      },
      &replay);
  if (!s.ok()) return s;
  auto wal = WalWriter::Open(wal_dir, WalOptions{uint64_t{64} << 20});
  if (!wal.ok()) return wal.status();
  wal_ = std::move(wal.value());
  return Status::Ok();
}

Status LogStore::Add(const std::vector<LogEntry>& entries, uint64_t* too_old_out) {
  RowBatch batch;
  for (const auto& e : entries) batch.AddEntry(e);
  return Add(std::move(batch), too_old_out);
}

Status LogStore::Add(RowBatch batch, uint64_t* too_old_out) {
  const int64_t oldest = NowNs() - options_.retention_ns;
  const uint64_t too_old = batch.RemoveRowsIf([&](int64_t time_ns) { return time_ns < oldest; });
  if (too_old_out != nullptr) *too_old_out = too_old;
  std::string record;
  if (!batch.empty()) EncodeRowBatch(batch, &record);
  const size_t rows = batch.size();
  const uint64_t bytes = batch.bytes();
  bool flush_early = false;
  {
    std::lock_guard lock(mu_);
    stats_.rows_too_old += too_old;
    if (rows == 0) return Status::Ok();
    if (Status s = wal_->Append(record); !s.ok()) return s;
    stats_.rows_added += rows;
    head_bytes_ += bytes;
    head_->AddBatch(std::move(batch));
    flush_early = head_bytes_ >= options_.max_head_bytes;
  }
  if (flush_early) {
    {
      std::lock_guard lock(bg_mu_);
      flush_now_ = true;
    }
    bg_cv_.notify_all();
  }
  return Status::Ok();
}

Status LogStore::Scan(const ScanRequest& request, const BlockFn& fn) const {
  std::shared_ptr<MemoryLogStore> head;
  std::shared_ptr<MemoryLogStore> frozen;
  std::vector<std::shared_ptr<Part>> parts;
  {
    std::lock_guard lock(mu_);
    head = head_;
    frozen = frozen_;
    const int64_t first_day = DayOf(request.min_time_ns);
    const int64_t last_day = DayOf(request.max_time_ns);
    for (auto it = partitions_.lower_bound(first_day); it != partitions_.end() && it->first <= last_day; ++it)
      parts.insert(parts.end(), it->second.parts.begin(), it->second.parts.end());
  }
  struct StreamState {
    bool matches = false;
    const StreamLabels* labels = nullptr;
    std::string formatted;
  };
  std::unordered_map<uint64_t, StreamState> streams;
  DecodedBlock decoded;
  bool stopped = false;
  for (const auto& part : parts) {
    if (part->max_time_ns() < request.min_time_ns || part->min_time_ns() > request.max_time_ns) continue;
    for (const BlockMeta& block : part->blocks()) {
      if (block.max_time_ns < request.min_time_ns || block.min_time_ns > request.max_time_ns) continue;
      auto [it, inserted] = streams.try_emplace(block.stream_id);
      StreamState& st = it->second;
      if (inserted) {
        st.labels = &part->streams().at(block.stream_id);
        st.matches = !request.stream_matches || request.stream_matches(*st.labels);
        st.formatted = FormatStream(*st.labels);
      }
      if (!st.matches || !part->BlockMayMatch(block, request.required_tokens)) continue;
      // Labels of the same id are equal in every part; point at this part's copy.
      Status s = part->Decode(block, request.columns, &part->streams().at(block.stream_id), st.formatted, &decoded);
      if (!s.ok()) {
        ++corrupt_blocks_;
        VLOG_WARN("skipping corrupt log block", {{"error", s.message()}});
        continue;
      }
      if (!fn(decoded.view())) {
        stopped = true;
        break;
      }
    }
    if (stopped) return Status::Ok();
  }
  BlockFn wrapped = [&](const BlockView& b) { return stopped ? false : (stopped = !fn(b), !stopped); };
  if (frozen) {
    if (Status s = frozen->Scan(request, wrapped); !s.ok() || stopped) return s;
  }
  return head->Scan(request, wrapped);
}

Status LogStore::Flush() {
  std::lock_guard flush_lock(flush_mu_);
  if (closed_) return Status::Ok();
  uint64_t segment = 0;
  {
    std::lock_guard lock(mu_);
    if (head_->size() == 0) return Status::Ok();
    // No fdatasync here (Adds wait for mu_): the parts written below are
    // the durable copy of these rows, and the segments go once they are.
    if (Status s = wal_->StartNextSegment(); !s.ok()) return s;
    segment = wal_->CurrentSegment();
    frozen_ = std::move(head_);
    head_ = std::make_shared<MemoryLogStore>();
    head_bytes_ = 0;
  }
  // The frozen head takes no more Adds, so its rows are read in place; it
  // keeps serving scans until the parts holding its rows are visible.
  RowsByDay by_day;
  frozen_->ForEachStream([&](const StreamLabels& labels, std::span<const RowRef> rows) {
    GroupByDay(labels, std::vector<RowRef>(rows.begin(), rows.end()), &by_day);
  });
  std::vector<std::pair<int64_t, std::shared_ptr<Part>>> written;
  Status status;
  for (const auto& [day, streams] : by_day) {
    const std::string dir = PartitionDir(day);
    status = EnsureDir(dir);
    const uint64_t seq = next_seq_++;
    const std::string path = fmt::format("{}/{:016x}.part", dir, seq);
    if (status.ok()) status = WritePart(path, streams, {}, 1);
    if (!status.ok()) break;
    auto part = Part::Open(path, seq);
    if (!part.ok()) {
      status = part.status();
      break;
    }
    written.emplace_back(day, std::move(part.value()));
  }
  std::unique_lock lock(mu_);
  if (!status.ok()) {
    // Keep the rows readable in the head; the WAL still holds them.
    for (const auto& [day, part] : written) (void)RemoveFile(part->path());
    RowBatch back;
    frozen_->ForEachStream([&](const StreamLabels& labels, std::span<const RowRef> rows) {
      const uint32_t stream = back.StreamIndex(labels);
      for (const RowRef& row : rows) {
        back.BeginRow(row.time_ns, stream);
        for (const FieldRef& f : row.fields) back.AddField(f.name, f.value);
      }
    });
    head_->AddBatch(std::move(back));
    frozen_.reset();
    return status;
  }
  for (auto& [day, part] : written) {
    auto& partition = partitions_[day];
    partition.dir = PartitionDir(day);
    partition.parts.push_back(std::move(part));
  }
  // Freeing the frozen head (tens of MiB of batches) and deleting WAL
  // segments take milliseconds: not while Adds wait for mu_.
  std::shared_ptr<MemoryLogStore> flushed = std::move(frozen_);
  lock.unlock();
  flushed.reset();
  return wal_->TruncateBefore(segment);
}

Status LogStore::MergeSmallParts(int64_t day, bool* merged_out) {
  *merged_out = false;
  std::vector<std::shared_ptr<Part>> inputs;
  {
    std::lock_guard lock(mu_);
    auto it = partitions_.find(day);
    if (it == partitions_.end() || it->second.parts.size() < options_.merge_min_parts) return Status::Ok();
    inputs = it->second.parts;
  }
  std::sort(inputs.begin(), inputs.end(),
            [](const auto& a, const auto& b) { return a->size_bytes() < b->size_bytes(); });
  constexpr size_t kMaxInputs = 16;
  constexpr uint64_t kMaxInputBytes = uint64_t{1} << 30;
  // Smallest first, and past kSmallPartBytes never a part bigger than twice
  // the ones taken so far: big merged parts are not rewritten for every few
  // small ones (that made the bytes written per span grow with the
  // partition's size), while a tiny part cannot keep the rest from merging.
  constexpr uint64_t kSmallPartBytes = uint64_t{16} << 20;
  uint64_t total = 0;
  size_t count = 0;
  while (count < inputs.size() && count < kMaxInputs && total + inputs[count]->size_bytes() <= kMaxInputBytes &&
         inputs[count]->size_bytes() <= std::max(2 * total, kSmallPartBytes))
    total += inputs[count++]->size_bytes();
  if (count < 2) return Status::Ok();
  inputs.resize(count);

  std::vector<uint64_t> superseded;
  for (const auto& p : inputs) superseded.push_back(p->seq());
  const std::string dir = PartitionDir(day);
  const uint64_t seq = next_seq_++;
  const std::string path = fmt::format("{}/{:016x}.part", dir, seq);
  PartBuilder builder(path, options_.merge_zstd_level);
  uint64_t corrupt = 0;
  MergeParts(inputs, &builder, &corrupt);
  corrupt_blocks_ += corrupt;
  if (Status s = builder.Finish(superseded); !s.ok()) return s;
  auto merged = Part::Open(path, seq);
  if (!merged.ok()) return merged.status();
  {
    std::lock_guard lock(mu_);
    auto& parts = partitions_[day].parts;
    std::erase_if(parts, [&](const auto& p) { return std::find(superseded.begin(), superseded.end(), p->seq()) != superseded.end(); });
    parts.push_back(std::move(merged.value()));
    ++stats_.merges;
  }
  *merged_out = true;
  for (const auto& p : inputs) (void)RemoveFile(p->path());
  return FsyncDir(dir);
}

void LogStore::DropPartition(int64_t day) {
  Partition dropped;
  {
    std::lock_guard lock(mu_);
    auto it = partitions_.find(day);
    if (it == partitions_.end()) return;
    dropped = std::move(it->second);
    partitions_.erase(it);
    ++stats_.partitions_dropped;
  }
  // Open scans keep their parts mapped; the files go now.
  std::error_code ec;
  std::filesystem::remove_all(dropped.dir, ec);
  if (ec) VLOG_WARN("cannot remove log partition", {{"dir", dropped.dir}, {"error", ec.message()}});
}

Status LogStore::Maintain(int64_t now_ns) {
  std::lock_guard maintenance_lock(maintenance_mu_);
  if (closed_) return Status::Ok();
  std::vector<int64_t> days;
  {
    std::lock_guard lock(mu_);
    for (const auto& [day, p] : partitions_) days.push_back(day);
  }
  const int64_t oldest = now_ns - options_.retention_ns;
  for (int64_t day : days) {
    if ((day + 1) * kNanosPerDay <= oldest) {
      DropPartition(day);
      continue;
    }
    // Merge until the partition is below merge_min_parts (or no merge is
    // allowed), so that merges keep up with flushes under heavy ingestion.
    for (bool merged = true; merged && !stop_maintenance_;) {
      if (Status s = MergeSmallParts(day, &merged); !s.ok()) {
        VLOG_WARN("log part merge failed", {{"error", s.message()}});
        break;
      }
    }
  }
  while (true) {
    int64_t oldest_day = 0;
    {
      std::lock_guard lock(mu_);
      uint64_t bytes = 0;
      for (const auto& [day, p] : partitions_)
        for (const auto& part : p.parts) bytes += part->size_bytes();
      if (bytes <= options_.max_disk_bytes || partitions_.size() <= 1) break;
      oldest_day = partitions_.begin()->first;
    }
    DropPartition(oldest_day);
  }
  return Status::Ok();
}

LogStoreStats LogStore::Stats() const {
  std::lock_guard lock(mu_);
  LogStoreStats s = stats_;
  s.head_rows = head_->size() + (frozen_ ? frozen_->size() : 0);
  s.partitions = partitions_.size();
  for (const auto& [day, p] : partitions_) {
    s.parts += p.parts.size();
    for (const auto& part : p.parts) {
      s.part_bytes += part->size_bytes();
      s.part_rows += part->rows();
    }
  }
  s.corrupt_blocks = corrupt_blocks_.load();
  return s;
}

void LogStore::BackgroundLoop() {
  // The flush keeps normal priority: under sustained ingestion it is what
  // the backpressure waits for (a niced flush lagged on a shared machine).
  std::unique_lock lock(bg_mu_);
  while (!stopping_) {
    bg_cv_.wait_for(lock, options_.flush_interval, [&] { return stopping_ || flush_now_; });
    if (stopping_) break;
    flush_now_ = false;
    lock.unlock();
    if (Status s = Flush(); !s.ok()) VLOG_WARN("log flush failed", {{"error", s.message()}});
    lock.lock();
  }
}

void LogStore::MaintenanceLoop() {
  LowerThisThreadPriority();
  std::unique_lock lock(bg_mu_);
  while (!stopping_) {
    bg_cv_.wait_for(lock, options_.flush_interval * 10, [&] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    if (Status s = Maintain(NowNs()); !s.ok()) VLOG_WARN("log maintenance failed", {{"error", s.message()}});
    lock.lock();
  }
}

Status LogStore::Close() {
  stop_maintenance_ = true;
  {
    std::lock_guard lock(bg_mu_);
    stopping_ = true;
  }
  bg_cv_.notify_all();
  if (bg_.joinable()) bg_.join();
  if (maintenance_bg_.joinable()) maintenance_bg_.join();
  Status s = Flush();
  std::scoped_lock lock(flush_mu_, maintenance_mu_);
  if (closed_) return Status::Ok();
  closed_ = true;
  if (wal_) {
    Status c = wal_->Close();
    if (s.ok()) s = c;
  }
  return s;
}

}  // namespace vigil::logstore
