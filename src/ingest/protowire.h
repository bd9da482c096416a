#pragma once
// Protocol Buffers wire-format reading, for hand-written decoders of fixed
// schemas (remote_write). Internal to src/ingest.
//
// The wire format in brief: a message is a sequence of fields; each starts
// with a varint tag = (field_number << 3) | wire_type. Wire types: 0 varint,
// 1 fixed 8 bytes, 2 varint length + that many bytes, 3/5... see WireType.
// Fixed-width values are little-endian. Varints are at most 10 bytes.
//
// A ProtoReader reads from one body and remembers the first error with its
// absolute offset in that body, so that callers can stop at the first false
// return and report "<what> at offset N". Not thread-safe; cheap to create.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/varint.h"

namespace vigil::ingest {

enum class WireType : uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,  // deprecated proto2 groups; only ever skipped
  kEndGroup = 4,
  kFixed32 = 5,
};

// Name of a wire type for messages ("varint", "fixed64", ...; "invalid" for 6, 7).
std::string_view WireTypeName(uint32_t wire_type);

class ProtoReader {
 public:
  // REQUIRES: body outlives the reader; every pointer passed to the methods
  // lies within body (or is its end).
  explicit ProtoReader(std::string_view body) : base_(body.data()) {}

  ProtoReader(const ProtoReader&) = delete;
  ProtoReader& operator=(const ProtoReader&) = delete;

  // Reads a tag at *p, before end. On success advances *p and stores the
  // field number (1 .. 2^29-1) and wire type (0..5). Fails on a truncated or
  // over-long varint, field number 0 or too large, wire type 6 or 7.
  bool ReadTag(const char** p, const char* end, uint32_t* field, uint32_t* wire);

  // Reads a varint (<= 10 bytes, <= 64 bits). what names it for the message.
  bool ReadVarint(const char** p, const char* end, uint64_t* v, std::string_view what) {
    if (*p < end && static_cast<unsigned char>(**p) < 0x80) {
      *v = static_cast<unsigned char>(**p);
      ++*p;
      return true;
    }
    const char* next = GetVarint64Ptr(*p, end, v);
    if (next == nullptr) return Fail(*p, std::string("truncated or over-long varint in ").append(what));
    *p = next;
    return true;
  }

  // Reads 8 little-endian bytes.
  bool ReadFixed64(const char** p, const char* end, uint64_t* v, std::string_view what) {
    if (end - *p < 8) return Fail(*p, std::string("truncated fixed64 in ").append(what));
    *v = DecodeFixed64(*p);
    *p += 8;
    return true;
  }

  // Reads a length prefix and the bytes after it; *out views into the body.
  // Fails when the length runs past end (the end of the enclosing message).
  bool ReadLengthDelimited(const char** p, const char* end, std::string_view* out, std::string_view what) {
    // Fast path: a one-byte length that fits.
    if (*p < end) {
      const auto len = static_cast<unsigned char>(**p);
      if (len < 0x80 && len <= end - *p - 1) {
        *out = std::string_view(*p + 1, len);
        *p += 1 + len;
        return true;
      }
    }
    return ReadLengthDelimitedSlow(p, end, out, what);
  }

  // Skips one field's value whose tag (field, wire) was just read. Groups are
  // skipped up to their matching end-group tag, nested at most kMaxGroupDepth.
  // An end-group tag on its own is an error.
  bool SkipField(const char** p, const char* end, uint32_t field, uint32_t wire);

  // Checks that msg is a well-formed sequence of fields (tags, varints,
  // lengths, groups), without interpreting any field. Used for submessages
  // that are skipped, so that a corrupt one still rejects the body.
  bool ValidateMessage(std::string_view msg);

  // Fails unless the wire type of a known field is the expected one.
  bool ExpectWireType(const char* tag_start, uint32_t wire, WireType want, std::string_view field_name);

  // Records the first error: what happened and where. Always returns false.
  bool Fail(const char* at, std::string what);

  bool failed() const { return !error_.empty(); }
  // "<what> at offset N"; empty when nothing failed.
  std::string error() const;

  static constexpr int kMaxGroupDepth = 32;

 private:
  bool ReadLengthDelimitedSlow(const char** p, const char* end, std::string_view* out, std::string_view what);
  bool SkipGroup(const char** p, const char* end, uint32_t field, int depth);

  const char* base_;
  std::string error_;
  size_t error_offset_ = 0;
};

}  // namespace vigil::ingest
