#pragma once
// Helpers of the OTLP decoder tests: a minimal protobuf writer for building
// requests by hand, and the fields of a decoded entry as a map.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "base/varint.h"
#include "logstore/row.h"

namespace vigil::ingest {

// A minimal protobuf writer for building requests by hand.
struct Pb {
  std::string bytes;
  Pb& Len(uint32_t field, std::string_view v) {
    PutVarint64(&bytes, (uint64_t{field} << 3) | 2);
    PutVarint64(&bytes, v.size());
    bytes.append(v);
    return *this;
  }
  Pb& Msg(uint32_t field, const Pb& m) { return Len(field, m.bytes); }
  Pb& Varint(uint32_t field, uint64_t v) {
    PutVarint64(&bytes, uint64_t{field} << 3);
    PutVarint64(&bytes, v);
    return *this;
  }
  Pb& Fixed64(uint32_t field, uint64_t v) {
    PutVarint64(&bytes, (uint64_t{field} << 3) | 1);
    PutFixed64(&bytes, v);
    return *this;
  }
  Pb& Fixed32(uint32_t field, uint32_t v) {
    PutVarint64(&bytes, (uint64_t{field} << 3) | 5);
    PutFixed32(&bytes, v);
    return *this;
  }
};

// The entry's fields by name (the last of a repeated name wins).
inline std::map<std::string, std::string> FieldsOf(const logstore::LogEntry& e) {
  std::map<std::string, std::string> m;
  for (const auto& f : e.fields) m[f.name] = f.value;
  return m;
}

}  // namespace vigil::ingest
