#include "tsdb/part.h"

#include <zstd.h>

#include <algorithm>
#include <cassert>
#include <atomic>
#include <cstdio>

#include "base/crc32c.h"
#include "base/varint.h"
#include "tsdb/chunk.h"

namespace vigil::tsdb {

namespace {

constexpr std::string_view kHeadMagic = "VGPART01";
// The tail magic says how the index is stored: raw (01, older parts) or as
// one zstd frame (02).
constexpr std::string_view kTailMagicRawIndex = "VGPEND01";
constexpr std::string_view kTailMagic = "VGPEND02";
// A decompressed index larger than this is refused as corrupt.
constexpr uint64_t kMaxIndexBytes = uint64_t{1} << 32;
constexpr size_t kFooterBytes = 8 + 8 + 4 + 8;
constexpr int kZstdLevel = 3;
constexpr uint8_t kCodecRaw = 0;
constexpr uint8_t kCodecZstd = 1;

std::atomic<uint64_t> g_next_instance{1};

Status Bad(const std::string& path, std::string_view what) {
  return Status::Corruption("part " + path + ": " + std::string(what));
}

}  // namespace

std::string PartFileName(uint64_t id) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%016llx.part", static_cast<unsigned long long>(id));
  return buf;
}

std::optional<uint64_t> ParsePartFileName(std::string_view name) {
  if (name.size() != 21 || name.substr(16) != ".part") return std::nullopt;
  uint64_t id = 0;
  for (char c : name.substr(0, 16)) {
    int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (d < 0) return std::nullopt;
    id = id * 16 + static_cast<uint64_t>(d);
  }
  return id;
}

// ---- PartBuilder ----

void PartBuilder::AddSeries(const Labels& labels, std::span<const std::string> chunks, int64_t min_t, int64_t max_t,
                            uint64_t num_samples) {
  const size_t offset = raw_block_.size();
  PutVarint64(&raw_block_, chunks.size());
  for (const std::string& c : chunks) PutLengthPrefixed(&raw_block_, c);
  series_.push_back(SeriesEntry{labels, min_t, max_t, num_samples, num_blocks_, static_cast<uint32_t>(offset),
                                static_cast<uint32_t>(raw_block_.size() - offset)});
  if (!any_) {
    min_t_ = min_t;
    max_t_ = max_t;
    any_ = true;
  }
  min_t_ = std::min(min_t_, min_t);
  max_t_ = std::max(max_t_, max_t);
  num_samples_ += num_samples;
  if (raw_block_.size() >= kPartBlockBytes) CutBlock();
}

void PartBuilder::CutBlock() {
  if (raw_block_.empty()) return;
  std::string stored(ZSTD_compressBound(raw_block_.size()), '\0');
  const size_t n = ZSTD_compress(stored.data(), stored.size(), raw_block_.data(), raw_block_.size(), kZstdLevel);
  uint8_t codec = kCodecZstd;
  if (ZSTD_isError(n) || n >= raw_block_.size()) {
    stored = raw_block_;  // compression does not pay for this block
    codec = kCodecRaw;
  } else {
    stored.resize(n);
  }
  PutVarint64(&index_blocks_, kHeadMagic.size() + blocks_.size());
  PutVarint64(&index_blocks_, stored.size());
  PutVarint64(&index_blocks_, raw_block_.size());
  index_blocks_.push_back(static_cast<char>(codec));
  PutFixed32(&index_blocks_, crc32c::Mask(crc32c::Value(stored)));
  blocks_ += stored;
  ++num_blocks_;
  raw_block_.clear();
}

std::string PartBuilder::Finish() {
  CutBlock();
  std::string index;
  PutVarint64(&index, meta_.id);
  PutVarint64(&index, meta_.min_gen);
  PutVarint64(&index, meta_.sources.size());
  for (uint64_t s : meta_.sources) PutVarint64(&index, s);
  PutVarintSigned64(&index, min_t_);
  PutVarintSigned64(&index, max_t_);
  PutVarint64(&index, num_samples_);
  PutVarint64(&index, num_blocks_);
  index += index_blocks_;
  PutVarint64(&index, series_.size());
  for (const SeriesEntry& e : series_) {
    PutVarint64(&index, e.labels.size());
    for (const Label& l : e.labels) {
      PutLengthPrefixed(&index, l.name);
      PutLengthPrefixed(&index, l.value);
    }
    PutVarintSigned64(&index, e.min_t);
    PutVarintSigned64(&index, e.max_t);
    PutVarint64(&index, e.num_samples);
    PutVarint64(&index, e.block);
    PutVarint64(&index, e.offset);
    PutVarint64(&index, e.length);
  }
  // Label sets repeat names and values: the index compresses well.
  std::string stored(ZSTD_compressBound(index.size()), '\0');
  const size_t n = ZSTD_compress(stored.data(), stored.size(), index.data(), index.size(), kZstdLevel);
  assert(!ZSTD_isError(n));
  stored.resize(n);
  index = std::move(stored);
  std::string file;
  file.reserve(kHeadMagic.size() + blocks_.size() + index.size() + kFooterBytes);
  file += kHeadMagic;
  file += blocks_;
  const uint64_t index_offset = file.size();
  file += index;
  PutFixed64(&file, index_offset);
  PutFixed64(&file, index.size());
  PutFixed32(&file, crc32c::Mask(crc32c::Value(index)));
  file += kTailMagic;
  return file;
}

// ---- Part ----

Result<std::shared_ptr<Part>> Part::Open(const std::string& path, BlockCache* cache) {
  auto mapped = MappedFile::Open(path);
  if (!mapped.ok()) return mapped.status();
  std::shared_ptr<Part> part(new Part(std::move(mapped).value()));
  part->cache_ = cache;
  part->instance_ = g_next_instance.fetch_add(1);
  std::string_view data = part->file_.data();
  if (data.size() < kHeadMagic.size() + kFooterBytes || data.substr(0, kHeadMagic.size()) != kHeadMagic) {
    return Bad(path, "bad magic or too short");
  }
  const std::string_view tail = data.substr(data.size() - kTailMagic.size());
  if (tail != kTailMagic && tail != kTailMagicRawIndex) return Bad(path, "bad magic or too short");
  const char* footer = data.data() + data.size() - kFooterBytes;
  const uint64_t index_offset = DecodeFixed64(footer);
  const uint64_t index_len = DecodeFixed64(footer + 8);
  const uint32_t crc = crc32c::Unmask(DecodeFixed32(footer + 16));
  if (index_offset < kHeadMagic.size() || index_offset > data.size() - kFooterBytes ||
      index_len != data.size() - kFooterBytes - index_offset) {
    return Bad(path, "bad footer");
  }
  std::string_view index = data.substr(index_offset, index_len);
  if (crc32c::Value(index) != crc) return Bad(path, "index checksum mismatch");
  std::string decompressed;
  if (tail == kTailMagic) {
    const unsigned long long raw_len = ZSTD_getFrameContentSize(index.data(), index.size());
    if (raw_len == ZSTD_CONTENTSIZE_ERROR || raw_len == ZSTD_CONTENTSIZE_UNKNOWN || raw_len > kMaxIndexBytes) {
      return Bad(path, "index does not decompress");
    }
    decompressed.resize(raw_len);
    const size_t n = ZSTD_decompress(decompressed.data(), decompressed.size(), index.data(), index.size());
    if (ZSTD_isError(n) || n != raw_len) return Bad(path, "index does not decompress");
    index = decompressed;
  }
  Status s = part->ParseIndex(index);
  if (!s.ok()) return s;
  for (const Block& b : part->blocks_) {
    if (b.offset > index_offset || b.stored_len > index_offset - b.offset) return Bad(path, "block out of bounds");
  }
  return part;
}

Status Part::ParseIndex(std::string_view in) {
  uint64_t nsources = 0, nblocks = 0, nseries = 0;
  if (!GetVarint64(&in, &id_) || !GetVarint64(&in, &min_gen_) || !GetVarint64(&in, &nsources) ||
      nsources > in.size()) {
    return Bad(path(), "truncated index header");
  }
  sources_.resize(nsources);
  for (uint64_t& s : sources_) {
    if (!GetVarint64(&in, &s)) return Bad(path(), "truncated sources");
  }
  if (!GetVarintSigned64(&in, &min_time_) || !GetVarintSigned64(&in, &max_time_) ||
      !GetVarint64(&in, &num_samples_) || !GetVarint64(&in, &nblocks) || nblocks > in.size()) {
    return Bad(path(), "truncated index header");
  }
  blocks_.resize(nblocks);
  for (Block& b : blocks_) {
    if (!GetVarint64(&in, &b.offset) || !GetVarint64(&in, &b.stored_len) || !GetVarint64(&in, &b.raw_len) ||
        in.size() < 5) {
      return Bad(path(), "truncated block table");
    }
    b.codec = static_cast<uint8_t>(in[0]);
    in.remove_prefix(1);
    GetFixed32(&in, &b.crc);
    if (b.codec > kCodecZstd) return Bad(path(), "unknown block codec");
  }
  if (!GetVarint64(&in, &nseries) || nseries > in.size()) return Bad(path(), "truncated series count");
  entries_.resize(nseries);
  pending_labels_.resize(nseries);
  LabelsBuilder builder;
  for (uint64_t i = 0; i < nseries; ++i) {
    uint64_t npairs = 0, n = 0, block = 0, offset = 0, length = 0;
    if (!GetVarint64(&in, &npairs) || npairs > in.size()) return Bad(path(), "truncated series");
    builder.Reset();
    for (uint64_t p = 0; p < npairs; ++p) {
      std::string_view name, value;
      if (!GetLengthPrefixed(&in, &name) || !GetLengthPrefixed(&in, &value)) return Bad(path(), "truncated label");
      builder.Set(name, value);
    }
    Entry& e = entries_[i];
    if (!GetVarintSigned64(&in, &e.min_t) || !GetVarintSigned64(&in, &e.max_t) || !GetVarint64(&in, &n) ||
        !GetVarint64(&in, &block) || !GetVarint64(&in, &offset) || !GetVarint64(&in, &length)) {
      return Bad(path(), "truncated series entry");
    }
    if (block >= blocks_.size() || offset > blocks_[block].raw_len || length > blocks_[block].raw_len - offset) {
      return Bad(path(), "series entry out of bounds");
    }
    e.block = static_cast<uint32_t>(block);
    e.offset = static_cast<uint32_t>(offset);
    e.length = static_cast<uint32_t>(length);
    e.ref = 0;
    pending_labels_[i] = builder.Build();
  }
  if (!in.empty()) return Bad(path(), "trailing index bytes");
  return Status::Ok();
}

void Part::Bind(const std::function<std::optional<SeriesRef>(const Labels&)>& ref_of) {
  size_t kept = 0;
  for (size_t i = 0; i < entries_.size(); ++i) {
    std::optional<SeriesRef> ref = ref_of(pending_labels_[i]);
    if (!ref.has_value()) continue;
    entries_[kept] = entries_[i];
    entries_[kept].ref = *ref;
    ++kept;
  }
  entries_.resize(kept);
  entries_.shrink_to_fit();
  std::sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) { return a.ref < b.ref; });
  pending_labels_.clear();
  pending_labels_.shrink_to_fit();
}

const Part::Entry* Part::Find(SeriesRef ref) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), ref,
                             [](const Entry& e, SeriesRef r) { return e.ref < r; });
  return it != entries_.end() && it->ref == ref ? &*it : nullptr;
}

bool Part::Overlaps(SeriesRef ref, int64_t mint, int64_t maxt) const {
  const Entry* e = Find(ref);
  return e != nullptr && e->min_t <= maxt && e->max_t >= mint;
}

std::vector<SeriesRef> Part::Refs() const {
  std::vector<SeriesRef> refs;
  refs.reserve(entries_.size());
  for (const Entry& e : entries_) refs.push_back(e.ref);
  return refs;
}

Status Part::Decompress(uint32_t index, std::string* out) const {
  const Block& b = blocks_[index];
  std::string_view stored = file_.data().substr(b.offset, b.stored_len);
  if (crc32c::Value(stored) != crc32c::Unmask(b.crc)) return Bad(path(), "block checksum mismatch");
  out->resize(b.raw_len);
  const size_t n = ZSTD_decompress(out->data(), out->size(), stored.data(), stored.size());
  if (ZSTD_isError(n) || n != b.raw_len) return Bad(path(), "block does not decompress");
  return Status::Ok();
}

Result<Part::LoadedBlock> Part::LoadBlock(uint32_t index, BlockReads reads) const {
  const Block& b = blocks_[index];
  if (b.codec == kCodecRaw) {
    std::string_view stored = file_.data().substr(b.offset, b.stored_len);
    if (crc32c::Value(stored) != crc32c::Unmask(b.crc)) return Bad(path(), "block checksum mismatch");
    return LoadedBlock{nullptr, stored};
  }
  if (reads == BlockReads::kCached && cache_ != nullptr) {
    BlockCache::Block block = cache_->Get(instance_, index);
    if (block == nullptr) {
      auto fresh = std::make_shared<std::string>();
      Status s = Decompress(index, fresh.get());
      if (!s.ok()) return s;
      block = std::move(fresh);
      cache_->Put(instance_, index, block);
    }
    const std::string_view data(*block);
    return LoadedBlock{std::move(block), data};
  }
  // Sequential readers touch one block many times in a row: one
  // decompressed block per thread avoids most repeated work.
  struct LastBlock {
    uint64_t instance = 0;
    uint32_t block = 0;
    std::string data;
  };
  thread_local LastBlock last;
  if (last.instance != instance_ || last.block != index) {
    last.instance = 0;
    Status s = Decompress(index, &last.data);
    if (!s.ok()) return s;
    last.instance = instance_;
    last.block = index;
  }
  return LoadedBlock{nullptr, std::string_view(last.data)};
}

Status Part::CollectSamples(SeriesRef ref, int64_t mint, int64_t maxt, std::vector<Sample>* out,
                            BlockReads reads) const {
  const Entry* e = Find(ref);
  if (e == nullptr || e->max_t < mint || e->min_t > maxt) return Status::Ok();
  auto block = LoadBlock(e->block, reads);
  if (!block.ok()) return block.status();
  std::string_view in = block.value().data.substr(e->offset, e->length);
  uint64_t nchunks = 0;
  if (!GetVarint64(&in, &nchunks)) return Bad(path(), "truncated series data");
  std::string_view next;
  if (nchunks > 0 && !GetLengthPrefixed(&in, &next)) return Bad(path(), "truncated chunk");
  for (uint64_t i = 0; i < nchunks; ++i) {
    const std::string_view chunk = next;
    if (i + 1 < nchunks) {
      if (!GetLengthPrefixed(&in, &next)) return Bad(path(), "truncated chunk");
      // A series' chunks are in time order: when the next one starts before
      // mint, this one ends before it and need not be decoded.
      int64_t next_first = 0;
      if (ChunkFirstTime(next, &next_first) && next_first < mint) continue;
    }
    bool past_maxt = false;
    Status s = AppendChunkSamples(chunk, mint, maxt, out, &past_maxt);
    if (!s.ok()) return Bad(path(), "chunk: " + s.message());
    if (past_maxt) return Status::Ok();
  }
  return Status::Ok();
}

}  // namespace vigil::tsdb
