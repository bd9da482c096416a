#pragma once
// LogsQL filters as an evaluable tree. A filter narrows a bitmap of candidate
// rows of a batch (a store block or rows produced by pipes) column by column:
// each field filter fetches its column once and tests only the rows still set.
// Filters are immutable after parsing; Apply is const and safe from many
// threads as long as each thread uses its own ColumnSource and Bitmap.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "logstore/reader.h"
#include "logstore/row.h"

namespace vigil::logsql {

// One bit per row of a batch.
class Bitmap {
 public:
  // A bitmap of `rows` bits, all set when `set` is true.
  explicit Bitmap(size_t rows = 0, bool set = true);
  size_t size() const { return rows_; }
  bool Get(size_t i) const { return (words_[i >> 6] >> (i & 63)) & 1; }
  void Set(size_t i) { words_[i >> 6] |= uint64_t{1} << (i & 63); }
  void Clear(size_t i) { words_[i >> 6] &= ~(uint64_t{1} << (i & 63)); }
  bool Any() const;
  size_t Count() const;
  // this &= other / this |= other / this &= ~other. REQUIRES: same size().
  void And(const Bitmap& other);
  void Or(const Bitmap& other);
  void AndNot(const Bitmap& other);
  // Calls fn(i) for every set bit in increasing order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (size_t w = 0; w < words_.size(); ++w) {
      uint64_t bits = words_[w];
      while (bits != 0) {
        fn(w * 64 + static_cast<size_t>(__builtin_ctzll(bits)));
        bits &= bits - 1;
      }
    }
  }

 private:
  size_t rows_;
  std::vector<uint64_t> words_;
};

// The values of one field over a batch: either a per-row vector or one
// constant for every row ("" = the field is absent).
struct Column {
  const std::vector<std::string_view>* values = nullptr;
  std::string_view constant;
  std::string_view at(size_t i) const { return values != nullptr ? (*values)[i] : constant; }
  bool is_constant() const { return values == nullptr; }
};

// Where filters read a batch's values from. Not thread-safe (it caches).
class ColumnSource {
 public:
  explicit ColumnSource(int64_t now_ns) : now_ns_(now_ns) {}
  virtual ~ColumnSource() = default;
  // The number of rows in the batch.
  virtual size_t rows() const = 0;
  // The values of field `name`; valid for the lifetime of the source.
  virtual Column Get(std::string_view name) = 0;
  // The row's `_time` in nanoseconds, nullopt when the row has none.
  virtual std::optional<int64_t> Time(size_t row) = 0;
  // The stream shared by every row of the batch, or nullptr when rows may
  // come from several streams (or the stream is unknown).
  virtual const logstore::StreamLabels* BatchStream() const = 0;
  // `now` for relative time filters (`_time:5m`).
  int64_t now_ns() const { return now_ns_; }

 private:
  int64_t now_ns_;
};

// A node of the filter tree.
class Filter {
 public:
  virtual ~Filter() = default;
  // Clears in `rows` the bits of rows that do not match. REQUIRES:
  // rows->size() == src.rows().
  virtual void Apply(ColumnSource& src, Bitmap* rows) const = 0;
  // Appends the canonical LogsQL text of the filter.
  virtual void AppendString(std::string* out) const = 0;
  // Adds to `out` the words that every matching row must hold in one field,
  // when this filter requires them (case-sensitive word, phrase, exact...).
  virtual void CollectRequiredTokens(std::vector<logstore::RequiredTokens>* /*out*/) const {}
  // Narrows [*min_ns, *max_ns] to the time range every match lies in, when
  // the filter constrains `_time` on every path (time filters, AND).
  virtual void NarrowTimeRange(int64_t /*now_ns*/, int64_t* /*min_ns*/, int64_t* /*max_ns*/) const {}
  // Adds stream predicates every match must satisfy (stream filters, AND).
  virtual void CollectStreamFilters(std::vector<const Filter*>* /*out*/) const {}
  // Adds every field name the filter reads (any branch, NOT included).
  virtual void CollectFields(std::vector<std::string>* /*out*/) const {}
  // For stream filters: whether `labels` match. Others: true.
  virtual bool MatchesStream(const logstore::StreamLabels& /*labels*/) const { return true; }
};

using FilterPtr = std::unique_ptr<Filter>;

// Builders of every filter kind; the parser and tests use them.
FilterPtr MakeMatchAll();
FilterPtr MakeAnd(std::vector<FilterPtr> children);
FilterPtr MakeOr(std::vector<FilterPtr> children);
FilterPtr MakeNot(FilterPtr child);

}  // namespace vigil::logsql
