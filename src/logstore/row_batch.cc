#include "logstore/row_batch.h"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <unordered_set>

namespace vigil::logstore {
namespace {

// One of 64 bits chosen by a name's length and end bytes; equal names get
// the same bit, so a row whose mask lacks the bit cannot hold the name yet.
uint64_t NameBit(std::string_view name) {
  const unsigned h = static_cast<unsigned>(name.size()) * 31u +
                     (name.empty() ? 0u : static_cast<unsigned char>(name.back()) * 7u +
                                              static_cast<unsigned char>(name[name.size() / 2]));
  return uint64_t{1} << (h & 63);
}

// Field names shared by every batch of the process: a name a batch copies
// is looked up here first, so equal names of different batches (spans of
// different requests, flushed into one block) share one pointer and the
// flush and the merge compare them by address. Names are never freed, so
// the pool is bounded (senders choose attribute keys); past the bound a
// batch keeps its own copy, as before. Thread-safe.
class SharedFieldNames {
 public:
  static constexpr size_t kMaxNames = 100'000;
  static constexpr uint64_t kMaxBytes = uint64_t{8} << 20;

  // The pooled copy of `name`, or an empty view when the pool is full.
  std::string_view Find(std::string_view name) {
    std::lock_guard lock(mu_);
    if (auto it = names_.find(name); it != names_.end()) return *it;
    if (names_.size() >= kMaxNames || arena_.bytes() + name.size() > kMaxBytes) return {};
    return *names_.insert(arena_.Copy(name)).first;
  }

 private:
  std::mutex mu_;
  ByteArena arena_;  // GUARDED_BY(mu_)
  std::unordered_set<std::string_view> names_;  // GUARDED_BY(mu_)
};

SharedFieldNames& SharedNames() {
  static auto* pool = new SharedFieldNames();  // never destroyed: batches may outlive static destruction
  return *pool;
}

}  // namespace

std::string_view ByteArena::Copy(std::string_view s) {
  if (s.empty()) return {};
  if (s.size() > left_) {
    size_t chunk = std::min(kMaxChunk, std::max(kMinChunk, last_chunk_ * 2));
    if (s.size() > chunk / 4) chunk = std::max(chunk, s.size());
    chunks_.push_back(std::make_unique_for_overwrite<char[]>(chunk));
    next_ = chunks_.back().get();
    left_ = chunk;
    last_chunk_ = chunk;
  }
  std::memcpy(next_, s.data(), s.size());
  std::string_view out(next_, s.size());
  next_ += s.size();
  left_ -= s.size();
  bytes_ += s.size();
  return out;
}

uint32_t RowBatch::StreamIndex(const StreamLabels& labels) {
  if (!streams_.empty() && streams_.back() == labels) return static_cast<uint32_t>(streams_.size() - 1);
  auto [it, inserted] = stream_index_.try_emplace(labels, static_cast<uint32_t>(streams_.size()));
  if (inserted) streams_.push_back(labels);
  return it->second;
}

void RowBatch::BeginRow(int64_t time_ns, uint32_t stream) {
  rows_.push_back(RowMeta{time_ns, stream, static_cast<uint32_t>(fields_.size()), 0, 0});
}

void RowBatch::Append(std::string_view stored_name, std::string_view value) {
  RowMeta& row = rows_.back();
  const uint64_t bit = NameBit(stored_name);
  if ((row.name_mask & bit) != 0) {
    for (uint32_t i = row.first_field; i < row.first_field + row.fields; ++i) {
      if (fields_[i].name == stored_name) {
        fields_[i].value = arena_.Copy(value);
        return;
      }
    }
  }
  row.name_mask |= bit;
  fields_.push_back(FieldRef{stored_name, arena_.Copy(value)});
  ++row.fields;
}

std::string_view RowBatch::InternName(std::string_view name) {
  auto it = names_.find(name);
  if (it == names_.end()) {
    std::string_view stored = SharedNames().Find(name);
    if (stored.empty()) stored = arena_.Copy(name);  // pool full (or an empty name)
    it = names_.emplace(stored, stored).first;
  }
  return it->second;
}

void RowBatch::AddField(std::string_view name, std::string_view value) {
  if (value.empty()) return;
  // Rows of a batch mostly repeat the previous row's names in the same
  // order: the name at this position there, when equal, is already stored,
  // and comparing it costs less than hashing `name`.
  if (rows_.size() >= 2) {
    const RowMeta& previous = rows_[rows_.size() - 2];
    const uint32_t position = rows_.back().fields;
    if (position < previous.fields) {
      const std::string_view candidate = fields_[previous.first_field + position].name;
      if (candidate == name) return Append(candidate, value);
    }
  }
  Append(InternName(name), value);
}

void RowBatch::AddFieldStaticName(std::string_view name, std::string_view value) {
  if (value.empty()) return;
  Append(name, value);
}

void RowBatch::DropLastRow() {
  fields_.resize(rows_.back().first_field);
  rows_.pop_back();
}

void RowBatch::AddEntry(const LogEntry& entry) {
  BeginRow(entry.time_ns, StreamIndex(entry.stream));
  for (const Field& f : entry.fields) AddField(f.name, f.value);
}

std::vector<LogEntry> RowBatch::ToEntries() const {
  std::vector<LogEntry> out;
  out.reserve(rows_.size());
  for (size_t i = 0; i < rows_.size(); ++i) {
    LogEntry& e = out.emplace_back();
    const RowRef r = row(i);
    e.time_ns = r.time_ns;
    e.stream = streams_[rows_[i].stream];
    for (const FieldRef& f : r.fields) e.fields.push_back(Field{std::string(f.name), std::string(f.value)});
  }
  return out;
}

}  // namespace vigil::logstore
