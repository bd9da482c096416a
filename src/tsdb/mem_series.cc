#include "tsdb/mem_series.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace vigil::tsdb {

namespace {

bool SampleBefore(const Sample& a, const Sample& b) { return a.timestamp_ms < b.timestamp_ms; }

// Appends the samples of `bytes` with mint <= t <= maxt to `*out`.
void DecodeRange(std::string_view bytes, int64_t mint, int64_t maxt, std::vector<Sample>* out) {
  bool past_maxt = false;
  [[maybe_unused]] Status s = AppendChunkSamples(bytes, mint, maxt, out, &past_maxt);
  assert(s.ok());
}

// Whether the chunk has a sample with mint <= t <= maxt.
bool ChunkHasSampleIn(std::string_view bytes, int64_t mint, int64_t maxt) {
  ChunkDecoder dec(bytes);
  return dec.Seek(mint) && dec.t() <= maxt;
}

}  // namespace

MemSeries::AppendOutcome MemSeries::Append(int64_t t, double v) {
  const bool has_chunks = open_.num_samples() > 0 || !sealed_.empty();
  const int64_t max_time = open_.num_samples() > 0 ? open_.max_time() : (has_chunks ? sealed_.back().max_time : 0);
  if (!has_chunks || t > max_time) {
    if (open_.num_samples() > 0) {
      // t > min_time here, so the unsigned difference is exact.
      const uint64_t span = static_cast<uint64_t>(t) - static_cast<uint64_t>(open_.min_time());
      if (open_.num_samples() >= kHeadChunkSamples || span > static_cast<uint64_t>(kHeadChunkSpanMs) ||
          open_.full()) {
        SealOpenChunk();
      }
    }
    open_.Append(t, v);
    return AppendOutcome::kAdded;
  }
  if (t == max_time || ContainsTimestamp(t)) return AppendOutcome::kDuplicate;
  const Sample s{t, v};
  out_of_order_.insert(std::upper_bound(out_of_order_.begin(), out_of_order_.end(), s, SampleBefore), s);
  if (out_of_order_.size() >= kOutOfOrderFoldSamples) FoldOutOfOrder();
  return AppendOutcome::kAdded;
}

void MemSeries::SealOpenChunk() {
  // The open chunk's adaptive codes are re-encoded as a block chunk, which
  // every later read decodes several times faster.
  std::vector<Sample> samples;
  samples.reserve(open_.num_samples());
  DecodeRange(open_.bytes(), INT64_MIN, INT64_MAX, &samples);
  sealed_.push_back(SealedChunk{open_.min_time(), open_.max_time(), EncodeBlockChunk(samples)});
  open_ = ChunkEncoder();
}

bool MemSeries::ContainsTimestamp(int64_t t) const {
  if (std::binary_search(out_of_order_.begin(), out_of_order_.end(), Sample{t, 0}, SampleBefore)) return true;
  if (open_.num_samples() > 0 && t >= open_.min_time() && t <= open_.max_time()) {
    return ChunkHasSampleIn(open_.bytes(), t, t);
  }
  // The last sealed chunk with min_time <= t is the only candidate.
  auto it = std::upper_bound(sealed_.begin(), sealed_.end(), t,
                             [](int64_t x, const SealedChunk& c) { return x < c.min_time; });
  if (it == sealed_.begin()) return false;
  --it;
  return t <= it->max_time && ChunkHasSampleIn(it->bytes, t, t);
}

void MemSeries::FoldOutOfOrder() {
  if (out_of_order_.empty()) return;
  const int64_t oldest = out_of_order_.front().timestamp_ms;
  // First chunk that may hold samples newer than the oldest buffered one.
  size_t first = 0;
  while (first < sealed_.size() && sealed_[first].max_time < oldest) ++first;
  std::vector<Sample> merged;
  for (size_t i = first; i < sealed_.size(); ++i) {
    DecodeRange(sealed_[i].bytes, INT64_MIN, INT64_MAX, &merged);
  }
  if (open_.num_samples() > 0) DecodeRange(open_.bytes(), INT64_MIN, INT64_MAX, &merged);
  const size_t mid = merged.size();
  merged.insert(merged.end(), out_of_order_.begin(), out_of_order_.end());
  std::inplace_merge(merged.begin(), merged.begin() + static_cast<ptrdiff_t>(mid), merged.end(), SampleBefore);
  sealed_.erase(sealed_.begin() + static_cast<ptrdiff_t>(first), sealed_.end());
  open_ = ChunkEncoder();
  out_of_order_.clear();
  out_of_order_.shrink_to_fit();
  // Every sample is now newer than the remaining chunks, so they re-enter
  // through the in-order path (which also re-applies the chunk cut rules).
  for (const Sample& s : merged) {
    [[maybe_unused]] AppendOutcome o = Append(s.timestamp_ms, s.value);
    assert(o == AppendOutcome::kAdded);
  }
}

void MemSeries::CollectSamples(int64_t mint, int64_t maxt, std::vector<Sample>* out) const {
  if (mint > maxt) return;
  const size_t start = out->size();
  // Reserve once, from chunk bounds alone (reading each chunk's count would
  // touch its bytes before the prefetching decode loop does).
  size_t upper_bound = out_of_order_.size() + open_.num_samples();
  for (const SealedChunk& c : sealed_) {
    if (c.min_time > maxt) break;
    if (c.max_time >= mint) upper_bound += kHeadChunkSamples;
  }
  out->reserve(start + upper_bound);
  for (size_t i = 0; i < sealed_.size(); ++i) {
    const SealedChunk& c = sealed_[i];
    if (c.max_time < mint) continue;
    if (c.min_time > maxt) break;
    // Each chunk is its own allocation: start loading the next one while
    // this one decodes.
    if (i + 1 < sealed_.size()) __builtin_prefetch(sealed_[i + 1].bytes.data());
    DecodeRange(c.bytes, mint, maxt, out);
  }
  if (open_.num_samples() > 0 && open_.max_time() >= mint && open_.min_time() <= maxt) {
    DecodeRange(open_.bytes(), mint, maxt, out);
  }
  auto lo = std::lower_bound(out_of_order_.begin(), out_of_order_.end(), Sample{mint, 0}, SampleBefore);
  auto hi = std::upper_bound(out_of_order_.begin(), out_of_order_.end(), Sample{maxt, 0}, SampleBefore);
  if (lo == hi) return;
  const size_t mid = out->size();
  out->insert(out->end(), lo, hi);
  std::inplace_merge(out->begin() + static_cast<ptrdiff_t>(start), out->begin() + static_cast<ptrdiff_t>(mid),
                     out->end(), SampleBefore);
}

bool MemSeries::HasSampleInRange(int64_t mint, int64_t maxt) const {
  if (mint > maxt) return false;
  auto lo = std::lower_bound(out_of_order_.begin(), out_of_order_.end(), Sample{mint, 0}, SampleBefore);
  if (lo != out_of_order_.end() && lo->timestamp_ms <= maxt) return true;
  auto chunk_has = [&](int64_t cmin, int64_t cmax, std::string_view bytes) {
    if (cmax < mint || cmin > maxt) return false;
    if (cmin >= mint && cmax <= maxt) return true;
    return ChunkHasSampleIn(bytes, mint, maxt);
  };
  if (open_.num_samples() > 0 && chunk_has(open_.min_time(), open_.max_time(), open_.bytes())) return true;
  for (const SealedChunk& c : sealed_) {
    if (c.min_time > maxt) break;
    if (chunk_has(c.min_time, c.max_time, c.bytes)) return true;
  }
  return false;
}

size_t MemSeries::DropBefore(int64_t cutoff) {
  size_t dropped = 0;
  size_t n = 0;
  while (n < sealed_.size() && sealed_[n].max_time < cutoff) dropped += CountSamples(sealed_[n++].bytes);
  sealed_.erase(sealed_.begin(), sealed_.begin() + static_cast<ptrdiff_t>(n));
  if (open_.num_samples() > 0 && open_.max_time() < cutoff) {
    dropped += open_.num_samples();
    open_ = ChunkEncoder();
  }
  auto keep = std::lower_bound(out_of_order_.begin(), out_of_order_.end(), Sample{cutoff, 0}, SampleBefore);
  dropped += static_cast<size_t>(keep - out_of_order_.begin());
  out_of_order_.erase(out_of_order_.begin(), keep);
  return dropped;
}

size_t MemSeries::num_samples() const {
  size_t n = open_.num_samples() + out_of_order_.size();
  for (const SealedChunk& c : sealed_) n += CountSamples(c.bytes);
  return n;
}

size_t MemSeries::MemoryBytes() const {
  size_t n = sizeof(*this) + sealed_.capacity() * sizeof(SealedChunk) + open_.size_bytes() +
             out_of_order_.capacity() * sizeof(Sample);
  for (const SealedChunk& c : sealed_) {
    if (c.bytes.capacity() > 15) n += c.bytes.capacity() + 1;  // beyond the small-string buffer
  }
  return n;
}

void MemSeries::ForEachSealedChunk(const std::function<void(int64_t, int64_t, std::string_view)>& fn) const {
  for (const SealedChunk& c : sealed_) fn(c.min_time, c.max_time, c.bytes);
}

size_t MemSeries::DropFlushedChunks(std::span<const std::string> flushed) {
  size_t n = 0;
  while (n < flushed.size() && n < sealed_.size() && sealed_[n].bytes == flushed[n]) ++n;
  sealed_.erase(sealed_.begin(), sealed_.begin() + static_cast<ptrdiff_t>(n));
  return n;
}

const std::vector<Sample>& MemSeries::ForEachChunk(const std::function<void(std::string_view)>& fn) const {
  for (const SealedChunk& c : sealed_) fn(c.bytes);
  if (open_.num_samples() > 0) fn(open_.bytes());
  return out_of_order_;
}

}  // namespace vigil::tsdb
