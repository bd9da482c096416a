#include "tsdb/labels.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace vigil::tsdb {
namespace {

// ---- Labels encoding ----------------------------------------------------------

void PutVarint(std::string* dst, size_t v) {
  while (v >= 0x80) {
    dst->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  dst->push_back(static_cast<char>(v));
}

// REQUIRES: a well-formed varint at *p (the encoding is produced by this file).
size_t GetVarint(const char** p) {
  size_t v = 0;
  int shift = 0;
  while (true) {
    const auto byte = static_cast<unsigned char>(**p);
    ++*p;
    v |= static_cast<size_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return v;
    shift += 7;
  }
}

void PutString(std::string* dst, std::string_view s) {
  PutVarint(dst, s.size());
  dst->append(s);
}

bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace



// ---- Labels -----------------------------------------------------------------

Labels::Iterator::Iterator(const char* pos, const char* end) : pos_(pos), end_(end) {
  if (pos_ != end_) Decode();
}

void Labels::Iterator::Decode() {
  const char* p = pos_;
  const size_t name_len = GetVarint(&p);
  current_.name = std::string_view(p, name_len);
  p += name_len;
  const size_t value_len = GetVarint(&p);
  current_.value = std::string_view(p, value_len);
  next_ = p + value_len;
}

Labels::Iterator& Labels::Iterator::operator++() {
  pos_ = next_;
  if (pos_ != end_) Decode();
  return *this;
}

Labels Labels::FromPairs(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs) {
  LabelsBuilder builder;
  for (const auto& [name, value] : pairs) builder.Set(name, value);
  return builder.Build();
}

size_t Labels::size() const {
  size_t n = 0;
  for (auto it = begin(); it != end(); ++it) ++n;
  return n;
}

std::string_view Labels::Get(std::string_view name) const {
  for (Label l : *this) {
    if (l.name == name) return l.value;
    if (l.name > name) break;  // sorted: it cannot come later
  }
  return {};
}

bool Labels::Has(std::string_view name) const { return !Get(name).empty(); }

std::string Labels::ToString() const {
  std::string out;
  out.reserve(data_.size() + 16);
  const std::string_view metric = MetricName();
  out.append(metric);
  bool first = true;
  for (Label l : *this) {
    if (l.name == kMetricNameLabel) continue;
    out.append(first ? "{" : ", ");
    first = false;
    out.append(l.name);
    out.push_back('=');
    AppendQuoted(&out, l.value);
  }
  if (!first) {
    out.push_back('}');
  } else if (metric.empty()) {
    out.append("{}");
  }
  return out;
}

int Labels::Compare(const Labels& a, const Labels& b) {
  auto ia = a.begin();
  auto ib = b.begin();
  const auto ea = a.end();
  const auto eb = b.end();
  for (; ia != ea && ib != eb; ++ia, ++ib) {
    const Label la = *ia;
    const Label lb = *ib;
    if (int c = la.name.compare(lb.name); c != 0) return c < 0 ? -1 : 1;
    if (int c = la.value.compare(lb.value); c != 0) return c < 0 ? -1 : 1;
  }
  if (ia == ea && ib == eb) return 0;
  return ia == ea ? -1 : 1;
}

// ---- LabelsBuilder ------------------------------------------------------------

void LabelsBuilder::Reset(const Labels& base) {
  pairs_.clear();
  for (Label l : base) pairs_.emplace_back(std::string(l.name), std::string(l.value));
}

LabelsBuilder& LabelsBuilder::Set(std::string_view name, std::string_view value) {
  if (value.empty()) return Del(name);
  for (auto& pair : pairs_) {
    if (pair.first == name) {
      pair.second.assign(value);
      return *this;
    }
  }
  pairs_.emplace_back(std::string(name), std::string(value));
  return *this;
}

LabelsBuilder& LabelsBuilder::Del(std::string_view name) {
  for (auto it = pairs_.begin(); it != pairs_.end(); ++it) {
    if (it->first == name) {
      pairs_.erase(it);
      break;
    }
  }
  return *this;
}

std::string_view LabelsBuilder::Get(std::string_view name) const {
  for (const auto& pair : pairs_) {
    if (pair.first == name) return pair.second;
  }
  return {};
}

Labels LabelsBuilder::Build() const {
  // Sort pointers, not pairs: the builder stays intact and reusable.
  const std::pair<std::string, std::string>* order[64];
  std::vector<const std::pair<std::string, std::string>*> heap_order;
  const std::pair<std::string, std::string>** sorted = order;
  if (pairs_.size() > std::size(order)) {
    heap_order.resize(pairs_.size());
    sorted = heap_order.data();
  }
  size_t bytes = 0;
  for (size_t i = 0; i < pairs_.size(); ++i) {
    sorted[i] = &pairs_[i];
    bytes += pairs_[i].first.size() + pairs_[i].second.size() + 4;
  }
  std::sort(sorted, sorted + pairs_.size(),
            [](const auto* x, const auto* y) { return x->first < y->first; });
  Labels labels;
  labels.data_.reserve(bytes);
  for (size_t i = 0; i < pairs_.size(); ++i) {
    PutString(&labels.data_, sorted[i]->first);
    PutString(&labels.data_, sorted[i]->second);
  }
  return labels;
}

// ---- Validation -------------------------------------------------------------

bool IsValidLabelName(std::string_view name) {
  if (name.empty()) return false;
  if (!IsAsciiLetter(name[0]) && name[0] != '_') return false;
  for (char c : name.substr(1)) {
    if (!IsAsciiLetter(c) && !IsAsciiDigit(c) && c != '_') return false;
  }
  return true;
}

bool IsValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  if (!IsAsciiLetter(name[0]) && name[0] != '_' && name[0] != ':') return false;
  for (char c : name.substr(1)) {
    if (!IsAsciiLetter(c) && !IsAsciiDigit(c) && c != '_' && c != ':') return false;
  }
  return true;
}

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    size_t len;
    uint32_t cp;
    uint32_t min;
    if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    } else {
      return false;  // continuation byte or 0xF8..0xFF as a lead byte
    }
    if (static_cast<size_t>(end - p) < len) return false;
    for (size_t i = 1; i < len; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    p += len;
  }
  return true;
}

Status ValidateLabels(const Labels& labels) {
  for (Label l : labels) {
    if (!IsValidLabelName(l.name)) {
      std::string msg = "invalid label name ";
      AppendQuoted(&msg, l.name);
      return Status::InvalidArgument(std::move(msg));
    }
    if (l.name == kMetricNameLabel && !IsValidMetricName(l.value)) {
      std::string msg = "invalid metric name ";
      AppendQuoted(&msg, l.value);
      return Status::InvalidArgument(std::move(msg));
    }
    if (!IsValidUtf8(l.value)) {
      return Status::InvalidArgument("invalid UTF-8 in the value of label " + std::string(l.name));
    }
  }
  return Status::Ok();
}

// ---- HashSlotTable --------------------------------------------------------------

namespace internal {

void HashSlotTable::Insert(uint32_t hash, uint32_t index) {
  // Keep the load factor at or below 3/4 so probe sequences stay short.
  if ((used_ + 1) * 4 > slots_.size() * 3) Grow();
  const size_t mask = slots_.size() - 1;
  size_t i = hash & mask;
  while (slots_[i].index_plus_one != 0) i = (i + 1) & mask;
  slots_[i] = Slot{hash, index + 1};
  ++used_;
}

void HashSlotTable::EraseSlot(size_t hole) {
  const size_t mask = slots_.size() - 1;
  // Backward-shift deletion: pull later entries of the probe run into the
  // hole unless that would move them before their home slot.
  for (size_t j = (hole + 1) & mask; slots_[j].index_plus_one != 0; j = (j + 1) & mask) {
    const size_t home = slots_[j].hash & mask;
    const bool home_in_gap = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (!home_in_gap) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole] = Slot{};
  --used_;
}

void HashSlotTable::Grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? 8 : old.size() * 2, Slot{});
  const size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.index_plus_one == 0) continue;
    size_t i = s.hash & mask;
    while (slots_[i].index_plus_one != 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

}  // namespace internal

// ---- SymbolTable --------------------------------------------------------------

const char* SymbolTable::Store(std::string_view s) {
  if (s.empty()) return "";
  if (s.size() > kBlockSize / 4) {
    // Large strings get a block of their own so they do not waste the tail
    // of the shared one.
    blocks_.push_back(std::make_unique_for_overwrite<char[]>(s.size()));
    arena_bytes_ += s.size();
    std::memcpy(blocks_.back().get(), s.data(), s.size());
    return blocks_.back().get();
  }
  if (block_ == nullptr || kBlockSize - block_used_ < s.size()) {
    blocks_.push_back(std::make_unique_for_overwrite<char[]>(kBlockSize));
    arena_bytes_ += kBlockSize;
    block_ = blocks_.back().get();
    block_used_ = 0;
  }
  char* dst = block_ + block_used_;
  std::memcpy(dst, s.data(), s.size());
  block_used_ += s.size();
  return dst;
}

uint32_t SymbolTable::Find(std::string_view s) const {
  const auto hash = static_cast<uint32_t>(Hash64(s));
  return table_.Find(hash, [&](uint32_t id) { return strings_[id] == s; });
}

uint32_t SymbolTable::Intern(std::string_view s) {
  const auto hash = static_cast<uint32_t>(Hash64(s));
  const uint32_t found = table_.Find(hash, [&](uint32_t id) { return strings_[id] == s; });
  if (found != internal::HashSlotTable::kNotFound) return found;
  const auto id = static_cast<uint32_t>(strings_.size());
  strings_.emplace_back(Store(s), s.size());
  table_.Insert(hash, id);
  return id;
}

size_t SymbolTable::MemoryBytes() const {
  return arena_bytes_ + blocks_.capacity() * sizeof(blocks_[0]) +
         strings_.capacity() * sizeof(std::string_view) + table_.MemoryBytes();
}

}  // namespace vigil::tsdb
