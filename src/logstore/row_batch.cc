#include "logstore/row_batch.h"

#include <algorithm>
#include <cstring>

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

void RowBatch::AddField(std::string_view name, std::string_view value) {
  if (value.empty()) return;
  auto it = names_.find(name);
  if (it == names_.end()) {
    const std::string_view stored = arena_.Copy(name);
    it = names_.emplace(stored, stored).first;
  }
  Append(it->second, value);
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
