#include "promql/value.h"

#include <charconv>
#include <cmath>

#include "base/json.h"

namespace vigil::promql {

std::string_view ResultTypeName(const Value& v) {
  switch (v.index()) {
    case 0: return "scalar";
    case 1: return "string";
    case 2: return "vector";
    default: return "matrix";
  }
}

std::string FormatSampleValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[400];
  double a = std::fabs(v);
  std::to_chars_result r;
  if (a != 0 && (a < 1e-6 || a >= 1e21)) {
    r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  } else {
    r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  }
  return std::string(buf, r.ptr);
}

std::string FormatTimestamp(int64_t ms) {
  std::string out;
  uint64_t t = static_cast<uint64_t>(ms);
  if (ms < 0) {
    out.push_back('-');
    t = static_cast<uint64_t>(0) - t;
  }
  out += std::to_string(t / 1000);
  uint64_t frac = t % 1000;
  if (frac != 0) {
    out.push_back('.');
    if (frac < 100) out.push_back('0');
    if (frac < 10) out.push_back('0');
    out += std::to_string(frac);
  }
  return out;
}

void AppendLabelsJson(std::string* out, const tsdb::Labels& metric) { json::AppendStringObject(out, metric); }

namespace {

void AppendPoint(std::string* out, int64_t t, double v) {
  out->push_back('[');
  *out += FormatTimestamp(t);
  *out += ",\"";
  *out += FormatSampleValue(v);
  *out += "\"]";
}

}  // namespace

void AppendValueJson(std::string* out, const Value& v) {
  *out += "{\"resultType\":\"";
  *out += ResultTypeName(v);
  *out += "\",\"result\":";
  if (const auto* s = std::get_if<Scalar>(&v)) {
    AppendPoint(out, s->t, s->v);
  } else if (const auto* str = std::get_if<String>(&v)) {
    out->push_back('[');
    *out += FormatTimestamp(str->t);
    out->push_back(',');
    json::AppendString(out, str->v);
    out->push_back(']');
  } else if (const auto* vec = std::get_if<Vector>(&v)) {
    out->push_back('[');
    for (size_t i = 0; i < vec->size(); ++i) {
      if (i) out->push_back(',');
      *out += "{\"metric\":";
      AppendLabelsJson(out, (*vec)[i].metric);
      *out += ",\"value\":";
      AppendPoint(out, (*vec)[i].t, (*vec)[i].v);
      out->push_back('}');
    }
    out->push_back(']');
  } else {
    const auto& mat = std::get<Matrix>(v);
    out->push_back('[');
    for (size_t i = 0; i < mat.size(); ++i) {
      if (i) out->push_back(',');
      *out += "{\"metric\":";
      AppendLabelsJson(out, mat[i].metric);
      *out += ",\"values\":[";
      for (size_t j = 0; j < mat[i].points.size(); ++j) {
        if (j) out->push_back(',');
        AppendPoint(out, mat[i].points[j].timestamp_ms, mat[i].points[j].value);
      }
      *out += "]}";
    }
    out->push_back(']');
  }
  out->push_back('}');
}

}  // namespace vigil::promql
