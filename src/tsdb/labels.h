#pragma once
// Label sets (the identity of a series), their builder and validation, a
// stable 64-bit hash, and a SymbolTable that interns strings for the index.
//
// Prometheus semantics: a series is a set of (name, value) pairs sorted by
// name, the metric name being the value of `__name__`. An empty value means
// the label is absent, so a Labels never holds one.

#include <compare>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/go_format.h"
#include "base/hash.h"
#include "base/status.h"

namespace vigil::tsdb {

// The label that holds the metric name.
inline constexpr std::string_view kMetricNameLabel = "__name__";

// Hash64 (base/hash.h) hashes label encodings.
using vigil::Hash64;

// One (name, value) pair. Views into the Labels it came from.
struct Label {
  std::string_view name;
  std::string_view value;
};

// An immutable, sorted set of labels with unique names and non-empty values,
// stored compactly in one buffer (32 bytes plus the encoded pairs).
// Build one with LabelsBuilder or Labels::FromPairs.
// Thread-safety: immutable once built; any number of threads may read it.
class Labels {
 public:
  // Forward iterator over the pairs in name order. The yielded views stay
  // valid while the Labels lives and is not assigned to.
  class Iterator {
   public:
    using value_type = Label;
    using difference_type = std::ptrdiff_t;
    Iterator() = default;
    Label operator*() const { return current_; }
    Iterator& operator++();
    Iterator operator++(int) {
      Iterator copy = *this;
      ++*this;
      return copy;
    }
    bool operator==(const Iterator& other) const { return pos_ == other.pos_; }

   private:
    friend class Labels;
    Iterator(const char* pos, const char* end);
    void Decode();
    const char* pos_ = nullptr;
    const char* next_ = nullptr;
    const char* end_ = nullptr;
    Label current_;
  };

  // The empty label set.
  Labels() = default;

  // Builds a label set from pairs in any order: sorted by name, a name given
  // twice keeps its last value, pairs with an empty value are dropped.
  static Labels FromPairs(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs);

  Iterator begin() const { return Iterator(data_.data(), data_.data() + data_.size()); }
  Iterator end() const { return Iterator(data_.data() + data_.size(), data_.data() + data_.size()); }

  // Number of pairs. O(number of pairs).
  size_t size() const;
  bool empty() const { return data_.empty(); }

  // The value of label `name`, or "" when absent (Prometheus semantics).
  std::string_view Get(std::string_view name) const;
  // Whether label `name` is present.
  bool Has(std::string_view name) const;
  // Shorthand for Get("__name__").
  std::string_view MetricName() const { return Get(kMetricNameLabel); }

  // Hash64 of the canonical encoding: equal label sets hash equal, on every
  // host and run.
  uint64_t Hash() const { return Hash64(data_); }

  // `name{a="1", b="2"}` as Prometheus prints a metric: the metric name (if
  // any) outside the braces, values quoted with `\\`, `\"`, `\n` escaped.
  // A set with only a name prints as `name`; the empty set as `{}`.
  std::string ToString() const;

  // Bytes of the encoded pairs (excludes the object itself).
  size_t EncodedSize() const { return data_.size(); }

  // Prometheus order: compares pair by pair (name, then value); a set that
  // is a prefix of the other sorts first.
  static int Compare(const Labels& a, const Labels& b);
  friend bool operator==(const Labels& a, const Labels& b) { return a.data_ == b.data_; }
  friend std::strong_ordering operator<=>(const Labels& a, const Labels& b) {
    return Compare(a, b) <=> 0;
  }

 private:
  friend class LabelsBuilder;
  // Each pair is: varint(len(name)) name varint(len(value)) value. Canonical:
  // one encoding per label set, so equality is a byte comparison.
  std::string data_;
};

// Accumulates labels in any order and produces a canonical Labels.
// Thread-compatible: one builder per thread.
class LabelsBuilder {
 public:
  LabelsBuilder() = default;
  // Starts from the pairs of `base`.
  explicit LabelsBuilder(const Labels& base) { Reset(base); }

  // Forgets everything and starts from the pairs of `base`.
  void Reset(const Labels& base = Labels());
  // Sets `name` to `value`, replacing an earlier value. An empty value
  // removes the label (Prometheus: empty means absent).
  LabelsBuilder& Set(std::string_view name, std::string_view value);
  // Removes label `name` if present.
  LabelsBuilder& Del(std::string_view name);
  // The current value of `name`, or "" when absent.
  std::string_view Get(std::string_view name) const;
  // The canonical label set: sorted by name, without empty values.
  // The builder keeps its contents and may be used again.
  Labels Build() const;

 private:
  std::vector<std::pair<std::string, std::string>> pairs_;  // unique names
};

// Whether `name` matches [a-zA-Z_][a-zA-Z0-9_]*.
bool IsValidLabelName(std::string_view name);
// Whether `name` matches [a-zA-Z_:][a-zA-Z0-9_:]*.
bool IsValidMetricName(std::string_view name);
// Whether `s` is well-formed UTF-8 (no overlong forms, surrogates or code
// points above U+10FFFF).
bool IsValidUtf8(std::string_view s);

// AppendQuoted (base/go_format.h) quotes label values in text output.
using vigil::AppendQuoted;

// OK when every name is a valid label name, `__name__` (if present) is a
// valid metric name and every value is valid UTF-8; otherwise InvalidArgument
// naming the offending label.
Status ValidateLabels(const Labels& labels);

namespace internal {

// An open-addressing (linear probing) table of uint32 indices into storage
// the caller owns, keyed by a 32-bit hash of the stored element. Callers pass
// an equality callback `eq(index) -> bool` to resolve hash collisions, so the
// table costs 8 bytes per slot whatever the key type. Erase shifts entries
// back instead of leaving tombstones.
// Thread-compatible: const methods may run concurrently with each other only.
class HashSlotTable {
 public:
  static constexpr uint32_t kNotFound = UINT32_MAX;

  // The index whose hash is `hash` and for which `eq(index)` holds, or kNotFound.
  template <typename Eq>
  uint32_t Find(uint32_t hash, Eq&& eq) const {
    if (slots_.empty()) return kNotFound;
    const size_t mask = slots_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.index_plus_one == 0) return kNotFound;
      if (s.hash == hash && eq(s.index_plus_one - 1)) return s.index_plus_one - 1;
    }
  }

  // Adds `index` under `hash`.
  // REQUIRES: no entry equal to `index` is present; index < kNotFound.
  void Insert(uint32_t hash, uint32_t index);

  // Removes the entry found as Find(hash, eq) would; returns whether one was.
  template <typename Eq>
  bool Erase(uint32_t hash, Eq&& eq) {
    if (slots_.empty()) return false;
    const size_t mask = slots_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.index_plus_one == 0) return false;
      if (s.hash == hash && eq(s.index_plus_one - 1)) {
        EraseSlot(i);
        return true;
      }
    }
  }

  size_t size() const { return used_; }
  // Heap bytes held.
  size_t MemoryBytes() const { return slots_.capacity() * sizeof(Slot); }

 private:
  struct Slot {
    uint32_t hash = 0;
    uint32_t index_plus_one = 0;  // 0 marks an empty slot
  };
  void EraseSlot(size_t i);
  void Grow();

  std::vector<Slot> slots_;  // size is 0 or a power of two
  size_t used_ = 0;
};

}  // namespace internal

// Interns strings: each distinct string is stored once and gets a dense
// uint32 id. The bytes never move, so views returned by Lookup stay valid for
// the table's lifetime. Strings are never removed.
// Thread-compatible: const methods may run concurrently with each other;
// Intern needs exclusive access (the SeriesIndex holds its lock for writing).
class SymbolTable {
 public:
  static constexpr uint32_t kNotFound = UINT32_MAX;

  SymbolTable() = default;
  SymbolTable(const SymbolTable&) = delete;
  SymbolTable& operator=(const SymbolTable&) = delete;

  // The id of `s`, adding it if new. Ids are assigned 0, 1, 2, ...
  uint32_t Intern(std::string_view s);
  // The id of `s`, or kNotFound.
  uint32_t Find(std::string_view s) const;
  // The string with id `id`, valid for the table's lifetime.
  // REQUIRES: id < size().
  std::string_view Lookup(uint32_t id) const { return strings_[id]; }
  // Number of distinct strings.
  size_t size() const { return strings_.size(); }
  // Heap bytes held (arena, views and hash table).
  size_t MemoryBytes() const;

 private:
  // String bytes live in fixed blocks so that views into them stay valid.
  static constexpr size_t kBlockSize = 64 * 1024;
  const char* Store(std::string_view s);

  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t arena_bytes_ = 0;      // total bytes of all blocks
  size_t block_used_ = 0;       // bytes used in the current (last normal) block
  char* block_ = nullptr;       // current block, or null
  std::vector<std::string_view> strings_;  // by id
  internal::HashSlotTable table_;
};

}  // namespace vigil::tsdb
