#include "logstore/entry_codec.h"

#include <cstring>
#include <unordered_map>

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
  if (in.size() >= 2 && in[0] == 0) {  // versioned: decode as rows
    RowBatch batch;
    Status s = DecodeRowBatch(in, &batch);
    for (LogEntry& e : batch.ToEntries()) out->push_back(std::move(e));
    return s;
  }
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

// ---- Version 2: a field-name table per record ----

namespace {

constexpr char kVersionedMarker = 0;  // a version 1 record never starts with 0 and has more bytes
constexpr char kVersionNameTable = 2;

// Assigns each distinct field name of a batch an index, in order of first
// use. Names of a batch are mostly the same stored copies in the same order
// row after row, so the name at a row's i-th position is first checked
// against the previous row's i-th name by pointer; only misses hash the text.
class NameIndexer {
 public:
  uint32_t Index(size_t position, std::string_view name) {
    if (position < last_at_position_.size()) {
      const uint32_t guess = last_at_position_[position];
      if (names_[guess].data() == name.data() && names_[guess].size() == name.size()) return guess;
    } else {
      last_at_position_.resize(position + 1, 0);
    }
    auto [it, inserted] = by_text_.try_emplace(name, static_cast<uint32_t>(names_.size()));
    if (inserted) names_.push_back(name);
    names_[it->second] = name;  // the pointer the next guess compares with
    last_at_position_[position] = it->second;
    return it->second;
  }
  const std::vector<std::string_view>& names() const { return names_; }

 private:
  std::vector<std::string_view> names_;
  std::vector<uint32_t> last_at_position_;
  std::unordered_map<std::string_view, uint32_t> by_text_;
};

char* PutBytes(char* p, std::string_view s) {
  p = EncodeVarint64(p, s.size());
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

Status DecodeNameTableRecord(std::string_view in, RowBatch* out) {
  auto bad = [] { return Status::Corruption("malformed log entries record (version 2)"); };
  auto get_view = [](std::string_view* in, std::string_view* v) {
    uint64_t n = 0;
    if (!GetVarint64(in, &n) || n > in->size()) return false;
    *v = in->substr(0, n);
    in->remove_prefix(n);
    return true;
  };
  uint64_t count = 0;
  if (!GetCount(&in, &count)) return bad();
  std::vector<uint32_t> streams(count);
  StreamLabels labels;
  for (uint32_t& stream : streams) {
    uint64_t n = 0;
    if (!GetCount(&in, &n)) return bad();
    labels.resize(n);
    for (auto& [name, value] : labels)
      if (!GetString(&in, &name) || !GetString(&in, &value)) return bad();
    stream = out->StreamIndex(labels);
  }
  if (!GetCount(&in, &count)) return bad();
  std::vector<std::string_view> names(count);
  for (std::string_view& name : names) {
    if (!get_view(&in, &name)) return bad();
    name = out->InternName(name);
  }
  uint64_t rows = 0;
  if (!GetCount(&in, &rows)) return bad();
  int64_t time_ns = 0;
  for (uint64_t i = 0; i < rows; ++i) {
    uint64_t delta = 0;
    uint64_t stream = 0;
    uint64_t fields = 0;
    if (!GetVarint64(&in, &delta) || !GetVarint64(&in, &stream) || stream >= streams.size() ||
        !GetCount(&in, &fields))
      return bad();
    // Wrapping arithmetic: the encoder's deltas wrap the same way.
    time_ns = static_cast<int64_t>(static_cast<uint64_t>(time_ns) + static_cast<uint64_t>(ZigZagDecode64(delta)));
    out->BeginRow(time_ns, streams[stream]);
    for (uint64_t f = 0; f < fields; ++f) {
      uint64_t name = 0;
      std::string_view value;
      if (!GetVarint64(&in, &name) || name >= names.size() || !get_view(&in, &value)) return bad();
      out->AddFieldStaticName(names[name], value);
    }
  }
  if (!in.empty()) return bad();
  return Status::Ok();
}

// Version 1 (EncodeEntries' layout): every row spells its labels and names.
Status DecodeVersion1(std::string_view in, RowBatch* out) {
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

}  // namespace

void EncodeRowBatch(const RowBatch& batch, std::string* out) {
  // Rows first (into a scratch buffer sized for the worst case), since the
  // name table that precedes them is complete only after the last row.
  size_t worst = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    worst += 3 * kMaxVarint64Bytes;
    for (const FieldRef& f : batch.row(i).fields) worst += 2 * kMaxVarint64Bytes + f.value.size();
  }
  std::string rows;
  rows.resize(worst);
  NameIndexer names;
  char* p = rows.data();
  int64_t previous_time = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    const RowRef row = batch.row(i);
    const int64_t delta =
        static_cast<int64_t>(static_cast<uint64_t>(row.time_ns) - static_cast<uint64_t>(previous_time));
    previous_time = row.time_ns;
    p = EncodeVarint64(p, ZigZagEncode64(delta));
    p = EncodeVarint64(p, batch.stream_of(i));
    p = EncodeVarint64(p, row.fields.size());
    for (size_t f = 0; f < row.fields.size(); ++f) {
      p = EncodeVarint64(p, names.Index(f, row.fields[f].name));
      p = PutBytes(p, row.fields[f].value);
    }
  }
  rows.resize(static_cast<size_t>(p - rows.data()));

  out->push_back(kVersionedMarker);
  out->push_back(kVersionNameTable);
  PutVarint64(out, batch.streams());
  for (uint32_t s = 0; s < batch.streams(); ++s) {
    PutVarint64(out, batch.stream(s).size());
    for (const auto& [name, value] : batch.stream(s)) {
      PutString(out, name);
      PutString(out, value);
    }
  }
  PutVarint64(out, names.names().size());
  for (std::string_view name : names.names()) PutString(out, name);
  PutVarint64(out, batch.size());
  out->append(rows);
}

Status DecodeRowBatch(std::string_view in, RowBatch* out) {
  if (in.size() >= 2 && in[0] == kVersionedMarker) {
    if (in[1] != kVersionNameTable)
      return Status::Corruption("log entries record of unknown version " +
                                std::to_string(static_cast<unsigned char>(in[1])));
    return DecodeNameTableRecord(in.substr(2), out);
  }
  return DecodeVersion1(in, out);
}

}  // namespace vigil::logstore
