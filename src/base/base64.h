#pragma once
// Base64 (RFC 4648, standard alphabet, with padding), as HTTP Basic
// authentication and PEM use it. Pure functions; thread-safe.

#include <optional>
#include <string>
#include <string_view>

namespace vigil {

// The padded base64 encoding of `data`.
std::string Base64Encode(std::string_view data);

// The bytes `text` encodes, or nullopt when it is not padded standard
// base64 (wrong length, a character outside the alphabet, misplaced '=').
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace vigil
