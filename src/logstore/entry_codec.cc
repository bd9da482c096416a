#include "logstore/entry_codec.h"

#include "base/varint.h"

namespace vigil::logstore {
namespace {

void PutString(std::string* out, std::string_view s) {
  PutVarint64(out, s.size());
  out->append(s);
}

bool GetString(std::string_view* in, std::string* out) {
  uint64_t n = 0;
  if (!GetVarint64(in, &n) || n > in->size()) return false;
  out->assign(in->substr(0, n));
  in->remove_prefix(n);
  return true;
}

// A count can be no larger than the bytes left (each element takes >= 1 byte).
bool GetCount(std::string_view* in, uint64_t* n) { return GetVarint64(in, n) && *n <= in->size(); }

}  // namespace

void EncodeEntries(const std::vector<LogEntry>& entries, std::string* out) {
  size_t bytes = 10;
  for (const auto& e : entries) {
    bytes += 20;
    for (const auto& [name, value] : e.stream) bytes += name.size() + value.size() + 4;
    for (const auto& f : e.fields) bytes += f.name.size() + f.value.size() + 4;
  }
  out->reserve(out->size() + bytes);
  PutVarint64(out, entries.size());
  for (const auto& e : entries) {
    PutVarint64(out, ZigZagEncode64(e.time_ns));
    PutVarint64(out, e.stream.size());
    for (const auto& [name, value] : e.stream) {
      PutString(out, name);
      PutString(out, value);
    }
    PutVarint64(out, e.fields.size());
    for (const auto& f : e.fields) {
      PutString(out, f.name);
      PutString(out, f.value);
    }
  }
}

Status DecodeEntries(std::string_view in, std::vector<LogEntry>* out) {
  auto bad = [] { return Status::Corruption("malformed log entries record"); };
  uint64_t n = 0;
  if (!GetCount(&in, &n)) return bad();
  for (uint64_t i = 0; i < n; ++i) {
    LogEntry e;
    uint64_t t = 0;
    uint64_t labels = 0;
    if (!GetVarint64(&in, &t) || !GetCount(&in, &labels)) return bad();
    e.time_ns = ZigZagDecode64(t);
    e.stream.resize(labels);
    for (auto& [name, value] : e.stream)
      if (!GetString(&in, &name) || !GetString(&in, &value)) return bad();
    uint64_t fields = 0;
    if (!GetCount(&in, &fields)) return bad();
    e.fields.resize(fields);
    for (auto& f : e.fields)
      if (!GetString(&in, &f.name) || !GetString(&in, &f.value)) return bad();
    out->push_back(std::move(e));
  }
  if (!in.empty()) return bad();
  return Status::Ok();
}

void EncodeRowBatch(const RowBatch& batch, std::string* out) {
  // Each stream's labels are encoded once and copied per row.
  std::vector<std::string> labels(batch.streams());
  for (uint32_t s = 0; s < batch.streams(); ++s) {
    PutVarint64(&labels[s], batch.stream(s).size());
    for (const auto& [name, value] : batch.stream(s)) {
      PutString(&labels[s], name);
      PutString(&labels[s], value);
    }
  }
  size_t bytes = 10;
  for (size_t i = 0; i < batch.size(); ++i) {
    bytes += 16 + labels[batch.stream_of(i)].size();
    for (const FieldRef& f : batch.row(i).fields) bytes += f.name.size() + f.value.size() + 4;
  }
  out->reserve(out->size() + bytes);
  PutVarint64(out, batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    const RowRef row = batch.row(i);
    PutVarint64(out, ZigZagEncode64(row.time_ns));
    out->append(labels[batch.stream_of(i)]);
    PutVarint64(out, row.fields.size());
    for (const FieldRef& f : row.fields) {
      PutString(out, f.name);
      PutString(out, f.value);
    }
  }
}

Status DecodeRowBatch(std::string_view in, RowBatch* out) {
  auto bad = [] { return Status::Corruption("malformed log entries record"); };
  auto get_view = [](std::string_view* in, std::string_view* v) {
    uint64_t n = 0;
    if (!GetVarint64(in, &n) || n > in->size()) return false;
    *v = in->substr(0, n);
    in->remove_prefix(n);
    return true;
  };
  uint64_t n = 0;
  if (!GetCount(&in, &n)) return bad();
  StreamLabels labels;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t t = 0;
    uint64_t count = 0;
    if (!GetVarint64(&in, &t) || !GetCount(&in, &count)) return bad();
    labels.resize(count);
    for (auto& [name, value] : labels)
      if (!GetString(&in, &name) || !GetString(&in, &value)) return bad();
    out->BeginRow(ZigZagDecode64(t), out->StreamIndex(labels));
    if (!GetCount(&in, &count)) return bad();
    for (uint64_t f = 0; f < count; ++f) {
      std::string_view name;
      std::string_view value;
      if (!get_view(&in, &name) || !get_view(&in, &value)) return bad();
      out->AddField(name, value);
    }
  }
  if (!in.empty()) return bad();
  return Status::Ok();
}

}  // namespace vigil::logstore
