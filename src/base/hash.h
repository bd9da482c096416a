#pragma once
// A fast, stable 64-bit hash for identities that may be persisted (series,
// log streams).

#include <cstdint>
#include <string_view>

namespace vigil {

// A fast, well-mixed 64-bit hash of `data`. Stable: the same bytes and seed
// give the same value on every run, build and (little- or big-endian) host, so
// it may be persisted. Not cryptographic.
uint64_t Hash64(std::string_view data, uint64_t seed = 0);

}  // namespace vigil
