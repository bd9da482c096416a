#include "tsdb/part_set.h"

#include <algorithm>
#include <set>

#include "base/crc32c.h"
#include "base/file_util.h"
#include "base/log.h"
#include "base/varint.h"

namespace vigil::tsdb {

namespace {

constexpr char kTombstonesFile[] = "TOMBSTONES";
constexpr size_t kMaxTombstonesBytes = size_t{1} << 30;

std::shared_ptr<const PartSet::PartList> Sorted(PartSet::PartList list) {
  std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) {
    return a->min_gen() != b->min_gen() ? a->min_gen() < b->min_gen() : a->id() < b->id();
  });
  return std::make_shared<const PartSet::PartList>(std::move(list));
}

}  // namespace

Result<std::unique_ptr<PartSet>> PartSet::Open(const std::string& dir, const RefFn& get_or_create,
                                               size_t block_cache_bytes) {
  Status s = EnsureDir(dir);
  if (!s.ok()) return s;
  std::unique_ptr<PartSet> set(new PartSet(dir, block_cache_bytes));
  s = set->LoadTombstones();
  if (!s.ok()) return s;
  auto names = ListDir(dir);
  if (!names.ok()) return names.status();
  PartList parts;
  for (const std::string& name : names.value()) {
    if (name.find(".tmp.") != std::string::npos) {
      RemoveFile(dir + "/" + name);
      continue;
    }
    std::optional<uint64_t> id = ParsePartFileName(name);
    if (!id.has_value()) continue;
    auto part = Part::Open(dir + "/" + name, &set->block_cache_);
    if (!part.ok()) return part.status();
    if (part.value()->id() != *id) return Status::Corruption("part " + name + ": id does not match its name");
    set->next_id_ = std::max(set->next_id_, *id + 1);
    parts.push_back(std::move(part).value());
  }
  // A merge that crashed after writing its result but before unlinking its
  // sources leaves both; the merged part has every sample, so drop the rest.
  std::set<uint64_t> replaced;
  for (const auto& p : parts) replaced.insert(p->sources().begin(), p->sources().end());
  PartList live;
  for (auto& p : parts) {
    if (replaced.count(p->id()) != 0) {
      VLOG_WARN("tsdb: removing part replaced by an interrupted merge", {{"path", p->path()}});
      RemoveFile(p->path());
      continue;
    }
    std::const_pointer_cast<Part>(p)->Bind([&](const Labels& labels) -> std::optional<SeriesRef> {
      if (set->IsTombstonedLocked(labels, p->id())) return std::nullopt;
      return get_or_create(labels);
    });
    live.push_back(std::move(p));
  }
  if (!replaced.empty()) {
    s = FsyncDir(dir);
    if (!s.ok()) return s;
  }
  set->parts_ = Sorted(std::move(live));
  return set;
}

std::shared_ptr<const PartSet::PartList> PartSet::Snapshot() const {
  std::lock_guard lock(mu_);
  return parts_;
}

uint64_t PartSet::NextId() {
  std::lock_guard lock(mu_);
  return next_id_++;
}

Status PartSet::AddPart(uint64_t id, const std::string& bytes, const RefFn& ref_of,
                        const std::vector<uint64_t>& replaces) {
  const std::string path = dir_ + "/" + PartFileName(id);
  Status s = WriteFileAtomic(path, bytes);
  if (!s.ok()) return s;
  auto opened = Part::Open(path, &block_cache_);
  if (!opened.ok()) return opened.status();
  std::shared_ptr<Part> part = std::move(opened).value();
  {
    std::lock_guard lock(mu_);
    part->Bind([&](const Labels& labels) -> std::optional<SeriesRef> {
      if (IsTombstonedLocked(labels, id)) return std::nullopt;
      return ref_of(labels);
    });
  }
  std::vector<std::string> unlink;
  {
    std::lock_guard lock(mu_);
    PartList next;
    for (const auto& p : *parts_) {
      if (std::find(replaces.begin(), replaces.end(), p->id()) != replaces.end()) {
        unlink.push_back(p->path());
      } else {
        next.push_back(p);
      }
    }
    next.push_back(part);
    parts_ = Sorted(std::move(next));
  }
  for (const std::string& p : unlink) RemoveFile(p);
  return unlink.empty() ? Status::Ok() : FsyncDir(dir_);
}

Result<size_t> PartSet::DropBefore(int64_t cutoff) {
  std::vector<std::string> unlink;
  {
    std::lock_guard lock(mu_);
    PartList next;
    for (const auto& p : *parts_) {
      if (p->max_time() < cutoff) {
        unlink.push_back(p->path());
      } else {
        next.push_back(p);
      }
    }
    if (unlink.empty()) return size_t{0};
    parts_ = Sorted(std::move(next));
  }
  for (const std::string& p : unlink) RemoveFile(p);
  Status s = FsyncDir(dir_);
  if (!s.ok()) return s;
  return unlink.size();
}

bool PartSet::ContainsRef(SeriesRef ref) const {
  auto parts = Snapshot();
  for (const auto& p : *parts) {
    if (p->Has(ref)) return true;
  }
  return false;
}

bool PartSet::IsTombstonedLocked(const Labels& labels, uint64_t part_id) const {
  if (tombstones_.empty()) return false;
  auto [lo, hi] = tombstone_index_.equal_range(labels.Hash());
  for (auto it = lo; it != hi; ++it) {
    const Tombstone& t = tombstones_[it->second];
    if (part_id <= t.max_part_id && t.labels == labels) return true;
  }
  return false;
}

void PartSet::IndexTombstonesLocked() {
  tombstone_index_.clear();
  for (size_t i = 0; i < tombstones_.size(); ++i) tombstone_index_.emplace(tombstones_[i].labels.Hash(), i);
}

Status PartSet::AddTombstones(const std::vector<Labels>& series) {
  std::lock_guard lock(mu_);
  const uint64_t max_id = next_id_ - 1;
  // Tombstones for parts that no longer exist hide nothing.
  uint64_t min_live = next_id_;
  for (const auto& p : *parts_) min_live = std::min(min_live, p->id());
  std::erase_if(tombstones_, [&](const Tombstone& t) { return t.max_part_id < min_live; });
  for (const Labels& l : series) tombstones_.push_back(Tombstone{l, max_id});
  IndexTombstonesLocked();
  return WriteTombstonesLocked();
}

Status PartSet::WriteTombstonesLocked() {
  std::string out;
  PutVarint64(&out, tombstones_.size());
  for (const Tombstone& t : tombstones_) {
    PutVarint64(&out, t.labels.size());
    for (const Label& l : t.labels) {
      PutLengthPrefixed(&out, l.name);
      PutLengthPrefixed(&out, l.value);
    }
    PutVarint64(&out, t.max_part_id);
  }
  PutFixed32(&out, crc32c::Mask(crc32c::Value(out)));
  return WriteFileAtomic(dir_ + "/" + kTombstonesFile, out);
}

Status PartSet::LoadTombstones() {
  const std::string path = dir_ + "/" + kTombstonesFile;
  auto size = FileSize(path);
  if (!size.ok()) return Status::Ok();  // none yet
  auto data = ReadFile(path, kMaxTombstonesBytes);
  if (!data.ok()) return data.status();
  std::string_view in = data.value();
  const Status bad = Status::Corruption("tombstones " + path + ": malformed");
  if (in.size() < 4) return bad;
  const uint32_t crc = DecodeFixed32(in.data() + in.size() - 4);
  in.remove_suffix(4);
  if (crc32c::Unmask(crc) != crc32c::Value(in)) return Status::Corruption("tombstones " + path + ": checksum mismatch");
  uint64_t n = 0;
  if (!GetVarint64(&in, &n) || n > in.size()) return bad;
  LabelsBuilder builder;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t npairs = 0, max_id = 0;
    if (!GetVarint64(&in, &npairs) || npairs > in.size()) return bad;
    builder.Reset();
    for (uint64_t p = 0; p < npairs; ++p) {
      std::string_view name, value;
      if (!GetLengthPrefixed(&in, &name) || !GetLengthPrefixed(&in, &value)) return bad;
      builder.Set(name, value);
    }
    if (!GetVarint64(&in, &max_id)) return bad;
    tombstones_.push_back(Tombstone{builder.Build(), max_id});
    next_id_ = std::max(next_id_, max_id + 1);
  }
  if (!in.empty()) return bad;
  IndexTombstonesLocked();
  return Status::Ok();
}

size_t PartSet::NumParts() const { return Snapshot()->size(); }

uint64_t PartSet::TotalBytes() const {
  uint64_t n = 0;
  for (const auto& p : *Snapshot()) n += p->file_bytes();
  return n;
}

uint64_t PartSet::TotalSamples() const {
  uint64_t n = 0;
  for (const auto& p : *Snapshot()) n += p->num_samples();
  return n;
}

size_t PartSet::NumTombstones() const {
  std::lock_guard lock(mu_);
  return tombstones_.size();
}

}  // namespace vigil::tsdb
