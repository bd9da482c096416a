#include "alertmanager/codec.h"

#include <nlohmann/json.hpp>
#include <simdjson.h>

#include "base/json.h"

namespace vigil::alertmanager {
namespace {

using Json = nlohmann::json;

Status TypeError(const std::string& field, const char* want, const Json& got) {
  return Status::InvalidArgument("json: cannot unmarshal " + std::string(got.type_name()) + " into Go struct field " +
                                 field + " of type " + want);
}

Status DecodeTime(const Json& j, const std::string& field, int64_t* out) {
  if (j.is_null()) return Status::Ok();
  if (!j.is_string()) return TypeError(field, "strfmt.DateTime", j);
  auto t = ParseTime(j.get<std::string>());
  if (!t.ok()) return Status::InvalidArgument(field + " in body must be of type date-time: \"" +
                                              j.get<std::string>() + "\"");
  *out = *t;
  return Status::Ok();
}

bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    }
    i += len;
  }
  return true;
}

Status ValidateLabelSet(const LabelSet& ls) {
  for (const auto& [k, v] : ls) {
    if (!ValidLabelName(k)) return Status::InvalidArgument("invalid name \"" + k + "\"");
    if (!ValidUtf8(v)) return Status::InvalidArgument("invalid value \"" + v + "\"");
  }
  return Status::Ok();
}

}  // namespace

namespace {

namespace od = simdjson::ondemand;

Status OdError(const std::string& field, simdjson::error_code e) {
  return Status::InvalidArgument("parsing alerts body failed at " + field + ": " + simdjson::error_message(e));
}

// Reads a JSON object of strings (or null) into *out.
Status OdLabelMap(od::value v, const std::string& field, LabelSet* out) {
  bool is_null = false;
  if (v.is_null().get(is_null) == simdjson::SUCCESS && is_null) return Status::Ok();
  od::object obj;
  if (auto e = v.get_object().get(obj)) return OdError(field, e);
  for (auto kv : obj) {
    std::string_view key, val;
    if (auto e = kv.unescaped_key().get(key)) return OdError(field, e);
    od::value inner;
    if (auto e = kv.value().get(inner)) return OdError(field, e);
    if (inner.get_string().get(val)) {
      return Status::InvalidArgument("json: cannot unmarshal non-string into Go struct field " + field +
                                     " of type string");
    }
    (*out)[std::string(key)] = std::string(val);
  }
  return Status::Ok();
}

Status OdTime(od::value v, const std::string& field, int64_t* out) {
  bool is_null = false;
  if (v.is_null().get(is_null) == simdjson::SUCCESS && is_null) return Status::Ok();
  std::string_view sv;
  if (v.get_string().get(sv)) return Status::InvalidArgument(field + " in body must be of type date-time");
  auto t = ParseTime(sv);
  if (!t.ok()) return Status::InvalidArgument(field + " in body must be of type date-time: \"" + std::string(sv) + "\"");
  *out = *t;
  return Status::Ok();
}

}  // namespace

Result<std::vector<Alert>> DecodePostableAlerts(std::string_view body) {
  thread_local od::parser parser;
  simdjson::padded_string padded(body);
  od::document doc;
  if (auto e = parser.iterate(padded).get(doc)) return OdError("alerts", e);
  od::array arr;
  if (auto e = doc.get_array().get(arr)) return OdError("alerts", e);
  std::vector<Alert> out;
  for (auto elem : arr) {
    od::object obj;
    if (auto e = elem.get_object().get(obj)) return OdError("alerts", e);
    Alert a;
    bool has_labels = false;
    for (auto field : obj) {
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return OdError("alerts", e);
      od::value v;
      if (auto e = field.value().get(v)) return OdError(std::string(key), e);
      Status st;
      if (key == "labels") {
        has_labels = true;
        st = OdLabelMap(v, "labels", &a.labels);
      } else if (key == "annotations") {
        st = OdLabelMap(v, "annotations", &a.annotations);
      } else if (key == "startsAt") {
        st = OdTime(v, "startsAt", &a.starts_at);
      } else if (key == "endsAt") {
        st = OdTime(v, "endsAt", &a.ends_at);
      } else if (key == "generatorURL") {
        bool is_null = false;
        if (v.is_null().get(is_null) != simdjson::SUCCESS || !is_null) {
          std::string_view sv;
          if (v.get_string().get(sv)) return Status::InvalidArgument("generatorURL in body must be of type uri");
          a.generator_url = std::string(sv);
        }
      } else {
        // Unknown fields are ignored, as Go's decoder does; the iterator
        // skips the unread value.
      }
      if (!st.ok()) return st;
    }
    if (!has_labels) return Status::InvalidArgument("labels in body is required");
    out.push_back(std::move(a));
  }
  return out;
}

Status ValidateAlert(const Alert& a) {
  if (a.starts_at == 0) return Status::InvalidArgument("start time missing");
  if (a.ends_at != 0 && a.ends_at < a.starts_at) return Status::InvalidArgument("start time must be before end time");
  if (a.labels.empty()) return Status::InvalidArgument("at least one label pair required");
  Status st = ValidateLabelSet(a.labels);
  if (!st.ok()) return Status::InvalidArgument("invalid label set: " + st.message());
  st = ValidateLabelSet(a.annotations);
  if (!st.ok()) return Status::InvalidArgument("invalid annotations: " + st.message());
  return Status::Ok();
}

Result<Silence> DecodePostableSilence(std::string_view body) {
  Json j = Json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded()) return Status::InvalidArgument("parsing silence body from \"\" failed: invalid JSON");
  if (!j.is_object()) return TypeError("silence", "models.PostableSilence", j);
  Silence s;
  if (j.contains("id") && j["id"].is_string()) s.id = j["id"].get<std::string>();
  for (const char* req : {"matchers", "startsAt", "endsAt", "createdBy", "comment"}) {
    if (!j.contains(req)) return Status::InvalidArgument(std::string(req) + " in body is required");
  }
  const Json& ms = j["matchers"];
  if (!ms.is_array()) return TypeError("matchers", "models.Matchers", ms);
  for (const auto& m : ms) {
    if (!m.is_object()) return TypeError("matchers", "models.Matcher", m);
    for (const char* req : {"name", "value", "isRegex"}) {
      if (!m.contains(req)) return Status::InvalidArgument(std::string(req) + " in body is required");
    }
    if (!m["name"].is_string() || !m["value"].is_string() || !m["isRegex"].is_boolean()) {
      return TypeError("matchers", "models.Matcher", m);
    }
    bool is_regex = m["isRegex"].get<bool>();
    bool is_equal = true;
    if (m.contains("isEqual") && m["isEqual"].is_boolean()) is_equal = m["isEqual"].get<bool>();
    MatchType type = is_regex ? (is_equal ? MatchType::kRegex : MatchType::kNotRegex)
                              : (is_equal ? MatchType::kEqual : MatchType::kNotEqual);
    auto mm = Matcher::Make(type, m["name"].get<std::string>(), m["value"].get<std::string>());
    if (!mm.ok()) return mm.status();
    s.matchers.push_back(std::move(*mm));
  }
  Status st = DecodeTime(j["startsAt"], "startsAt", &s.starts_at);
  if (!st.ok()) return st;
  st = DecodeTime(j["endsAt"], "endsAt", &s.ends_at);
  if (!st.ok()) return st;
  if (!j["createdBy"].is_string()) return TypeError("createdBy", "string", j["createdBy"]);
  if (!j["comment"].is_string()) return TypeError("comment", "string", j["comment"]);
  s.created_by = j["createdBy"].get<std::string>();
  s.comment = j["comment"].get<std::string>();
  return s;
}

void AppendLabelObject(std::string* out, const LabelSet& ls) {
  *out += '{';
  bool first = true;
  for (const auto& [k, v] : ls) {
    if (!first) *out += ',';
    first = false;
    vigil::json::AppendString(out, k);
    *out += ':';
    vigil::json::AppendString(out, v);
  }
  *out += '}';
}

void AppendGettableSilence(std::string* out, const Silence& s, int64_t now) {
  *out += "{\"id\":";
  vigil::json::AppendString(out, s.id);
  *out += ",\"status\":{\"state\":\"";
  *out += SilenceStateName(StateAt(s, now));
  *out += "\"},\"updatedAt\":\"" + FormatTime(s.updated_at) + "\",\"comment\":";
  vigil::json::AppendString(out, s.comment);
  *out += ",\"createdBy\":";
  vigil::json::AppendString(out, s.created_by);
  *out += ",\"endsAt\":\"" + FormatTime(s.ends_at) + "\",\"matchers\":[";
  for (size_t i = 0; i < s.matchers.size(); ++i) {
    const Matcher& m = s.matchers[i];
    if (i > 0) *out += ',';
    *out += "{\"isEqual\":";
    *out += m.is_equal() ? "true" : "false";
    *out += ",\"isRegex\":";
    *out += m.is_regex() ? "true" : "false";
    *out += ",\"name\":";
    vigil::json::AppendString(out, m.name());
    *out += ",\"value\":";
    vigil::json::AppendString(out, m.value());
    *out += '}';
  }
  *out += "],\"startsAt\":\"" + FormatTime(s.starts_at) + "\"}";
}

}  // namespace vigil::alertmanager
