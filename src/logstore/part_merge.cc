#include "logstore/part_merge.h"

#include <map>
#include <string>
#include <vector>

#include "base/log.h"

namespace vigil::logstore {
namespace {

// Reads a time-ordered run of one stream's blocks of one part, a row at a time.
class RunCursor {
 public:
  RunCursor(const Part* part, std::vector<const BlockMeta*> blocks) : part_(part), blocks_(std::move(blocks)) {}

  // Decodes the next block that decodes; false when the run is exhausted.
  // The finished block is handed to *retired (rows already taken from it
  // may still be referenced). Maps the new block's columns through
  // `column_index`, which gives an output column for a name.
  template <typename ColumnIndexFn>
  bool NextBlock(std::vector<std::unique_ptr<DecodedBlock>>* retired, uint64_t* corrupt_blocks,
                 ColumnIndexFn&& column_index) {
    if (current_) retired->push_back(std::move(current_));
    while (next_ < blocks_.size()) {
      auto block = std::make_unique<DecodedBlock>();
      const BlockMeta& meta = *blocks_[next_++];
      if (Status s = part_->Decode(meta, {}, nullptr, {}, block.get()); !s.ok()) {
        ++*corrupt_blocks;
        VLOG_WARN("dropping corrupt log block while merging", {{"error", s.message()}});
        continue;
      }
      current_ = std::move(block);
      row_ = 0;
      output_column_.clear();
      for (const ColumnView& c : current_->view().columns) output_column_.push_back(column_index(c.name));
      return true;
    }
    return false;
  }

  bool has_row() const { return current_ && row_ < current_->view().rows(); }
  int64_t time() const { return current_->view().timestamps[row_]; }
  const BlockView& view() const { return current_->view(); }
  size_t row() const { return row_; }
  // Output column of the current block's k-th column.
  size_t output_column(size_t k) const { return output_column_[k]; }
  void Advance() { ++row_; }

 private:
  const Part* part_;
  std::vector<const BlockMeta*> blocks_;
  size_t next_ = 0;
  std::unique_ptr<DecodedBlock> current_;
  size_t row_ = 0;
  std::vector<size_t> output_column_;
};

// The output block being assembled: values point into decoded input blocks.
class BlockAssembler {
 public:
  // The output column for `name`, created if new (names stay valid: map keys).
  size_t ColumnIndex(std::string_view name) {
    auto it = index_.find(name);
    if (it == index_.end()) {
      it = index_.emplace(std::string(name), columns_.size()).first;
      columns_.push_back(ColumnView{it->first, {}});
      used_.push_back(false);
    }
    return it->second;
  }

  // Appends the cursor's current row.
  void AddRow(const RunCursor& c) {
    const size_t n = timestamps_.size();
    timestamps_.push_back(c.time());
    const BlockView& v = c.view();
    for (size_t k = 0; k < v.columns.size(); ++k) {
      const std::string_view value = v.columns[k].values[c.row()];
      if (value.empty()) continue;
      const size_t col = c.output_column(k);
      auto& values = columns_[col].values;
      if (values.size() < n + 1) values.resize(n + 1);
      values[n] = value;
      raw_bytes_ += columns_[col].name.size() + value.size();
      used_[col] = true;
    }
  }

  bool full() const { return timestamps_.size() >= kMaxBlockRows || raw_bytes_ >= kMaxBlockRawBytes; }
  bool empty() const { return timestamps_.empty(); }

  // Encodes the block into `out` and starts an empty one.
  void Emit(const StreamLabels& labels, PartBuilder* out) {
    std::vector<ColumnView> used;
    std::vector<size_t> from;
    for (size_t c = 0; c < columns_.size(); ++c) {
      if (!used_[c]) continue;
      columns_[c].values.resize(timestamps_.size());
      used.push_back(ColumnView{columns_[c].name, std::move(columns_[c].values)});
      from.push_back(c);
    }
    out->AddBlock(labels, timestamps_, used);
    for (size_t i = 0; i < used.size(); ++i) columns_[from[i]].values = std::move(used[i].values);
    for (size_t c = 0; c < columns_.size(); ++c) {
      columns_[c].values.clear();
      used_[c] = false;
    }
    timestamps_.clear();
    raw_bytes_ = 0;
  }

 private:
  std::map<std::string, size_t, std::less<>> index_;
  std::vector<ColumnView> columns_;
  std::vector<bool> used_;
  std::vector<int64_t> timestamps_;
  size_t raw_bytes_ = 0;
};

// Splits a part's blocks of one stream into runs in which each block starts
// no earlier than the previous one ends (one run for parts this store wrote).
void AddRuns(const Part* part, uint64_t stream_id, std::vector<RunCursor>* cursors) {
  std::vector<const BlockMeta*> run;
  for (const BlockMeta& b : part->blocks()) {
    if (b.stream_id != stream_id) continue;
    if (!run.empty() && b.min_time_ns < run.back()->max_time_ns) {
      cursors->emplace_back(part, std::move(run));
      run.clear();
    }
    run.push_back(&b);
  }
  if (!run.empty()) cursors->emplace_back(part, std::move(run));
}

}  // namespace

void MergeParts(std::span<const std::shared_ptr<Part>> inputs, PartBuilder* out, uint64_t* corrupt_blocks) {
  std::map<uint64_t, const StreamLabels*> stream_ids;
  for (const auto& part : inputs)
    for (const auto& [id, labels] : part->streams()) stream_ids.emplace(id, &labels);
  for (const auto& [id, labels] : stream_ids) {
    std::vector<RunCursor> cursors;
    for (const auto& part : inputs) AddRuns(part.get(), id, &cursors);
    BlockAssembler block;
    std::vector<std::unique_ptr<DecodedBlock>> retired;
    auto column_index = [&](std::string_view name) { return block.ColumnIndex(name); };
    for (auto& c : cursors) c.NextBlock(&retired, corrupt_blocks, column_index);
    while (true) {
      // The earliest row among the cursors; ties go to the earlier cursor.
      RunCursor* next = nullptr;
      for (auto& c : cursors)
        if (c.has_row() && (next == nullptr || c.time() < next->time())) next = &c;
      if (next == nullptr) break;
      block.AddRow(*next);
      next->Advance();
      if (!next->has_row()) next->NextBlock(&retired, corrupt_blocks, column_index);
      if (block.full()) {
        block.Emit(*labels, out);
        retired.clear();
      }
    }
    if (!block.empty()) block.Emit(*labels, out);
  }
}

}  // namespace vigil::logstore
