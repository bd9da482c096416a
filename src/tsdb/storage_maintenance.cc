// Storage's background work: WAL checkpoints, head flushes into parts, part
// merges and retention. (The read and write paths are in storage.cc.)

#include <algorithm>
#include <chrono>
#include <set>

#include "base/log.h"
#include "tsdb/chunk.h"
#include "tsdb/dedup.h"
#include "tsdb/part.h"
#include "tsdb/storage.h"
#include "tsdb/storage_internal.h"
#include "tsdb/wal_records.h"

namespace vigil::tsdb {

namespace {

// Samples per chunk in merged parts: larger than the head's 120 because a
// part is read whole-series far more often than sliced, and the per-chunk
// header and predictor warm-up are amortized over more samples.
constexpr size_t kPartChunkSamples = 480;
// Parts are merged at most this many at a time...
constexpr size_t kMergeFanIn = 4;
// ...and only while the result spans at most a day of data, so retention can
// still drop old data a part at a time.
constexpr int64_t kMaxMergedSpanMs = 24LL * 3600 * 1000;

// Encodes samples (ascending) as block chunks of kPartChunkSamples for a
// part, replacing *chunks.
void EncodePartChunks(std::span<const Sample> samples, std::vector<std::string>* chunks) {
  chunks->clear();
  for (size_t begin = 0; begin < samples.size(); begin += kPartChunkSamples) {
    chunks->push_back(EncodeBlockChunk(samples.subspan(begin, std::min(kPartChunkSamples, samples.size() - begin))));
  }
}

std::optional<SeriesRef> FindIn(const Head* head, const Labels& labels) {
  SeriesRef ref = 0;
  if (head->Find(labels, &ref)) return ref;
  return std::nullopt;
}

}  // namespace

Status Storage::WriteCheckpoint() {
  // A new segment, so that every older one can go once this is synced.
  Status status = wal_->Rotate();
  if (!status.ok()) return status;
  const uint64_t first_segment = wal_->CurrentSegment();
  WalRecordBuilder epoch(WalRecordType::kEpoch);
  status = wal_->Append(epoch.payload());
  declared_.assign(declared_.size(), false);
  WalRecordBuilder series(WalRecordType::kSeries);
  WalRecordBuilder chunks(WalRecordType::kChunk);
  WalRecordBuilder samples(WalRecordType::kSamples);
  // Series records must precede the chunks and samples that name them.
  auto flush = [&]() {
    for (WalRecordBuilder* b : {&series, &chunks, &samples}) {
      if (!status.ok() || b->empty()) continue;
      status = wal_->Append(b->payload());
      b->Reset(b->type());
    }
  };
  Labels labels;
  head_->ForEachSeries([&](SeriesRef ref, const MemSeries& s) {
    if (!status.ok() || s.empty() || !head_->GetLabels(ref, &labels)) return;
    series.AddSeries(ref, labels);
    if (ref >= declared_.size()) declared_.resize(static_cast<size_t>(ref) + 1);
    declared_[ref] = true;
    const std::vector<Sample>& out_of_order = s.ForEachChunk([&](std::string_view c) { chunks.AddChunk(ref, c); });
    if (!out_of_order.empty()) samples.AddSamples(ref, out_of_order);
    if (series.size_bytes() + chunks.size_bytes() + samples.size_bytes() > kTargetRecordBytes) flush();
  });
  flush();
  if (!status.ok()) return status;
  status = wal_->Sync();
  if (!status.ok()) return status;
  return wal_->TruncateBefore(first_segment);
}

Status Storage::FlushHead() {
  std::lock_guard maintenance(maintenance_mu_);
  {
    std::lock_guard lock(append_mu_);
    if (closed_) return Status::Unavailable("tsdb: storage is closed");
  }
  struct Flushed {
    SeriesRef ref;
    std::vector<std::string> chunks;
    int64_t min_t = 0, max_t = 0;
    uint64_t samples = 0;
  };
  std::vector<Flushed> flushed;
  head_->ForEachSeries([&](SeriesRef ref, const MemSeries& s) {
    Flushed f{ref, {}, 0, 0, 0};
    s.ForEachSealedChunk([&](int64_t min_t, int64_t max_t, std::string_view bytes) {
      if (f.chunks.empty()) f.min_t = min_t;
      f.max_t = max_t;
      f.samples += CountSamples(bytes);
      f.chunks.emplace_back(bytes);
    });
    if (!f.chunks.empty()) flushed.push_back(std::move(f));
  });
  if (flushed.empty()) return Status::Ok();
  const uint64_t id = parts_->NextId();
  PartBuilder builder(PartMeta{id, id, {}});
  Labels labels;
  std::vector<Sample> samples;
  std::vector<std::string> part_chunks;
  for (const Flushed& f : flushed) {
    if (!head_->GetLabels(f.ref, &labels)) continue;
    // Re-cut into the part's larger split chunks (see tsdb/chunk.h).
    samples.clear();
    bool past_maxt = false;
    for (const std::string& c : f.chunks) {
      Status s = AppendChunkSamples(c, INT64_MIN, INT64_MAX, &samples, &past_maxt);
      if (!s.ok()) return s;
    }
    EncodePartChunks(samples, &part_chunks);
    builder.AddSeries(labels, part_chunks, f.min_t, f.max_t, f.samples);
  }
  if (builder.num_series() > 0) {
    const Head* head = head_.get();
    Status s = parts_->AddPart(id, builder.Finish(),
                               [head](const Labels& l) { return FindIn(head, l); });
    if (!s.ok()) return s;
  }
  // The part is durable and visible; the head copies can go. Readers read
  // the head before the part list, so they see each sample at least once.
  for (const Flushed& f : flushed) head_->DropFlushedChunks(f.ref, f.chunks);
  Status s;
  {
    std::lock_guard lock(append_mu_);
    if (closed_) return Status::Ok();
    s = WriteCheckpoint();
  }
  metrics_->Add(metrics_->flushes, 1);
  PublishGauges();
  return s;
}

Status Storage::MergeParts(size_t max_parts) {
  std::lock_guard maintenance(maintenance_mu_);
  for (;;) {
    auto snapshot = parts_->Snapshot();
    const PartSet::PartList& parts = *snapshot;
    if (parts.size() <= max_parts) return Status::Ok();
    // The cheapest window of adjacent parts (by min_gen, so priorities stay
    // ordered) that does not span too much time.
    size_t best_start = 0, best_len = 0;
    uint64_t best_bytes = UINT64_MAX;
    for (size_t len = std::min(kMergeFanIn, parts.size()); len >= 2 && best_len == 0; --len) {
      for (size_t i = 0; i + len <= parts.size(); ++i) {
        int64_t lo = parts[i]->min_time(), hi = parts[i]->max_time();
        uint64_t bytes = 0;
        for (size_t j = i; j < i + len; ++j) {
          lo = std::min(lo, parts[j]->min_time());
          hi = std::max(hi, parts[j]->max_time());
          bytes += parts[j]->file_bytes();
        }
        if (static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo) > static_cast<uint64_t>(kMaxMergedSpanMs)) continue;
        if (bytes < best_bytes) {
          best_bytes = bytes;
          best_start = i;
          best_len = len;
        }
      }
    }
    if (best_len == 0) return Status::Ok();  // nothing mergeable
    std::vector<std::shared_ptr<const Part>> inputs(parts.begin() + static_cast<ptrdiff_t>(best_start),
                                                    parts.begin() + static_cast<ptrdiff_t>(best_start + best_len));
    Status s = MergeWindow(inputs);
    if (!s.ok()) return s;
    metrics_->Add(metrics_->merges, 1);
    PublishGauges();
  }
}

Status Storage::MergeWindow(const std::vector<std::shared_ptr<const Part>>& inputs) {
  std::set<SeriesRef> refs;
  PartMeta meta;
  meta.id = parts_->NextId();
  meta.min_gen = UINT64_MAX;
  for (const auto& p : inputs) {
    for (SeriesRef r : p->Refs()) refs.insert(r);
    meta.min_gen = std::min(meta.min_gen, p->min_gen());
    meta.sources.push_back(p->id());
  }
  PartBuilder builder(meta);
  std::vector<std::vector<Sample>> sources(inputs.size());
  std::vector<Sample> merged;
  std::vector<std::string> chunks;
  Labels labels;
  for (SeriesRef ref : refs) {
    if (!head_->GetLabels(ref, &labels)) continue;  // deleted: the merge drops it
    for (size_t i = 0; i < inputs.size(); ++i) {
      sources[i].clear();
      Status s = inputs[i]->CollectSamples(ref, INT64_MIN, INT64_MAX, &sources[i], BlockReads::kSequential);
      if (!s.ok()) return s;
    }
    MergeSampleSources(&sources, &merged);
    DeduplicateSamples(&merged, options_.dedup_interval_ms);
    if (merged.empty()) continue;
    EncodePartChunks(merged, &chunks);
    builder.AddSeries(labels, chunks, merged.front().timestamp_ms, merged.back().timestamp_ms, merged.size());
  }
  const Head* head = head_.get();
  return parts_->AddPart(meta.id, builder.Finish(), [head](const Labels& l) { return FindIn(head, l); },
                         meta.sources);
}

Status Storage::RunRetention(int64_t now_ms) {
  std::lock_guard maintenance(maintenance_mu_);
  const int64_t cutoff = SaturatingSub(now_ms, options_.retention_ms);
  uint64_t dropped = 0;
  std::vector<SeriesRef> emptied = head_->DropBefore(cutoff, &dropped);
  metrics_->Add(metrics_->retention_dropped, dropped);
  auto parts_dropped = parts_->DropBefore(cutoff);
  if (!parts_dropped.ok()) return parts_dropped.status();
  // A series without head data may still live in a part.
  std::erase_if(emptied, [&](SeriesRef ref) { return parts_->ContainsRef(ref); });
  if (!emptied.empty()) {
    // Deleting needs the writers' lock: an Append may hold a ref it found.
    // No tombstone: if the labels come back, replay maps the new series
    // record onto the same head series by labels, and the old samples are
    // out of retention there too.
    std::lock_guard lock(append_mu_);
    if (!closed_) {
      std::erase_if(emptied, [&](SeriesRef ref) { return !head_->IsEmptySeries(ref); });
      ref_generation_.fetch_add(1, std::memory_order_acq_rel);
      head_->Delete(emptied);
    }
  }
  PublishGauges();
  return Status::Ok();
}

void Storage::BackgroundLoop() {
  const auto start = std::chrono::steady_clock::now();
  auto next_retention = start + std::chrono::milliseconds(options_.retention_check_interval_ms);
  auto next_flush = start + std::chrono::milliseconds(options_.flush_interval_ms);
  std::unique_lock lock(background_mu_);
  while (!stopping_) {
    background_cv_.wait_until(lock, std::min(next_retention, next_flush),
                              [this] { return stopping_ || flush_requested_; });
    if (stopping_) break;
    const bool requested = std::exchange(flush_requested_, false);
    const auto now = std::chrono::steady_clock::now();
    lock.unlock();
    if (requested || now >= next_flush) {
      Status s = FlushHead();
      if (s.ok()) s = MergeParts(options_.max_parts);
      if (!s.ok()) VLOG_ERROR("tsdb: flush or merge failed", {{"error", s.ToString()}});
      next_flush = now + std::chrono::milliseconds(options_.flush_interval_ms);
    }
    if (now >= next_retention) {
      Status s = RunRetention(Now());
      if (!s.ok()) VLOG_ERROR("tsdb: retention pass failed", {{"error", s.ToString()}});
      next_retention = now + std::chrono::milliseconds(options_.retention_check_interval_ms);
    }
    lock.lock();
  }
}

}  // namespace vigil::tsdb
