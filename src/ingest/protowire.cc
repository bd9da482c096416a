#include "ingest/protowire.h"

#include <fmt/format.h>

namespace vigil::ingest {

std::string_view WireTypeName(uint32_t wire_type) {
  switch (static_cast<WireType>(wire_type)) {
    case WireType::kVarint: return "varint";
    case WireType::kFixed64: return "fixed64";
    case WireType::kLengthDelimited: return "length-delimited";
    case WireType::kStartGroup: return "start-group";
    case WireType::kEndGroup: return "end-group";
    case WireType::kFixed32: return "fixed32";
  }
  return "invalid";
}

bool ProtoReader::Fail(const char* at, std::string what) {
  if (error_.empty()) {
    error_ = std::move(what);
    error_offset_ = static_cast<size_t>(at - base_);
  }
  return false;
}

std::string ProtoReader::error() const {
  if (error_.empty()) return {};
  return fmt::format("{} at offset {}", error_, error_offset_);
}

bool ProtoReader::ReadTag(const char** p, const char* end, uint32_t* field, uint32_t* wire) {
  const char* start = *p;
  uint64_t tag = 0;
  if (start < end && static_cast<unsigned char>(*start) < 0x80) {
    tag = static_cast<unsigned char>(*start);
    *p = start + 1;
  } else {
    const char* next = GetVarint64Ptr(start, end, &tag);
    if (next == nullptr) return Fail(start, "truncated or over-long varint in field tag");
    *p = next;
  }
  if (tag > UINT32_MAX) return Fail(start, fmt::format("field tag {} is out of range", tag));
  *wire = static_cast<uint32_t>(tag & 7);
  *field = static_cast<uint32_t>(tag >> 3);
  if (*field == 0) return Fail(start, "invalid field number 0");
  if (*wire > static_cast<uint32_t>(WireType::kFixed32)) {
    return Fail(start, fmt::format("invalid wire type {} for field {}", *wire, *field));
  }
  return true;
}

bool ProtoReader::ReadLengthDelimitedSlow(const char** p, const char* end, std::string_view* out,
                                          std::string_view what) {
  const char* start = *p;
  uint64_t len = 0;
  if (!ReadVarint(p, end, &len, what)) return false;
  const auto remaining = static_cast<uint64_t>(end - *p);
  if (len > remaining) {
    *p = start;
    return Fail(start, fmt::format("length {} of {} exceeds the {} bytes left in its message", len, what,
                                   remaining));
  }
  *out = std::string_view(*p, static_cast<size_t>(len));
  *p += len;
  return true;
}

bool ProtoReader::SkipField(const char** p, const char* end, uint32_t field, uint32_t wire) {
  switch (static_cast<WireType>(wire)) {
    case WireType::kVarint: {
      uint64_t ignored = 0;
      const char* next = GetVarint64Ptr(*p, end, &ignored);
      if (next == nullptr) return Fail(*p, fmt::format("truncated or over-long varint in field {}", field));
      *p = next;
      return true;
    }
    case WireType::kFixed64:
      if (end - *p < 8) return Fail(*p, fmt::format("truncated fixed64 in field {}", field));
      *p += 8;
      return true;
    case WireType::kLengthDelimited: {
      uint64_t len = 0;
      const char* start = *p;
      const char* next = GetVarint64Ptr(start, end, &len);
      if (next == nullptr) return Fail(start, fmt::format("truncated or over-long length of field {}", field));
      const auto remaining = static_cast<uint64_t>(end - next);
      if (len > remaining) {
        return Fail(start, fmt::format("length {} of field {} exceeds the {} bytes left in its message", len,
                                       field, remaining));
      }
      *p = next + len;
      return true;
    }
    case WireType::kStartGroup:
      return SkipGroup(p, end, field, 1);
    case WireType::kEndGroup:
      return Fail(*p, fmt::format("end-group tag of field {} without a matching start-group", field));
    case WireType::kFixed32:
      if (end - *p < 4) return Fail(*p, fmt::format("truncated fixed32 in field {}", field));
      *p += 4;
      return true;
  }
  return Fail(*p, fmt::format("invalid wire type {} for field {}", wire, field));
}

bool ProtoReader::SkipGroup(const char** p, const char* end, uint32_t group_field, int depth) {
  if (depth > kMaxGroupDepth) {
    return Fail(*p, fmt::format("groups nested deeper than {}", kMaxGroupDepth));
  }
  while (*p < end) {
    uint32_t field = 0;
    uint32_t wire = 0;
    const char* tag_start = *p;
    if (!ReadTag(p, end, &field, &wire)) return false;
    if (wire == static_cast<uint32_t>(WireType::kEndGroup)) {
      if (field != group_field) {
        return Fail(tag_start, fmt::format("end-group tag of field {} closes the group of field {}", field,
                                           group_field));
      }
      return true;
    }
    if (wire == static_cast<uint32_t>(WireType::kStartGroup)) {
      if (!SkipGroup(p, end, field, depth + 1)) return false;
    } else if (!SkipField(p, end, field, wire)) {
      return false;
    }
  }
  return Fail(*p, fmt::format("group of field {} is not terminated", group_field));
}

bool ProtoReader::ValidateMessage(std::string_view msg) {
  const char* p = msg.data();
  const char* end = p + msg.size();
  while (p < end) {
    uint32_t field = 0;
    uint32_t wire = 0;
    if (!ReadTag(&p, end, &field, &wire)) return false;
    if (!SkipField(&p, end, field, wire)) return false;
  }
  return true;
}

bool ProtoReader::ExpectWireType(const char* tag_start, uint32_t wire, WireType want,
                                 std::string_view field_name) {
  if (wire == static_cast<uint32_t>(want)) return true;
  return Fail(tag_start, fmt::format("{} has wire type {} ({}), want {} ({})", field_name, wire,
                                     WireTypeName(wire), static_cast<uint32_t>(want),
                                     WireTypeName(static_cast<uint32_t>(want))));
}

}  // namespace vigil::ingest
