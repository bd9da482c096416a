#pragma once
// RowBatch: log rows whose names and values live in one arena owned by the
// batch, the form in which rows travel from an ingester through the WAL into
// the head without a heap string per field. The head keeps the batch alive
// and points at its fields; a flush encodes them straight into a part.

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "logstore/row.h"

namespace vigil::logstore {

// One name/value pair pointing into storage owned elsewhere (a RowBatch).
struct FieldRef {
  std::string_view name;
  std::string_view value;
};

// A row whose fields live elsewhere: the unit the head sorts and the part
// encoder reads. Fields are normalized (no empty values, names unique).
struct RowRef {
  int64_t time_ns = 0;
  std::span<const FieldRef> fields;
};

// Bytes copied into the arena: names, values and stream labels. Chunks grow
// from small (a one-row batch stays small) up to kMaxChunk.
class ByteArena {
 public:
  // A copy of `s` that stays valid, at the same address, while the arena lives.
  std::string_view Copy(std::string_view s);
  // Bytes handed out so far.
  uint64_t bytes() const { return bytes_; }

 private:
  static constexpr size_t kMinChunk = 256;
  static constexpr size_t kMaxChunk = size_t{64} << 10;
  std::vector<std::unique_ptr<char[]>> chunks_;
  char* next_ = nullptr;
  size_t left_ = 0;
  size_t last_chunk_ = 0;
  uint64_t bytes_ = 0;
};

// Not thread-safe. Building: BeginRow, then AddField* for that row; rows of a
// batch may belong to different streams. Once handed to a store the batch is
// never modified again, so RowRefs into it stay valid while it lives.
// Copied field names come from a process-wide pool (bounded: 100,000 names,
// 8 MiB; past it a batch keeps its own copies), so equal names of different
// batches usually share one address and later stages compare them by pointer.
class RowBatch {
 public:
  RowBatch() = default;
  RowBatch(RowBatch&&) = default;
  RowBatch& operator=(RowBatch&&) = default;
  RowBatch(const RowBatch&) = delete;
  RowBatch& operator=(const RowBatch&) = delete;

  // The index of `labels` among the batch's streams, added if new.
  // REQUIRES: labels sorted by name, names unique.
  uint32_t StreamIndex(const StreamLabels& labels);
  // Starts a row of stream `stream` (a StreamIndex result) at `time_ns`.
  void BeginRow(int64_t time_ns, uint32_t stream);
  // Adds a field to the current row, copying name and value into the arena.
  // An empty value is dropped (absent field); a repeated name replaces the
  // earlier value. REQUIRES: BeginRow was called.
  void AddField(std::string_view name, std::string_view value);
  // AddField for a name that outlives the batch (a string literal or a
  // constant): the name is not copied. REQUIRES: as AddField.
  void AddFieldStaticName(std::string_view name, std::string_view value);
  // A copy of `name` kept by the batch (one per distinct name), valid while
  // the batch lives, moves included: AddFieldStaticName accepts it.
  std::string_view InternName(std::string_view name);
  // Removes the current row (a row found unstorable while building it).
  // REQUIRES: BeginRow was called and no later row exists.
  void DropLastRow();
  // Makes room for `rows` more rows and `fields` more fields without
  // reallocation (a decoder's estimate; only a hint, never a bound).
  void Reserve(size_t rows, size_t fields) {
    rows_.reserve(rows_.size() + rows);
    fields_.reserve(fields_.size() + fields);
  }
  // Appends `entry` as one row (normalized as AddField does).
  void AddEntry(const LogEntry& entry);
  // Drops the rows for which drop(time_ns) is true; returns how many.
  template <typename Pred>
  size_t RemoveRowsIf(Pred&& drop);

  size_t size() const { return rows_.size(); }
  bool empty() const { return rows_.empty(); }
  // The row `i` (fields in insertion order).
  RowRef row(size_t i) const {
    const RowMeta& m = rows_[i];
    return RowRef{m.time_ns, std::span<const FieldRef>(fields_).subspan(m.first_field, m.fields)};
  }
  // The stream index of row `i`.
  uint32_t stream_of(size_t i) const { return rows_[i].stream; }
  // The labels of stream index `s`.
  const StreamLabels& stream(uint32_t s) const { return streams_[s]; }
  size_t streams() const { return streams_.size(); }
  // Bytes of names and values copied into the arena plus per-field overhead:
  // what the batch costs in memory, roughly.
  uint64_t bytes() const { return arena_.bytes() + fields_.size() * sizeof(FieldRef) + rows_.size() * sizeof(RowMeta); }

  // The rows as LogEntry values (tests, and callers of the LogEntry API).
  std::vector<LogEntry> ToEntries() const;

 private:
  struct RowMeta {
    int64_t time_ns;
    uint32_t stream;
    uint32_t first_field;
    uint32_t fields;
    uint64_t name_mask;  // bit per name hash of the row's fields: cheap "may repeat"
  };
  void Append(std::string_view stored_name, std::string_view value);

  ByteArena arena_;
  std::vector<RowMeta> rows_;
  std::vector<FieldRef> fields_;
  std::vector<StreamLabels> streams_;
  std::map<StreamLabels, uint32_t> stream_index_;
  std::unordered_map<std::string_view, std::string_view> names_;  // interned copies
};

template <typename Pred>
size_t RowBatch::RemoveRowsIf(Pred&& drop) {
  const size_t before = rows_.size();
  std::erase_if(rows_, [&](const RowMeta& m) { return drop(m.time_ns); });
  return before - rows_.size();
}

}  // namespace vigil::logstore
