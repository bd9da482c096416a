#pragma once
// The payloads the Storage writes into its write-ahead log (tsdb/wal.h frames
// and checksums them; this file only knows what is inside).
//
// ---- Payload format ----
//
// Every payload starts with one type byte; integers are LEB128 varints
// (base/varint.h), "svarint" is zigzag-mapped, f64 is the IEEE-754 bits as a
// little-endian fixed64 (so NaN payloads such as the stale marker survive).
//
//   kEpoch      (4): nothing more. Starts a writer session: series refs
//                    named before it are forgotten (see below).
//   kSeries     (1): { ref:varint  npairs:varint  (name:lenpfx value:lenpfx)* }*
//   kSamples    (2): { ref:varint  n:varint  t0:svarint  (dt:svarint)*(n-1)  v:f64*n }*
//   kTombstones (3): { ref:varint }*                  series deleted (all time)
//   kChunk      (5): { ref:varint  bytes:lenpfx }*    encoded chunks (tsdb/chunk.h)
//
// Refs are the head's SeriesRefs of the session that wrote them. A new session
// (after a restart) gets new refs, so each session begins with kEpoch and
// re-declares every live series (a checkpoint) before using its ref; replay
// maps refs to head series per session and forgets the map at each kEpoch.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/sample_row.h"
#include "base/status.h"
#include "tsdb/labels.h"

namespace vigil::tsdb {

enum class WalRecordType : uint8_t {
  kSeries = 1,
  kSamples = 2,
  kTombstones = 3,
  kEpoch = 4,
  kChunk = 5,
};

// Builds one WAL payload of a single type by appending entries.
// Thread-compatible. The payload stays valid until the next Reset/Add call.
class WalRecordBuilder {
 public:
  // Starts an empty payload of `type`.
  explicit WalRecordBuilder(WalRecordType type) { Reset(type); }

  // Forgets the entries and starts a payload of `type`.
  void Reset(WalRecordType type);
  // REQUIRES: type() == kSeries.
  void AddSeries(uint64_t ref, const Labels& labels);
  // REQUIRES: type() == kSamples; samples non-empty. Any order of timestamps.
  void AddSamples(uint64_t ref, std::span<const Sample> samples);
  // REQUIRES: type() == kTombstones.
  void AddTombstone(uint64_t ref);
  // REQUIRES: type() == kChunk.
  void AddChunk(uint64_t ref, std::string_view chunk_bytes);

  WalRecordType type() const { return type_; }
  // Whether no entry was added (the payload is just the type byte).
  bool empty() const { return payload_.size() <= 1; }
  // The encoded payload.
  std::string_view payload() const { return payload_; }
  size_t size_bytes() const { return payload_.size(); }

 private:
  WalRecordType type_ = WalRecordType::kEpoch;
  std::string payload_;
};

// Receives the decoded entries of a payload. Views are valid only during the
// call. A non-OK return stops decoding and is returned by DecodeWalRecord.
class WalRecordVisitor {
 public:
  virtual ~WalRecordVisitor() = default;
  virtual Status OnEpoch() = 0;
  virtual Status OnSeries(uint64_t ref, const Labels& labels) = 0;
  virtual Status OnSamples(uint64_t ref, std::span<const Sample> samples) = 0;
  virtual Status OnTombstone(uint64_t ref) = 0;
  virtual Status OnChunk(uint64_t ref, std::string_view chunk_bytes) = 0;
};

// Decodes `payload` and calls `visitor` once per entry, in order. Returns
// Corruption (naming the record type and what was wrong) for an unknown type
// or malformed entry; entries before the damage have been delivered.
// Safe on arbitrary bytes.
Status DecodeWalRecord(std::string_view payload, WalRecordVisitor& visitor);

}  // namespace vigil::tsdb
