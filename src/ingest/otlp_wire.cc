#include "ingest/otlp_wire.h"

#include <cstring>

#include "base/base64.h"
#include "base/json.h"
#include "base/varint.h"

namespace vigil::ingest {

bool OtlpMessageReader::Fixed32(const char* tag, uint32_t wire, const char** p, const char* end,
                                std::string_view name, uint32_t* v) {
  if (!r_.ExpectWireType(tag, wire, WireType::kFixed32, name)) return false;
  if (end - *p < 4) return r_.Fail(*p, std::string("truncated fixed32 in ").append(name));
  *v = DecodeFixed32(*p);
  *p += 4;
  return true;
}

bool OtlpMessageReader::RenderAnyValue(std::string_view msg, int depth, bool nested, std::string* out) {
  if (depth > max_value_depth_) return r_.Fail(msg.data(), "AnyValue nested too deeply");
  const size_t start = out->size();
  bool ok = ForEachField(msg, "AnyValue", [&](uint32_t field, uint32_t wire, const char* tag, const char** p,
                                              const char* end) {
    std::string_view v;
    uint64_t n = 0;
    out->resize(start);  // a oneof: the last value wins
    switch (field) {
      case kOtlpAnyString:
        if (!Sub(tag, wire, p, end, "AnyValue.string_value", &v)) return false;
        if (nested) json::AppendString(out, v); else out->append(v);
        return true;
      case kOtlpAnyBool:
        if (!Varint(tag, wire, p, end, "AnyValue.bool_value", &n)) return false;
        out->append(n != 0 ? "true" : "false");
        return true;
      case kOtlpAnyInt:
        if (!Varint(tag, wire, p, end, "AnyValue.int_value", &n)) return false;
        out->append(std::to_string(static_cast<int64_t>(n)));
        return true;
      case kOtlpAnyDouble: {
        if (!Fixed64(tag, wire, p, end, "AnyValue.double_value", &n)) return false;
        double d = 0;
        std::memcpy(&d, &n, sizeof d);
        json::AppendNumber(out, d);
        return true;
      }
      case kOtlpAnyArray: {
        if (!Sub(tag, wire, p, end, "AnyValue.array_value", &v)) return false;
        out->push_back('[');
        bool first = true;
        bool ok2 = ForEachField(v, "ArrayValue", [&](uint32_t f, uint32_t w, const char* t, const char** q,
                                                     const char* e) {
          if (f != kOtlpListValues) return r_.SkipField(q, e, f, w);
          std::string_view elem;
          if (!Sub(t, w, q, e, "ArrayValue.values", &elem)) return false;
          if (!first) out->push_back(',');
          first = false;
          return RenderAnyValue(elem, depth + 1, true, out);
        });
        out->push_back(']');
        return ok2;
      }
      case kOtlpAnyKvList: {
        if (!Sub(tag, wire, p, end, "AnyValue.kvlist_value", &v)) return false;
        out->push_back('{');
        bool first = true;
        bool ok2 = ForEachField(v, "KeyValueList", [&](uint32_t f, uint32_t w, const char* t, const char** q,
                                                       const char* e) {
          if (f != kOtlpListValues) return r_.SkipField(q, e, f, w);
          std::string_view kv;
          if (!Sub(t, w, q, e, "KeyValueList.values", &kv)) return false;
          if (!first) out->push_back(',');
          first = false;
          return RenderNestedKeyValue(kv, depth + 1, out);
        });
        out->push_back('}');
        return ok2;
      }
      case kOtlpAnyBytes:
        if (!Sub(tag, wire, p, end, "AnyValue.bytes_value", &v)) return false;
        if (nested) json::AppendString(out, Base64Encode(v)); else out->append(Base64Encode(v));
        return true;
      default:
        out->resize(start);
        return r_.SkipField(p, end, field, wire);
    }
  });
  if (ok && nested && out->size() == start) out->append("null");
  return ok;
}

bool OtlpMessageReader::RenderNestedKeyValue(std::string_view msg, int depth, std::string* out) {
  std::string key;
  std::string value;
  bool ok = ForEachField(msg, "KeyValue", [&](uint32_t field, uint32_t wire, const char* tag, const char** p,
                                              const char* end) {
    std::string_view v;
    if (field == kOtlpKeyValueKey) {
      if (!Sub(tag, wire, p, end, "KeyValue.key", &v)) return false;
      key.assign(v);
      return true;
    }
    if (field == kOtlpKeyValueValue) {
      value.clear();
      return Sub(tag, wire, p, end, "KeyValue.value", &v) && RenderAnyValue(v, depth, true, &value);
    }
    return r_.SkipField(p, end, field, wire);
  });
  json::AppendString(out, key);
  out->push_back(':');
  out->append(value.empty() ? "null" : value);
  return ok;
}

}  // namespace vigil::ingest
