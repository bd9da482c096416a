#pragma once
// PartSet: the live on-disk parts of a storage directory and the tombstones
// that hide deleted series inside them.
//
// Directory (<storage dir>/parts):
//   <id>.part       immutable parts (tsdb/part.h)
//   TOMBSTONES      series deleted while parts held them; rewritten whole with
//                   WriteFileAtomic on every change:
//                     count  (npairs (name:lenpfx value:lenpfx)*  max_part_id)*  masked_crc32c:fixed32
//                   A tombstone hides the series in parts with id <= max_part_id
//                   (parts written later hold data of a re-created series).
//   *.tmp.*         leftovers of an interrupted atomic write; deleted on open
//
// Readers take a Snapshot (an immutable list shared by pointer), so adding
// and removing parts never disturbs a running query; a removed part's file is
// unlinked at once but stays mapped until the last snapshot holding it goes.
//
// Thread-safe.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "tsdb/labels.h"
#include "tsdb/part.h"

namespace vigil::tsdb {

class PartSet {
 public:
  // Parts sorted by min_gen ascending (oldest data first).
  using PartList = std::vector<std::shared_ptr<const Part>>;
  // Maps a part's series to a live series ref (creating it) or hides it.
  using RefFn = std::function<std::optional<SeriesRef>(const Labels&)>;

  // Opens (creating) `dir`: loads tombstones, removes temp files and parts
  // that a present merged part replaces, opens every other part and binds its
  // series with `get_or_create` (tombstoned series are hidden without calling
  // it). A corrupt part is an error (it is not silently dropped). Queries
  // share up to `block_cache_bytes` of decompressed blocks (0: none).
  static Result<std::unique_ptr<PartSet>> Open(const std::string& dir, const RefFn& get_or_create,
                                               size_t block_cache_bytes = kDefaultBlockCacheBytes);

  // Default size of the decompressed-block cache.
  static constexpr size_t kDefaultBlockCacheBytes = size_t{64} << 20;

  // The current parts.
  std::shared_ptr<const PartList> Snapshot() const;

  // A fresh part id (greater than every id handed out or on disk).
  uint64_t NextId();

  // Writes `bytes` (a PartBuilder result) atomically as part `id`, opens it,
  // binds it with `ref_of`, and adds it to the set; then removes the parts
  // in `replaces` (unlinking their files). Readers see the new part before
  // the replaced ones go.
  Status AddPart(uint64_t id, const std::string& bytes, const RefFn& ref_of,
                 const std::vector<uint64_t>& replaces = {});

  // Removes every part whose data is entirely older than `cutoff`; returns
  // how many were removed.
  Result<size_t> DropBefore(int64_t cutoff);

  // Whether some part holds series `ref`.
  bool ContainsRef(SeriesRef ref) const;

  // Records tombstones (durably) for these series, applying to every part
  // handed out so far. Forgets tombstones no live part needs any more.
  Status AddTombstones(const std::vector<Labels>& series);

  size_t NumParts() const;
  uint64_t TotalBytes() const;
  uint64_t TotalSamples() const;
  size_t NumTombstones() const;

 private:
  struct Tombstone {
    Labels labels;
    uint64_t max_part_id;
  };
  PartSet(std::string dir, size_t block_cache_bytes) : dir_(std::move(dir)), block_cache_(block_cache_bytes) {}
  Status LoadTombstones();
  Status WriteTombstonesLocked();
  bool IsTombstonedLocked(const Labels& labels, uint64_t part_id) const;
  void IndexTombstonesLocked();

  const std::string dir_;
  BlockCache block_cache_;  // shared by this set's parts
  mutable std::mutex mu_;
  std::shared_ptr<const PartList> parts_;  // GUARDED_BY(mu_); replaced, never mutated
  uint64_t next_id_ = 1;                   // GUARDED_BY(mu_)
  std::vector<Tombstone> tombstones_;      // GUARDED_BY(mu_)
  std::unordered_multimap<uint64_t, size_t> tombstone_index_;  // GUARDED_BY(mu_): labels hash -> tombstones_ index
};

}  // namespace vigil::tsdb
