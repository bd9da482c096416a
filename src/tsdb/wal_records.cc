#include "tsdb/wal_records.h"

#include <bit>
#include <cassert>
#include <string>
#include <vector>

#include "base/varint.h"

namespace vigil::tsdb {

namespace {

// Upper bound on one entry's sample count, so a damaged count cannot make the
// decoder reserve gigabytes before noticing the payload is too short.
constexpr uint64_t kMaxSamplesPerEntry = uint64_t{1} << 24;
// Prometheus' hard bound on labels is far below this; it only guards reserve().
constexpr uint64_t kMaxPairsPerSeries = 4096;

Status Bad(std::string_view what) { return Status::Corruption("wal record: " + std::string(what)); }

Status DecodeSeries(std::string_view in, WalRecordVisitor& visitor) {
  LabelsBuilder builder;
  while (!in.empty()) {
    uint64_t ref = 0, npairs = 0;
    if (!GetVarint64(&in, &ref) || !GetVarint64(&in, &npairs)) return Bad("series: truncated header");
    if (npairs > kMaxPairsPerSeries) return Bad("series: too many labels");
    builder.Reset();
    for (uint64_t i = 0; i < npairs; ++i) {
      std::string_view name, value;
      if (!GetLengthPrefixed(&in, &name) || !GetLengthPrefixed(&in, &value)) return Bad("series: truncated label");
      builder.Set(name, value);
    }
    Status s = visitor.OnSeries(ref, builder.Build());
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status DecodeSamples(std::string_view in, WalRecordVisitor& visitor) {
  std::vector<Sample> samples;
  while (!in.empty()) {
    uint64_t ref = 0, n = 0;
    if (!GetVarint64(&in, &ref) || !GetVarint64(&in, &n)) return Bad("samples: truncated header");
    if (n == 0 || n > kMaxSamplesPerEntry || n > in.size()) return Bad("samples: bad count");
    samples.resize(n);
    int64_t t = 0;
    for (uint64_t i = 0; i < n; ++i) {
      int64_t d = 0;
      if (!GetVarintSigned64(&in, &d)) return Bad("samples: truncated timestamp");
      t = static_cast<int64_t>(static_cast<uint64_t>(t) + static_cast<uint64_t>(d));
      samples[i].timestamp_ms = t;
    }
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t bits = 0;
      if (!GetFixed64(&in, &bits)) return Bad("samples: truncated value");
      samples[i].value = std::bit_cast<double>(bits);
    }
    Status s = visitor.OnSamples(ref, samples);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status DecodeTombstones(std::string_view in, WalRecordVisitor& visitor) {
  while (!in.empty()) {
    uint64_t ref = 0;
    if (!GetVarint64(&in, &ref)) return Bad("tombstones: truncated ref");
    Status s = visitor.OnTombstone(ref);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status DecodeChunks(std::string_view in, WalRecordVisitor& visitor) {
  while (!in.empty()) {
    uint64_t ref = 0;
    std::string_view bytes;
    if (!GetVarint64(&in, &ref) || !GetLengthPrefixed(&in, &bytes)) return Bad("chunk: truncated");
    Status s = visitor.OnChunk(ref, bytes);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace

void WalRecordBuilder::Reset(WalRecordType type) {
  type_ = type;
  payload_.clear();
  payload_.push_back(static_cast<char>(type));
}

void WalRecordBuilder::AddSeries(uint64_t ref, const Labels& labels) {
  assert(type_ == WalRecordType::kSeries);
  PutVarint64(&payload_, ref);
  PutVarint64(&payload_, labels.size());
  for (const Label& l : labels) {
    PutLengthPrefixed(&payload_, l.name);
    PutLengthPrefixed(&payload_, l.value);
  }
}

void WalRecordBuilder::AddSamples(uint64_t ref, std::span<const Sample> samples) {
  assert(type_ == WalRecordType::kSamples);
  assert(!samples.empty());
  PutVarint64(&payload_, ref);
  PutVarint64(&payload_, samples.size());
  int64_t prev = 0;
  for (const Sample& s : samples) {
    // Two's-complement wrap keeps any pair of int64 timestamps encodable.
    PutVarintSigned64(&payload_, static_cast<int64_t>(static_cast<uint64_t>(s.timestamp_ms) -
                                                      static_cast<uint64_t>(prev)));
    prev = s.timestamp_ms;
  }
  for (const Sample& s : samples) PutFixed64(&payload_, std::bit_cast<uint64_t>(s.value));
}

void WalRecordBuilder::AddTombstone(uint64_t ref) {
  assert(type_ == WalRecordType::kTombstones);
  PutVarint64(&payload_, ref);
}

void WalRecordBuilder::AddChunk(uint64_t ref, std::string_view chunk_bytes) {
  assert(type_ == WalRecordType::kChunk);
  PutVarint64(&payload_, ref);
  PutLengthPrefixed(&payload_, chunk_bytes);
}

Status DecodeWalRecord(std::string_view payload, WalRecordVisitor& visitor) {
  if (payload.empty()) return Bad("empty payload");
  const auto type = static_cast<uint8_t>(payload[0]);
  std::string_view body = payload.substr(1);
  switch (static_cast<WalRecordType>(type)) {
    case WalRecordType::kEpoch:
      if (!body.empty()) return Bad("epoch: trailing bytes");
      return visitor.OnEpoch();
    case WalRecordType::kSeries:
      return DecodeSeries(body, visitor);
    case WalRecordType::kSamples:
      return DecodeSamples(body, visitor);
    case WalRecordType::kTombstones:
      return DecodeTombstones(body, visitor);
    case WalRecordType::kChunk:
      return DecodeChunks(body, visitor);
  }
  return Bad("unknown type " + std::to_string(type));
}

}  // namespace vigil::tsdb
