#pragma once
// Reading the OTLP protobuf messages every signal shares (AnyValue,
// KeyValue, ArrayValue, KeyValueList of opentelemetry/proto/common/v1) on
// top of ProtoReader, for the hand-written OTLP decoders (traces, logs).
// Internal to src/ingest.
//
// Not thread-safe; one reader per request body.

#include <cstdint>
#include <string>
#include <string_view>

#include "ingest/protowire.h"

namespace vigil::ingest {

// Field numbers of opentelemetry/proto/common/v1.
inline constexpr uint32_t kOtlpKeyValueKey = 1;
inline constexpr uint32_t kOtlpKeyValueValue = 2;
enum OtlpAnyValueField : uint32_t {
  kOtlpAnyString = 1, kOtlpAnyBool = 2, kOtlpAnyInt = 3, kOtlpAnyDouble = 4, kOtlpAnyArray = 5, kOtlpAnyKvList = 6,
  kOtlpAnyBytes = 7,
};
inline constexpr uint32_t kOtlpListValues = 1;  // ArrayValue.values and KeyValueList.values

class OtlpMessageReader {
 public:
  // REQUIRES: body outlives the reader and every view passed to it lies in body.
  // Values nested deeper than max_value_depth fail the read.
  OtlpMessageReader(std::string_view body, int max_value_depth) : r_(body), max_value_depth_(max_value_depth) {}

  // The first failure, with its offset in the body.
  std::string error() const { return r_.error(); }

 protected:
  // Calls fn(field, wire, tag_start, &p, end) for each field of msg; stops at
  // the first false. `message` names the message type where it is read (the
  // errors name fields, which carry their type).
  template <typename Fn>
  bool ForEachField(std::string_view msg, [[maybe_unused]] std::string_view message, Fn&& fn) {
    const char* p = msg.data();
    const char* end = p + msg.size();
    while (p < end) {
      const char* tag = p;
      uint32_t field = 0;
      uint32_t wire = 0;
      if (!r_.ReadTag(&p, end, &field, &wire)) return false;
      if (!fn(field, wire, tag, &p, end)) return false;
    }
    return true;
  }

  // A length-delimited field (message, string or bytes) named `name`.
  bool Sub(const char* tag, uint32_t wire, const char** p, const char* end, std::string_view name,
           std::string_view* out) {
    return r_.ExpectWireType(tag, wire, WireType::kLengthDelimited, name) && r_.ReadLengthDelimited(p, end, out, name);
  }

  bool Varint(const char* tag, uint32_t wire, const char** p, const char* end, std::string_view name, uint64_t* v) {
    return r_.ExpectWireType(tag, wire, WireType::kVarint, name) && r_.ReadVarint(p, end, v, name);
  }

  bool Fixed64(const char* tag, uint32_t wire, const char** p, const char* end, std::string_view name, uint64_t* v) {
    return r_.ExpectWireType(tag, wire, WireType::kFixed64, name) && r_.ReadFixed64(p, end, v, name);
  }

  bool Fixed32(const char* tag, uint32_t wire, const char** p, const char* end, std::string_view name, uint32_t* v);

  // Appends an AnyValue: as plain text at the top level (strings bare,
  // bytes base64), as JSON when `nested` (inside arrays and maps; an unset
  // value is null). Arrays and maps are always JSON.
  bool RenderAnyValue(std::string_view msg, int depth, bool nested, std::string* out);

  // Appends `"key":value` of a KeyValue inside a map.
  bool RenderNestedKeyValue(std::string_view msg, int depth, std::string* out);

  ProtoReader r_;
  const int max_value_depth_;
};

}  // namespace vigil::ingest
