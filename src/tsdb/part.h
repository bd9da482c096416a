#pragma once
// Part: an immutable on-disk file of chunks flushed from the head (or merged
// from other parts), read through a memory mapping.
//
// ---- File format (<id as 16 hex digits>.part) ----
//
//   "VGPART01"                       8-byte magic
//   block*                           series data, see below
//   index                            see below, as one zstd frame; the footer's
//                                    length and CRC cover the stored bytes
//   footer: index_offset:fixed64  index_len:fixed64  masked_crc32c(index):fixed32  "VGPEND02"
//
// Parts written before the index was compressed end in "VGPEND01" and store
// the index raw; they are still read.
//
// Integers in the index are varints ("svarint" zigzag), fixed ints little-endian.
//
//   index := id  min_gen  nsources  source_id*nsources
//            min_time:svarint  max_time:svarint  num_samples
//            nblocks  (file_offset  stored_len  raw_len  codec:u8  masked_crc32c(stored):fixed32)*
//            nseries  (npairs (name:lenpfx value:lenpfx)*  min_t:svarint  max_t:svarint
//                      num_samples  block  offset  length)*
//
// A block is the concatenation of several series' data (about kPartBlockBytes
// raw), stored raw (codec 0) or as one zstd frame (codec 1) when that is
// smaller. A series' data sits at [offset, offset+length) of its block once
// decompressed:  nchunks  (chunk:lenpfx)*  with chunks in time order
// (tsdb/chunk.h encodings; timestamps strictly increase across them).
//
// `sources` lists the parts a merged part replaces; on open, a part listed as
// a source of another present part is a leftover of an interrupted merge and
// is deleted. `min_gen` orders parts by age of their data: when two sources
// hold the same timestamp for a series, the lower min_gen wins.
//
// The file is written whole with WriteFileAtomic (temp file, fsync, rename,
// fsync dir), so a part is either complete or absent.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/file_util.h"
#include "base/sample_row.h"
#include "base/status.h"
#include "tsdb/block_cache.h"
#include "tsdb/labels.h"
#include "tsdb/postings.h"

namespace vigil::tsdb {

// Raw bytes of series data gathered into one block before compression.
inline constexpr size_t kPartBlockBytes = size_t{256} << 10;

// Identity of a part to write.
struct PartMeta {
  uint64_t id = 0;       // unique, increasing; also the file name
  uint64_t min_gen = 0;  // priority for duplicate timestamps (lower wins)
  std::vector<uint64_t> sources;  // parts this one replaces (merges)
};

// Accumulates series and produces the bytes of a part file.
// Thread-compatible.
class PartBuilder {
 public:
  explicit PartBuilder(PartMeta meta) : meta_(std::move(meta)) {}

  // Adds one series. `chunks` are encoded chunks in time order holding
  // `num_samples` samples from min_t to max_t.
  // REQUIRES: !chunks.empty(); each label set added at most once.
  void AddSeries(const Labels& labels, std::span<const std::string> chunks, int64_t min_t, int64_t max_t,
                 uint64_t num_samples);

  size_t num_series() const { return series_.size(); }
  // The whole file. The builder is spent afterwards.
  std::string Finish();

 private:
  struct SeriesEntry {
    Labels labels;
    int64_t min_t, max_t;
    uint64_t num_samples;
    uint32_t block, offset, length;
  };
  void CutBlock();

  PartMeta meta_;
  std::vector<SeriesEntry> series_;
  std::string blocks_;       // stored blocks, after the magic
  std::string index_blocks_; // the block table being built
  uint32_t num_blocks_ = 0;
  std::string raw_block_;    // block being filled
  bool any_ = false;
  int64_t min_t_ = 0, max_t_ = 0;
  uint64_t num_samples_ = 0;
};

// How a read uses the shared BlockCache. Queries share decompressed blocks;
// merges, which read each block once in order, keep one block per thread and
// leave the cache to the queries.
enum class BlockReads : uint8_t { kCached, kSequential };

// An open part. Series are found by SeriesRef after Bind(); unbound entries
// (deleted or tombstoned series) are invisible.
// Thread-safe after Bind(): reads may run concurrently.
class Part {
 public:
  // Maps the file and checks magic, footer and index CRC (Corruption if bad).
  // Cached reads go through `cache` when it is not null.
  // REQUIRES: `cache` outlives the part.
  static Result<std::shared_ptr<Part>> Open(const std::string& path, BlockCache* cache = nullptr);

  // Calls `ref_of` with the labels of every series once; the series is bound
  // to the returned ref, or hidden if it returns nullopt. Call once, before
  // any read. Frees the parsed labels.
  void Bind(const std::function<std::optional<SeriesRef>(const Labels&)>& ref_of);

  // Whether series `ref` is in this part.
  bool Has(SeriesRef ref) const { return Find(ref) != nullptr; }
  // Whether `ref` is here with min_t <= maxt && max_t >= mint (its chunks'
  // span overlaps; a sample inside is likely but not certain).
  bool Overlaps(SeriesRef ref, int64_t mint, int64_t maxt) const;
  // Appends the samples of `ref` with mint <= t <= maxt to `*out`, ascending.
  // Corruption if a block fails its checksum or does not decode.
  Status CollectSamples(SeriesRef ref, int64_t mint, int64_t maxt, std::vector<Sample>* out,
                        BlockReads reads = BlockReads::kCached) const;
  // Bound refs, ascending.
  std::vector<SeriesRef> Refs() const;

  uint64_t id() const { return id_; }
  uint64_t min_gen() const { return min_gen_; }
  const std::vector<uint64_t>& sources() const { return sources_; }
  int64_t min_time() const { return min_time_; }
  int64_t max_time() const { return max_time_; }
  uint64_t num_samples() const { return num_samples_; }
  size_t num_series() const { return entries_.size(); }
  uint64_t file_bytes() const { return file_.size(); }
  const std::string& path() const { return file_.path(); }

 private:
  struct Block {
    uint64_t offset, stored_len, raw_len;
    uint8_t codec;
    uint32_t crc;
  };
  struct Entry {
    SeriesRef ref;
    uint32_t block, offset, length;
    int64_t min_t, max_t;
  };
  explicit Part(MappedFile file) : file_(std::move(file)) {}
  Status ParseIndex(std::string_view index);
  const Entry* Find(SeriesRef ref) const;
  // A decompressed block and what keeps it alive.
  struct LoadedBlock {
    BlockCache::Block owner;  // null when `data` is the mapping or the thread's block
    std::string_view data;
  };
  // The decompressed block: from cache_ for cached reads, else from a
  // per-thread one-block cache.
  Result<LoadedBlock> LoadBlock(uint32_t block, BlockReads reads) const;
  // Checks and decompresses block `index` into *out.
  Status Decompress(uint32_t index, std::string* out) const;

  MappedFile file_;
  BlockCache* cache_ = nullptr;
  uint64_t instance_ = 0;  // unique per process, keys the block cache
  uint64_t id_ = 0, min_gen_ = 0, num_samples_ = 0;
  int64_t min_time_ = 0, max_time_ = 0;
  std::vector<uint64_t> sources_;
  std::vector<Block> blocks_;
  std::vector<Entry> entries_;        // sorted by ref after Bind
  std::vector<Labels> pending_labels_;  // by entry, until Bind
};

// "<id as 16 hex digits>.part"
std::string PartFileName(uint64_t id);
// The id in a part file name; nullopt for any other name.
std::optional<uint64_t> ParsePartFileName(std::string_view name);

}  // namespace vigil::tsdb
