#include "tsdb/series_index.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <mutex>
#include <tuple>

namespace vigil::tsdb {
namespace {

constexpr uint32_t kDeletedMarker = UINT32_MAX;  // SeriesRecord::num_labels of a deleted series
constexpr uint32_t kNoId = UINT32_MAX;

// Checking one candidate's value (scan its labels, compare) costs about as
// much as merging this many postings entries.
constexpr size_t kFilterCostPerCandidate = 8;

// Spreads a dense symbol id over the hash table's low bits.
uint32_t IdHash(uint32_t id) {
  return static_cast<uint32_t>((uint64_t{id} * 0x9E3779B97F4A7C15ull) >> 32);
}

}  // namespace

// ---- storage pieces ---------------------------------------------------------------

// Label symbol ids of all series, appended into fixed blocks that never move.
// A series' ids are (name id, value id) pairs in label order, contiguous.
// A position packs (block << 16 | offset) into 32 bits: 2^16 blocks of 2^16
// words (16 GiB of ids) is far beyond what one head holds.
class SeriesIndex::IdArena {
 public:
  static constexpr uint32_t kBlockWords = 1u << 16;

  // Copies `ids` into the arena; returns their packed position. A label set
  // too big for a block gets a block of its own (at offset 0).
  uint32_t Append(std::span<const uint32_t> ids) {
    if (ids.empty()) return 0;
    if (blocks_.empty() || blocks_.back().size - blocks_.back().used < ids.size()) {
      const auto words = std::max<uint32_t>(kBlockWords, static_cast<uint32_t>(ids.size()));
      blocks_.push_back(Block{std::make_unique_for_overwrite<uint32_t[]>(words), words, 0});
      words_ += words;
    }
    Block& b = blocks_.back();
    std::memcpy(b.data.get() + b.used, ids.data(), ids.size_bytes());
    const uint32_t pos = static_cast<uint32_t>((blocks_.size() - 1) << 16) | b.used;
    b.used += static_cast<uint32_t>(ids.size());
    return pos;
  }

  const uint32_t* At(uint32_t pos) const {
    return blocks_.empty() ? nullptr : blocks_[pos >> 16].data.get() + (pos & 0xffff);
  }

  size_t MemoryBytes() const { return words_ * sizeof(uint32_t) + blocks_.capacity() * sizeof(Block); }

 private:
  struct Block {
    std::unique_ptr<uint32_t[]> data;
    uint32_t size;
    uint32_t used;
  };
  std::vector<Block> blocks_;
  size_t words_ = 0;
};

struct SeriesIndex::SeriesRecord {
  uint64_t hash;
  uint32_t ids_pos;  // IdArena position
  uint32_t num_labels;  // kDeletedMarker once deleted
  bool live() const { return num_labels != kDeletedMarker; }
};

// The postings of one name=value pair in 16 bytes: the value's symbol id, and
// the refs inline when there is one (the common case for high-cardinality
// labels) or on the heap with capacity bit_ceil(size).
class SeriesIndex::ValueEntry {
 public:
  explicit ValueEntry(uint32_t value_id) : value_id_(value_id) {}
  ValueEntry(const ValueEntry&) = delete;
  ValueEntry& operator=(const ValueEntry&) = delete;
  ValueEntry(ValueEntry&& other) noexcept
      : value_id_(other.value_id_), size_(other.size_), storage_(other.storage_) {
    other.size_ = 0;
  }
  ValueEntry& operator=(ValueEntry&& other) noexcept {
    if (this != &other) {
      Free();
      value_id_ = other.value_id_;
      size_ = other.size_;
      storage_ = other.storage_;
      other.size_ = 0;
    }
    return *this;
  }
  ~ValueEntry() { Free(); }

  uint32_t value_id() const { return value_id_; }
  size_t size() const { return size_; }
  std::span<const SeriesRef> refs() const {
    return size_ <= 1 ? std::span<const SeriesRef>(&storage_.one, size_)
                      : std::span<const SeriesRef>(storage_.heap, size_);
  }

  // REQUIRES: ref greater than every ref present.
  void Append(SeriesRef ref) {
    if (size_ == 0) {
      storage_.one = ref;
    } else if (size_ == 1) {
      auto* heap = new SeriesRef[2];
      heap[0] = storage_.one;
      heap[1] = ref;
      storage_.heap = heap;
    } else {
      if (std::has_single_bit(size_)) Reallocate(size_ * 2);
      storage_.heap[size_] = ref;
    }
    ++size_;
  }

  // Replaces the refs with `refs` (sorted), reallocating to keep the
  // capacity at bit_ceil(size).
  void Assign(std::span<const SeriesRef> refs) {
    const auto n = static_cast<uint32_t>(refs.size());
    if (n <= 1) {
      const SeriesRef one = n == 1 ? refs[0] : 0;
      Free();
      storage_.one = one;
    } else {
      if (size_ <= 1) {
        storage_.heap = new SeriesRef[std::bit_ceil(n)];
      } else if (std::bit_ceil(n) != std::bit_ceil(size_)) {
        size_ = std::min(size_, n);  // Reallocate copies size_ refs; all get overwritten
        Reallocate(std::bit_ceil(n));
      }
      std::copy(refs.begin(), refs.end(), storage_.heap);
    }
    size_ = n;
  }

  size_t HeapBytes() const { return size_ <= 1 ? 0 : std::bit_ceil(size_) * sizeof(SeriesRef); }

 private:
  void Reallocate(uint32_t capacity) {
    auto* heap = new SeriesRef[capacity];
    std::copy(storage_.heap, storage_.heap + size_, heap);
    delete[] storage_.heap;
    storage_.heap = heap;
  }
  void Free() {
    if (size_ > 1) delete[] storage_.heap;
    size_ = 0;
  }

  uint32_t value_id_;
  uint32_t size_ = 0;
  union Storage {
    SeriesRef one;
    SeriesRef* heap;
  } storage_{};
};

struct SeriesIndex::NameEntry {
  explicit NameEntry(uint32_t id) : name_id(id) {}
  uint32_t name_id;
  uint32_t live_values = 0;            // values whose postings are non-empty
  std::vector<SeriesRef> all;          // series that have this label, ascending
  std::vector<ValueEntry> values;      // distinct values, first-seen order
  internal::HashSlotTable value_slot;  // IdHash(value id) -> index into values

  uint32_t FindValue(uint32_t value_id) const {
    return value_slot.Find(IdHash(value_id),
                           [&](uint32_t i) { return values[i].value_id() == value_id; });
  }
};

// ---- SeriesIndex: writes ----------------------------------------------------------

SeriesIndex::SeriesIndex() : ids_(std::make_unique<IdArena>()) {}
SeriesIndex::~SeriesIndex() = default;

SeriesRef SeriesIndex::GetOrCreate(const Labels& labels, bool* created) {
  const uint64_t hash = labels.Hash();
  {
    std::shared_lock lock(mutex_);
    const SeriesRef ref = FindLocked(labels, hash);
    if (ref != kNoId) {
      if (created != nullptr) *created = false;
      return ref;
    }
  }
  std::unique_lock lock(mutex_);
  SeriesRef ref = FindLocked(labels, hash);  // another writer may have won the race
  const bool is_new = ref == kNoId;
  if (is_new) ref = CreateLocked(labels, hash);
  if (created != nullptr) *created = is_new;
  return ref;
}

SeriesRef SeriesIndex::CreateLocked(const Labels& labels, uint64_t hash) {
  const auto ref = static_cast<SeriesRef>(series_.size());
  uint32_t stack_ids[64];
  std::vector<uint32_t> heap_ids;
  uint32_t* ids = stack_ids;
  const size_t n = labels.size();
  if (2 * n > std::size(stack_ids)) {
    heap_ids.resize(2 * n);
    ids = heap_ids.data();
  }
  size_t i = 0;
  for (Label l : labels) {
    ids[i++] = symbols_.Intern(l.name);
    ids[i++] = symbols_.Intern(l.value);
  }
  const uint32_t pos = ids_->Append(std::span<const uint32_t>(ids, 2 * n));
  series_.push_back(SeriesRecord{hash, pos, static_cast<uint32_t>(n)});
  by_hash_.Insert(static_cast<uint32_t>(hash), ref);
  all_refs_.push_back(ref);

  for (size_t p = 0; p < n; ++p) {
    const uint32_t name_id = ids[2 * p];
    const uint32_t value_id = ids[2 * p + 1];
    auto [it, inserted] = name_slot_.try_emplace(name_id, static_cast<uint32_t>(names_.size()));
    if (inserted) names_.emplace_back(name_id);
    NameEntry& entry = names_[it->second];
    entry.all.push_back(ref);
    uint32_t slot = entry.FindValue(value_id);
    if (slot == internal::HashSlotTable::kNotFound) {
      slot = static_cast<uint32_t>(entry.values.size());
      entry.values.emplace_back(value_id);
      entry.value_slot.Insert(IdHash(value_id), slot);
    }
    ValueEntry& value = entry.values[slot];
    if (value.size() == 0) ++entry.live_values;
    value.Append(ref);
  }
  return ref;
}

size_t SeriesIndex::Delete(std::span<const SeriesRef> refs) {
  std::unique_lock lock(mutex_);
  std::vector<SeriesRef> doomed;
  doomed.reserve(refs.size());
  for (SeriesRef ref : refs) {
    if (ref < series_.size() && series_[ref].live()) doomed.push_back(ref);
  }
  std::sort(doomed.begin(), doomed.end());
  doomed.erase(std::unique(doomed.begin(), doomed.end()), doomed.end());
  if (doomed.empty()) return 0;

  // (names_ index, values index, ref) of every posting to remove, grouped so
  // that each list is rewritten once.
  std::vector<std::tuple<uint32_t, uint32_t, SeriesRef>> removals;
  for (SeriesRef ref : doomed) {
    SeriesRecord& rec = series_[ref];
    const std::span<const uint32_t> ids = SeriesIds(rec);
    for (size_t p = 0; p + 1 < ids.size(); p += 2) {
      const uint32_t slot = name_slot_.at(ids[p]);
      removals.emplace_back(slot, names_[slot].FindValue(ids[p + 1]), ref);
    }
    by_hash_.Erase(static_cast<uint32_t>(rec.hash), [&](uint32_t r) { return r == ref; });
    rec.num_labels = kDeletedMarker;
  }
  std::sort(removals.begin(), removals.end());

  std::vector<SeriesRef> group, kept, name_group;
  size_t i = 0;
  while (i < removals.size()) {
    const uint32_t slot = std::get<0>(removals[i]);
    NameEntry& entry = names_[slot];
    name_group.clear();
    while (i < removals.size() && std::get<0>(removals[i]) == slot) {
      const uint32_t value_index = std::get<1>(removals[i]);
      group.clear();
      while (i < removals.size() && std::get<0>(removals[i]) == slot &&
             std::get<1>(removals[i]) == value_index) {
        group.push_back(std::get<2>(removals[i]));
        ++i;
      }
      ValueEntry& value = entry.values[value_index];
      SubtractPostings(value.refs(), std::span<const SeriesRef>(group), &kept);
      value.Assign(kept);
      if (kept.empty()) --entry.live_values;
      name_group.insert(name_group.end(), group.begin(), group.end());
    }
    std::sort(name_group.begin(), name_group.end());
    SubtractPostings(std::span<const SeriesRef>(entry.all), std::span<const SeriesRef>(name_group),
                     &kept);
    entry.all.assign(kept.begin(), kept.end());
  }
  SubtractPostings(std::span<const SeriesRef>(all_refs_), std::span<const SeriesRef>(doomed), &kept);
  all_refs_.assign(kept.begin(), kept.end());
  return doomed.size();
}

// ---- SeriesIndex: lookups ---------------------------------------------------------

std::span<const uint32_t> SeriesIndex::SeriesIds(const SeriesRecord& rec) const {
  if (!rec.live() || rec.num_labels == 0) return {};
  return {ids_->At(rec.ids_pos), size_t{rec.num_labels} * 2};
}

bool SeriesIndex::SameLabels(const SeriesRecord& rec, const Labels& labels) const {
  const std::span<const uint32_t> ids = SeriesIds(rec);
  size_t i = 0;
  for (Label l : labels) {
    if (i >= ids.size()) return false;
    if (symbols_.Lookup(ids[i]) != l.name || symbols_.Lookup(ids[i + 1]) != l.value) return false;
    i += 2;
  }
  return i == ids.size();
}

SeriesRef SeriesIndex::FindLocked(const Labels& labels, uint64_t hash) const {
  return by_hash_.Find(static_cast<uint32_t>(hash), [&](uint32_t ref) {
    const SeriesRecord& rec = series_[ref];
    return rec.hash == hash && SameLabels(rec, labels);
  });
}

bool SeriesIndex::Find(const Labels& labels, SeriesRef* ref) const {
  const uint64_t hash = labels.Hash();
  std::shared_lock lock(mutex_);
  const SeriesRef found = FindLocked(labels, hash);
  if (found == kNoId) return false;
  *ref = found;
  return true;
}

bool SeriesIndex::GetLabels(SeriesRef ref, Labels* labels) const {
  std::shared_lock lock(mutex_);
  if (ref >= series_.size() || !series_[ref].live()) return false;
  const std::span<const uint32_t> ids = SeriesIds(series_[ref]);
  LabelsBuilder builder;
  for (size_t i = 0; i + 1 < ids.size(); i += 2) {
    builder.Set(symbols_.Lookup(ids[i]), symbols_.Lookup(ids[i + 1]));
  }
  *labels = builder.Build();
  return true;
}

size_t SeriesIndex::NumSeries() const {
  std::shared_lock lock(mutex_);
  return all_refs_.size();
}

const SeriesIndex::NameEntry* SeriesIndex::FindName(std::string_view name) const {
  const uint32_t name_id = symbols_.Find(name);
  if (name_id == SymbolTable::kNotFound) return nullptr;
  const auto it = name_slot_.find(name_id);
  return it == name_slot_.end() ? nullptr : &names_[it->second];
}

std::span<const SeriesRef> SeriesIndex::ValuePostings(const NameEntry& entry,
                                                      std::string_view value) const {
  const uint32_t value_id = symbols_.Find(value);
  if (value_id == SymbolTable::kNotFound) return {};
  const uint32_t slot = entry.FindValue(value_id);
  if (slot == internal::HashSlotTable::kNotFound) return {};
  return entry.values[slot].refs();
}

uint32_t SeriesIndex::ValueIdOf(SeriesRef ref, uint32_t name_id) const {
  const std::span<const uint32_t> ids = SeriesIds(series_[ref]);
  for (size_t i = 0; i + 1 < ids.size(); i += 2) {
    if (ids[i] == name_id) return ids[i + 1];
  }
  return kNoId;
}

// ---- SeriesIndex: selection -------------------------------------------------------

void SeriesIndex::MatchingPostings(const NameEntry& entry, const Matcher& m, bool want_match,
                                   std::vector<SeriesRef>* out) const {
  out->clear();
  std::vector<std::span<const SeriesRef>> lists;
  if (const std::vector<std::string>* set = m.LiteralSet()) {
    // Matches(v) == (v in set) != negated: the wanted values are either the
    // set itself or everything else, i.e. the name's series minus the set's.
    for (const std::string& literal : *set) {
      if (!literal.empty()) lists.push_back(ValuePostings(entry, literal));
    }
    if (want_match != m.negated()) {
      UnionPostings(std::span<const std::span<const SeriesRef>>(lists), out);
    } else {
      std::vector<SeriesRef> excluded;
      UnionPostings(std::span<const std::span<const SeriesRef>>(lists), &excluded);
      SubtractPostings(std::span<const SeriesRef>(entry.all), std::span<const SeriesRef>(excluded), out);
    }
    return;
  }
  // Test every distinct value once; union whichever side is smaller.
  std::vector<std::span<const SeriesRef>> rejected;
  size_t wanted_total = 0;
  size_t rejected_total = 0;
  for (const ValueEntry& value : entry.values) {
    if (value.size() == 0) continue;
    if (m.Matches(symbols_.Lookup(value.value_id())) == want_match) {
      lists.push_back(value.refs());
      wanted_total += value.size();
    } else {
      rejected.push_back(value.refs());
      rejected_total += value.size();
    }
  }
  if (rejected.empty()) {
    out->assign(entry.all.begin(), entry.all.end());
  } else if (wanted_total <= rejected_total) {
    UnionPostings(std::span<const std::span<const SeriesRef>>(lists), out);
  } else {
    std::vector<SeriesRef> excluded;
    UnionPostings(std::span<const std::span<const SeriesRef>>(rejected), &excluded);
    SubtractPostings(std::span<const SeriesRef>(entry.all), std::span<const SeriesRef>(excluded), out);
  }
}

void SeriesIndex::FilterBySeriesValue(const Matcher& m, uint32_t name_id,
                                      std::vector<SeriesRef>* refs) const {
  // Candidates often share values (same instance, same job): remember recent
  // verdicts in a small direct-mapped cache so a regex runs once per value.
  struct CacheSlot {
    uint32_t value_id = kNoId;
    bool matches = false;
  };
  CacheSlot cache[64];
  const bool empty_matches = m.MatchesEmpty();
  size_t kept = 0;
  for (SeriesRef ref : *refs) {
    const uint32_t value_id = ValueIdOf(ref, name_id);
    bool matches;
    if (value_id == kNoId) {
      matches = empty_matches;
    } else {
      CacheSlot& slot = cache[IdHash(value_id) % std::size(cache)];
      if (slot.value_id != value_id) {
        slot.value_id = value_id;
        slot.matches = m.Matches(symbols_.Lookup(value_id));
      }
      matches = slot.matches;
    }
    if (matches) (*refs)[kept++] = ref;
  }
  refs->resize(kept);
}

void SeriesIndex::SelectLocked(std::span<const Matcher> matchers, std::vector<SeriesRef>* out) const {
  out->clear();
  // Matchers that require the label (do not match "") narrow by
  // intersection, cheapest first; the others only remove series, last.
  struct Step {
    const Matcher* matcher;
    const NameEntry* entry;  // null: no series has the label
    size_t cost;             // estimated postings touched
  };
  std::vector<Step> required, optional;
  for (const Matcher& m : matchers) {
    const NameEntry* entry = FindName(m.name());
    if (m.MatchesEmpty()) {
      // No series has the label: every series has value "", which matches.
      if (entry != nullptr) optional.push_back(Step{&m, entry, entry->all.size()});
      continue;
    }
    if (entry == nullptr) return;  // the label is required but nobody has it
    size_t cost = entry->all.size();
    if (const auto* set = m.LiteralSet(); set != nullptr && !m.negated()) {
      cost = 0;
      for (const std::string& literal : *set) cost += ValuePostings(*entry, literal).size();
      if (cost == 0) return;
    }
    required.push_back(Step{&m, entry, cost});
  }
  std::stable_sort(required.begin(), required.end(),
                   [](const Step& a, const Step& b) { return a.cost < b.cost; });

  std::vector<SeriesRef> matched, scratch;
  bool have_candidates = false;
  for (const Step& step : required) {
    // Once the candidates are few, checking each candidate's own value beats
    // building the step's postings: for a regex, fewer candidates than the
    // label's distinct values (each would be tested); for a literal set,
    // candidates well under the postings that the union would merge.
    const bool literal_set = step.matcher->LiteralSet() != nullptr;
    const bool filter = literal_set ? out->size() * kFilterCostPerCandidate < step.cost
                                    : out->size() < step.entry->live_values;
    if (have_candidates && filter) {
      FilterBySeriesValue(*step.matcher, step.entry->name_id, out);
    } else {
      MatchingPostings(*step.entry, *step.matcher, /*want_match=*/true, &matched);
      if (!have_candidates) {
        out->swap(matched);
        have_candidates = true;
      } else {
        IntersectPostings(std::span<const SeriesRef>(*out), std::span<const SeriesRef>(matched),
                          &scratch);
        out->swap(scratch);
      }
    }
    if (out->empty()) return;
  }
  if (!have_candidates) out->assign(all_refs_.begin(), all_refs_.end());
  for (const Step& step : optional) {
    if (out->empty()) return;
    if (out->size() < step.entry->live_values) {
      FilterBySeriesValue(*step.matcher, step.entry->name_id, out);
      continue;
    }
    // Remove the series that have the label with a value that does not match.
    MatchingPostings(*step.entry, *step.matcher, /*want_match=*/false, &matched);
    SubtractPostings(std::span<const SeriesRef>(*out), std::span<const SeriesRef>(matched), &scratch);
    out->swap(scratch);
  }
}

std::vector<SeriesRef> SeriesIndex::Select(std::span<const Matcher> matchers) const {
  std::vector<SeriesRef> out;
  std::shared_lock lock(mutex_);
  SelectLocked(matchers, &out);
  return out;
}

std::vector<std::string> SeriesIndex::LabelNames(std::span<const Matcher> matchers) const {
  std::vector<std::string> names;
  std::shared_lock lock(mutex_);
  if (matchers.empty()) {
    for (const NameEntry& entry : names_) {
      if (!entry.all.empty()) names.emplace_back(symbols_.Lookup(entry.name_id));
    }
  } else {
    std::vector<SeriesRef> selected;
    SelectLocked(matchers, &selected);
    if (selected.size() < names_.size()) {
      std::vector<uint32_t> name_ids;
      for (SeriesRef ref : selected) {
        const std::span<const uint32_t> ids = SeriesIds(series_[ref]);
        for (size_t i = 0; i + 1 < ids.size(); i += 2) name_ids.push_back(ids[i]);
      }
      std::sort(name_ids.begin(), name_ids.end());
      name_ids.erase(std::unique(name_ids.begin(), name_ids.end()), name_ids.end());
      for (uint32_t id : name_ids) names.emplace_back(symbols_.Lookup(id));
    } else {
      for (const NameEntry& entry : names_) {
        if (PostingsIntersect(std::span<const SeriesRef>(selected), std::span<const SeriesRef>(entry.all))) {
          names.emplace_back(symbols_.Lookup(entry.name_id));
        }
      }
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> SeriesIndex::LabelValues(std::string_view name,
                                                  std::span<const Matcher> matchers) const {
  std::vector<std::string> values;
  std::shared_lock lock(mutex_);
  const NameEntry* entry = FindName(name);
  if (entry == nullptr) return values;
  if (matchers.empty()) {
    for (const ValueEntry& value : entry->values) {
      if (value.size() != 0) values.emplace_back(symbols_.Lookup(value.value_id()));
    }
  } else {
    std::vector<SeriesRef> selected;
    SelectLocked(matchers, &selected);
    if (selected.size() < entry->live_values) {
      std::vector<uint32_t> value_ids;
      for (SeriesRef ref : selected) {
        const uint32_t id = ValueIdOf(ref, entry->name_id);
        if (id != kNoId) value_ids.push_back(id);
      }
      std::sort(value_ids.begin(), value_ids.end());
      value_ids.erase(std::unique(value_ids.begin(), value_ids.end()), value_ids.end());
      for (uint32_t id : value_ids) values.emplace_back(symbols_.Lookup(id));
    } else {
      for (const ValueEntry& value : entry->values) {
        if (PostingsIntersect(std::span<const SeriesRef>(selected), value.refs())) {
          values.emplace_back(symbols_.Lookup(value.value_id()));
        }
      }
    }
  }
  std::sort(values.begin(), values.end());
  return values;
}

// ---- SeriesIndex: statistics ------------------------------------------------------

namespace {

// Keeps the `top_n` largest counts; ties broken by name ascending.
void CutToTopN(std::vector<IndexStatEntry>* entries, size_t top_n) {
  auto better = [](const IndexStatEntry& a, const IndexStatEntry& b) {
    return a.count != b.count ? a.count > b.count : a.name < b.name;
  };
  if (entries->size() > top_n) {
    std::partial_sort(entries->begin(), entries->begin() + static_cast<std::ptrdiff_t>(top_n),
                      entries->end(), better);
    entries->resize(top_n);
  } else {
    std::sort(entries->begin(), entries->end(), better);
  }
}

}  // namespace

IndexStats SeriesIndex::Stats(size_t top_n) const {
  IndexStats stats;
  std::shared_lock lock(mutex_);
  stats.num_series = all_refs_.size();
  // Pairs are ranked as views first so that only the winners become strings.
  struct PairRank {
    uint64_t count;
    std::string_view name;
    std::string_view value;
  };
  std::vector<PairRank> pairs;
  for (const NameEntry& entry : names_) {
    if (entry.all.empty()) continue;
    const std::string_view name = symbols_.Lookup(entry.name_id);
    stats.series_count_by_label_name.push_back({std::string(name), entry.all.size()});
    stats.label_value_count_by_label_name.push_back({std::string(name), entry.live_values});
    const bool is_metric_name = name == kMetricNameLabel;
    for (const ValueEntry& value : entry.values) {
      if (value.size() == 0) continue;
      ++stats.num_label_pairs;
      const std::string_view text = symbols_.Lookup(value.value_id());
      pairs.push_back({value.size(), name, text});
      if (is_metric_name) stats.series_count_by_metric_name.push_back({std::string(text), value.size()});
    }
  }
  auto better = [](const PairRank& a, const PairRank& b) {
    if (a.count != b.count) return a.count > b.count;
    return a.name != b.name ? a.name < b.name : a.value < b.value;
  };
  const size_t keep = std::min(top_n, pairs.size());
  std::partial_sort(pairs.begin(), pairs.begin() + static_cast<std::ptrdiff_t>(keep), pairs.end(), better);
  for (size_t i = 0; i < keep; ++i) {
    std::string text(pairs[i].name);
    text.push_back('=');
    text.append(pairs[i].value);
    stats.series_count_by_label_value_pair.push_back({std::move(text), pairs[i].count});
  }
  CutToTopN(&stats.series_count_by_metric_name, top_n);
  CutToTopN(&stats.series_count_by_label_name, top_n);
  CutToTopN(&stats.label_value_count_by_label_name, top_n);
  return stats;
}

size_t SeriesIndex::MemoryBytes() const {
  std::shared_lock lock(mutex_);
  size_t bytes = symbols_.MemoryBytes() + series_.capacity() * sizeof(SeriesRecord) +
                 ids_->MemoryBytes() + by_hash_.MemoryBytes() + all_refs_.capacity() * sizeof(SeriesRef) +
                 names_.capacity() * sizeof(NameEntry);
  // unordered_map: a node (next pointer + pair + cached-hash slack) and a bucket.
  bytes += name_slot_.size() * 32 + name_slot_.bucket_count() * sizeof(void*);
  for (const NameEntry& entry : names_) {
    bytes += entry.all.capacity() * sizeof(SeriesRef) + entry.values.capacity() * sizeof(ValueEntry) +
             entry.value_slot.MemoryBytes();
    for (const ValueEntry& value : entry.values) bytes += value.HeapBytes();
  }
  return bytes;
}

}  // namespace vigil::tsdb
