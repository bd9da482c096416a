#include "tsdb/storage.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <unordered_map>
#include <utility>

#include "base/file_util.h"
#include "base/log.h"
#include "tsdb/storage_internal.h"
#include "tsdb/wal_records.h"

namespace vigil::tsdb {

namespace {

constexpr int64_t kMsPerDay = 24LL * 3600 * 1000;

std::string WalDir(const std::string& dir) { return dir + "/wal"; }


}  // namespace


// Applies replayed WAL payloads to the head. Refs are per writer session:
// the map is forgotten at every epoch (see tsdb/wal_records.h).
class Storage::ReplayVisitor final : public WalRecordVisitor {
 public:
  ReplayVisitor(Head* head, int64_t cutoff) : head_(head), cutoff_(cutoff) {}

  Status OnEpoch() override {
    refs_.clear();
    return Status::Ok();
  }
  Status OnSeries(uint64_t ref, const Labels& labels) override {
    if (labels.empty()) return Status::Corruption("wal record: series without labels");
    refs_[ref] = head_->GetOrCreate(labels, nullptr);
    return Status::Ok();
  }
  Status OnSamples(uint64_t ref, std::span<const Sample> samples) override {
    SeriesRef head_ref = 0;
    if (!Resolve(ref, &head_ref)) return Status::Ok();
    filtered_.clear();
    for (const Sample& s : samples) {
      if (s.timestamp_ms >= cutoff_) filtered_.push_back(s);
    }
    samples_ += head_->Append(head_ref, filtered_).added;
    return Status::Ok();
  }
  Status OnTombstone(uint64_t ref) override {
    SeriesRef head_ref = 0;
    if (!Resolve(ref, &head_ref)) return Status::Ok();
    head_->Delete(std::span<const SeriesRef>(&head_ref, 1));
    refs_.erase(ref);
    return Status::Ok();
  }
  Status OnChunk(uint64_t ref, std::string_view chunk_bytes) override {
    SeriesRef head_ref = 0;
    if (!Resolve(ref, &head_ref)) return Status::Ok();
    filtered_.clear();
    ChunkDecoder dec(chunk_bytes);
    while (dec.Next()) {
      if (dec.t() >= cutoff_) filtered_.push_back(Sample{dec.t(), dec.v()});
    }
    if (!dec.status().ok()) ++bad_chunks_;
    samples_ += head_->Append(head_ref, filtered_).added;
    return Status::Ok();
  }

  uint64_t samples() const { return samples_; }
  uint64_t unknown_refs() const { return unknown_refs_; }
  uint64_t bad_chunks() const { return bad_chunks_; }

 private:
  bool Resolve(uint64_t ref, SeriesRef* out) {
    auto it = refs_.find(ref);
    if (it == refs_.end()) {
      ++unknown_refs_;
      return false;
    }
    *out = it->second;
    return true;
  }

  Head* head_;
  const int64_t cutoff_;
  std::unordered_map<uint64_t, SeriesRef> refs_;
  std::vector<Sample> filtered_;
  uint64_t samples_ = 0;
  uint64_t unknown_refs_ = 0;
  uint64_t bad_chunks_ = 0;
};

Storage::Storage(StorageOptions options, MetricsRegistry* registry)
    : options_(std::move(options)),
      registry_(registry),
      metrics_(std::make_unique<Metrics>()),
      head_(std::make_unique<Head>()) {}

Result<std::unique_ptr<Storage>> Storage::Open(StorageOptions options, MetricsRegistry* registry) {
  if (options.dir.empty()) return Status::InvalidArgument("tsdb: storage directory is empty");
  if (options.retention_ms <= 0) return Status::InvalidArgument("tsdb: retention must be positive");
  Status s = EnsureDir(options.dir);
  if (!s.ok()) return s;
  std::unique_ptr<Storage> storage(new Storage(std::move(options), registry));
  s = storage->LockDirectory();
  if (!s.ok()) return s;
  Head* head = storage->head_.get();
  auto parts = PartSet::Open(storage->options_.dir + "/parts",
                             [head](const Labels& labels) -> std::optional<SeriesRef> {
                               return head->GetOrCreate(labels, nullptr);
                             });
  if (!parts.ok()) return parts.status();
  storage->parts_ = std::move(parts).value();
  s = storage->ReplayWal();
  if (!s.ok()) return s;
  WalOptions wal_options;
  wal_options.segment_bytes = storage->options_.wal_segment_bytes;
  auto wal = WalWriter::Open(WalDir(storage->options_.dir), wal_options);
  if (!wal.ok()) return wal.status();
  storage->wal_ = std::move(wal).value();
  s = storage->WriteCheckpoint();
  if (!s.ok()) return s;
  storage->RegisterMetrics();
  storage->background_thread_ = std::thread([raw = storage.get()] { raw->BackgroundLoop(); });
  return storage;
}

Storage::~Storage() {
  Close();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

int64_t Storage::Now() const {
  if (options_.clock) return options_.clock();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status Storage::LockDirectory() {
  const std::string path = options_.dir + "/LOCK";
  lock_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, kDefaultFileMode);
  if (lock_fd_ < 0) return Status::IOError("open " + path + ": " + std::strerror(errno));
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    return Status::IOError("lock " + path + ": " +
                           (err == EWOULDBLOCK ? std::string("directory is in use by another storage")
                                               : std::string(std::strerror(err))));
  }
  return Status::Ok();
}

Status Storage::ReplayWal() {
  const auto start = std::chrono::steady_clock::now();
  ReplayVisitor visitor(head_.get(), SaturatingSub(Now(), options_.retention_ms));
  uint64_t bad_records = 0;
  ReplayStats stats;
  Status s = WalReader::Replay(
      WalDir(options_.dir),
      [&](std::string_view record) {
        Status d = DecodeWalRecord(record, visitor);
        // A checksummed record that does not decode is a bug or a format we
        // do not know; skip it rather than refuse to start.
        if (d.code() == Status::Code::kCorruption) {
          if (bad_records++ == 0) VLOG_WARN("tsdb: skipping undecodable WAL record", {{"error", d.message()}});
          return Status::Ok();
        }
        return d;
      },
      &stats);
  if (!s.ok()) return s;
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  if (stats.records > 0 || stats.bytes_dropped > 0) {
    VLOG_INFO("tsdb: WAL replayed", {{"dir", options_.dir},
                                    {"segments", std::to_string(stats.segments)},
                                    {"records", std::to_string(stats.records)},
                                    {"samples", std::to_string(visitor.samples())},
                                    {"series", std::to_string(head_->NumSeries())},
                                    {"bytes_dropped", std::to_string(stats.bytes_dropped)},
                                    {"bad_records", std::to_string(bad_records)},
                                    {"unknown_refs", std::to_string(visitor.unknown_refs())},
                                    {"bad_chunks", std::to_string(visitor.bad_chunks())},
                                    {"duration_ms", std::to_string(ms)}});
  }
  return Status::Ok();
}


Status Storage::Append(const WriteBatch& batch, AppendResult* result, std::vector<SeriesRefHint>* refs) {
  AppendResult r;
  if (refs != nullptr) refs->assign(batch.num_rows(), SeriesRefHint{});
  for (size_t i = 0; i < kNumRejectReasons; ++i) {
    const auto reason = static_cast<RejectReason>(i);
    metrics_->Reject(reason, batch.num_rejected(reason));
  }
  bool wrote = false;
  {
    std::lock_guard lock(append_mu_);
    if (closed_) return Status::Unavailable("tsdb: storage is closed");
    const int64_t now = Now();
    const int64_t cutoff = SaturatingSub(now, options_.retention_ms);
    if (options_.max_new_series_per_day > 0 && now / kMsPerDay != series_limit_day_) {
      series_limit_day_ = now / kMsPerDay;
      series_created_today_ = 0;
    }
    // Samples of rows that lost some to retention; reserved so spans into it stay valid.
    std::vector<Sample> kept;
    std::vector<std::pair<SeriesRef, std::span<const Sample>>> rows;
    rows.reserve(batch.num_rows());
    std::vector<std::string> records;
    WalRecordBuilder series_rec(WalRecordType::kSeries);
    WalRecordBuilder samples_rec(WalRecordType::kSamples);
    std::vector<std::string> sample_records;
    for (size_t i = 0; i < batch.num_rows(); ++i) {
      const WriteBatch::Row row = batch.row(i);
      std::span<const Sample> samples = row.samples;
      size_t old = 0;
      for (const Sample& s : samples) old += s.timestamp_ms < cutoff ? 1 : 0;
      if (old > 0) {
        r.samples_out_of_retention += old;
        if (kept.capacity() == 0) kept.reserve(batch.num_samples());
        const size_t begin = kept.size();
        for (const Sample& s : samples) {
          if (s.timestamp_ms >= cutoff) kept.push_back(s);
        }
        samples = std::span<const Sample>(kept.data() + begin, kept.size() - begin);
      }
      if (samples.empty()) continue;
      SeriesRef ref = 0;
      const uint64_t generation = ref_generation_.load(std::memory_order_acquire);
      const bool hinted = row.hint.generation == generation;
      if (hinted) ref = row.hint.ref;
      const bool found = hinted || head_->Find(row.labels, &ref);
      if (!found) {
        if (options_.max_new_series_per_day > 0 && series_created_today_ >= options_.max_new_series_per_day) {
          r.samples_over_series_limit += samples.size();
          continue;
        }
        bool created = false;
        ref = head_->GetOrCreate(row.labels, &created);
        ++r.series_created;
        ++series_created_today_;
      }
      // Every ref a samples record uses must be named in this WAL session.
      if (ref >= declared_.size()) declared_.resize(static_cast<size_t>(ref) + 1 + declared_.size() / 2);
      if (!declared_[ref]) {
        declared_[ref] = true;
        series_rec.AddSeries(ref, row.labels);
        if (series_rec.size_bytes() > kTargetRecordBytes) {
          records.emplace_back(series_rec.payload());
          series_rec.Reset(WalRecordType::kSeries);
        }
      }
      samples_rec.AddSamples(ref, samples);
      if (samples_rec.size_bytes() > kTargetRecordBytes) {
        sample_records.emplace_back(samples_rec.payload());
        samples_rec.Reset(WalRecordType::kSamples);
      }
      rows.emplace_back(ref, samples);
      if (refs != nullptr) (*refs)[i] = SeriesRefHint{ref, generation};
    }
    if (!series_rec.empty()) records.emplace_back(series_rec.payload());
    if (!samples_rec.empty()) sample_records.emplace_back(samples_rec.payload());
    for (std::string& rec : sample_records) records.push_back(std::move(rec));
    for (const std::string& rec : records) {
      Status s = wal_->Append(rec);
      if (!s.ok()) {
        // Some series records of this batch may be missing from the log:
        // make every series name itself again before its next samples.
        declared_.assign(declared_.size(), false);
        return s;
      }
      wrote = true;
    }
    for (const auto& [ref, samples] : rows) {
      const HeadAppendCounts c = head_->Append(ref, samples);
      r.samples_added += c.added;
      r.samples_duplicate += c.duplicate;
    }
  }
  metrics_->Add(metrics_->samples_ingested, r.samples_added);
  metrics_->Add(metrics_->samples_duplicate, r.samples_duplicate);
  metrics_->Add(metrics_->series_created, r.series_created);
  metrics_->Reject(RejectReason::kOutOfRetention, r.samples_out_of_retention);
  metrics_->Reject(RejectReason::kNewSeriesLimit, r.samples_over_series_limit);
  if (result != nullptr) *result = r;
  // Outside the lock, so concurrent appends share one fdatasync.
  Status synced = wrote && batch.wait_for_sync() ? wal_->Sync() : Status::Ok();
  if (wrote && options_.flush_wal_bytes > 0 && wal_->SizeBytes() > options_.flush_wal_bytes) {
    {
      std::lock_guard lock(background_mu_);
      flush_requested_ = true;
    }
    background_cv_.notify_all();
  }
  PublishGauges();
  return synced;
}

std::unique_ptr<Querier> Storage::NewQuerier(int64_t mint, int64_t maxt) const {
  return NewStorageQuerier(head_.get(), parts_.get(), mint, maxt, options_.dedup_interval_ms);
}

Result<uint64_t> Storage::DeleteSeries(const std::vector<Matcher>& matchers) {
  if (matchers.empty()) return Status::InvalidArgument("tsdb: delete_series needs at least one matcher");
  std::lock_guard maintenance(maintenance_mu_);
  std::lock_guard lock(append_mu_);
  if (closed_) return Status::Unavailable("tsdb: storage is closed");
  const std::vector<SeriesRef> refs = head_->Select(matchers);
  if (refs.empty()) return uint64_t{0};
  // Parts are immutable: their copies are hidden by durable tombstones
  // (and dropped by the next merge); the head's by a WAL tombstone record.
  std::vector<Labels> in_parts;
  Labels labels;
  for (SeriesRef ref : refs) {
    if (parts_->ContainsRef(ref) && head_->GetLabels(ref, &labels)) in_parts.push_back(labels);
  }
  if (!in_parts.empty()) {
    Status t = parts_->AddTombstones(in_parts);
    if (!t.ok()) return t;
  }
  WalRecordBuilder rec(WalRecordType::kTombstones);
  for (SeriesRef ref : refs) rec.AddTombstone(ref);
  Status s = wal_->AppendAndSync(rec.payload());
  if (!s.ok()) return s;
  ref_generation_.fetch_add(1, std::memory_order_acq_rel);
  const size_t deleted = head_->Delete(refs);
  PublishGauges();
  return static_cast<uint64_t>(deleted);
}

IndexStats Storage::Stats(size_t top_n) const { return head_->Stats(top_n); }

HeadStats Storage::GetHeadStats() const {
  HeadStats s;
  s.num_series = head_->NumSeries();
  s.num_chunks = static_cast<uint64_t>(head_->NumChunks());
  s.num_samples = static_cast<uint64_t>(head_->NumSamples());
  const size_t series_bytes = head_->SeriesMemoryBytes();
  s.series_bytes = series_bytes;
  s.index_bytes = head_->MemoryBytes() - series_bytes;
  s.wal_bytes = wal_ != nullptr ? wal_->SizeBytes() : 0;
  s.num_parts = parts_->NumParts();
  s.part_bytes = parts_->TotalBytes();
  s.part_samples = parts_->TotalSamples();
  return s;
}


SeriesLimits Storage::series_limits() const {
  SeriesLimits l;
  l.max_labels_per_series = options_.max_labels_per_series;
  l.max_label_name_len = options_.max_label_name_len;
  l.max_label_value_len = options_.max_label_value_len;
  return l;
}


void Storage::RegisterMetrics() {
  if (registry_ == nullptr) return;
  metrics_->samples_ingested =
      &registry_->AddCounter("vigil_tsdb_samples_ingested_total", "Samples stored by Append (duplicates excluded).");
  metrics_->samples_duplicate = &registry_->AddCounter(
      "vigil_tsdb_duplicate_samples_total", "Samples dropped because their series already had the timestamp.");
  metrics_->series_created = &registry_->AddCounter("vigil_tsdb_series_created_total", "Series created.");
  metrics_->retention_dropped = &registry_->AddCounter("vigil_tsdb_retention_dropped_samples_total",
                                                       "Samples dropped by the retention pass.");
  metrics_->rejected = &registry_->AddCounterFamily("vigil_tsdb_rejected_samples_total",
                                                    "Samples rejected at ingestion, by reason.", {"reason"});
  metrics_->active_series = &registry_->AddGauge("vigil_tsdb_active_series", "Series in the head.");
  metrics_->head_chunks = &registry_->AddGauge("vigil_tsdb_head_chunks", "Chunks in the head.");
  metrics_->head_samples = &registry_->AddGauge("vigil_tsdb_head_samples", "Samples in the head.");
  metrics_->wal_bytes = &registry_->AddGauge("vigil_tsdb_wal_bytes", "Bytes of WAL segment files.");
  metrics_->parts = &registry_->AddGauge("vigil_tsdb_parts", "On-disk parts.");
  metrics_->part_bytes = &registry_->AddGauge("vigil_tsdb_part_bytes", "Bytes of on-disk part files.");
  metrics_->part_samples = &registry_->AddGauge(
      "vigil_tsdb_part_samples", "Samples in on-disk parts (a sample re-sent after its flush counts twice).");
  metrics_->flushes = &registry_->AddCounter("vigil_tsdb_head_flushes_total", "Head flushes that wrote a part.");
  metrics_->merges = &registry_->AddCounter("vigil_tsdb_merges_total", "Part merges completed.");
  PublishGauges();
}

void Storage::PublishGauges() {
  // Plain gauges, refreshed by writers, rather than gauge functions: the
  // registry may outlive (and render concurrently with the destruction of)
  // this object.
  if (metrics_->active_series == nullptr) return;
  metrics_->active_series->Set(static_cast<double>(head_->NumSeries()));
  metrics_->head_chunks->Set(static_cast<double>(head_->NumChunks()));
  metrics_->head_samples->Set(static_cast<double>(head_->NumSamples()));
  if (wal_ != nullptr) metrics_->wal_bytes->Set(static_cast<double>(wal_->SizeBytes()));
  if (parts_ != nullptr) {
    metrics_->parts->Set(static_cast<double>(parts_->NumParts()));
    metrics_->part_bytes->Set(static_cast<double>(parts_->TotalBytes()));
    metrics_->part_samples->Set(static_cast<double>(parts_->TotalSamples()));
  }
}

Status Storage::Close() {
  {
    std::lock_guard lock(background_mu_);
    stopping_ = true;
  }
  background_cv_.notify_all();
  if (background_thread_.joinable()) background_thread_.join();
  // Sealed chunks go into a part, and the WAL keeps only a checkpoint of the
  // open chunks: what is on disk after a stop is compact, and the next Open
  // replays little. A failure here loses nothing (the WAL still has it).
  bool open_before_flush = false;
  {
    std::lock_guard lock(append_mu_);
    open_before_flush = !closed_ && wal_ != nullptr;
  }
  if (open_before_flush) {
    Status flushed = FlushHead();
    if (!flushed.ok()) VLOG_ERROR("tsdb: flush at close failed", {{"error", flushed.ToString()}});
  }
  std::lock_guard lock(append_mu_);
  if (closed_) return close_status_;
  closed_ = true;
  if (wal_ != nullptr) close_status_ = wal_->Close();
  return close_status_;
}

}  // namespace vigil::tsdb
