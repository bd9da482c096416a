#pragma once
// The two ColumnSources filters read from: a store block (columnar, one
// stream) and a batch of result rows (for `| filter` and `if (...)`).

#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "logsql/filter.h"
#include "logsql/pipe.h"
#include "logstore/block_view.h"

namespace vigil::logsql {

// Reads a BlockView's columns directly; `_time`, `_stream` and `_stream_id`
// are synthesised. REQUIRES: the block outlives the source.
class BlockSource final : public ColumnSource {
 public:
  BlockSource(const logstore::BlockView& block, int64_t now_ns) : ColumnSource(now_ns), block_(block) {}
  size_t rows() const override { return block_.rows(); }
  Column Get(std::string_view name) override;
  std::optional<int64_t> Time(size_t row) override { return block_.timestamps[row]; }
  const logstore::StreamLabels* BatchStream() const override { return block_.stream_labels; }
  // `_stream_id` of the block as printed.
  const std::string& stream_id();

 private:
  const logstore::BlockView& block_;
  std::string stream_id_;
  std::unique_ptr<std::vector<std::string>> times_;
  std::unique_ptr<std::vector<std::string_view>> time_views_;
};

// Reads fields of result rows. REQUIRES: the rows outlive the source.
class RowSource final : public ColumnSource {
 public:
  RowSource(std::vector<const Row*> rows, int64_t now_ns) : ColumnSource(now_ns), rows_(std::move(rows)) {}
  size_t rows() const override { return rows_.size(); }
  Column Get(std::string_view name) override;
  // Parsed from the row's `_time` field (RFC 3339).
  std::optional<int64_t> Time(size_t row) override;
  // For a single row, its `_stream` field parsed back into labels.
  const logstore::StreamLabels* BatchStream() const override;

 private:
  std::vector<const Row*> rows_;
  std::unordered_map<std::string, std::vector<std::string_view>> columns_;
  mutable bool stream_parsed_ = false;
  mutable std::optional<logstore::StreamLabels> stream_;
};

// True when the single row `row` matches `filter`.
bool RowMatches(const Filter& filter, const Row& row, int64_t now_ns);

// Parses `{a="x",b="y"}` as FormatStream prints it. nullopt when malformed.
std::optional<logstore::StreamLabels> ParseStreamLabels(std::string_view s);

}  // namespace vigil::logsql
