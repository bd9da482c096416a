#include "alertmanager/api.h"

#include <re2/re2.h>

#include <algorithm>

#include "alertmanager/alert_store.h"
#include "alertmanager/codec.h"
#include "alertmanager/dispatcher.h"
#include "alertmanager/inhibitor.h"
#include "alertmanager/silences.h"
#include "base/json.h"

namespace vigil::alertmanager {
namespace {

// go-swagger's error body for requests it cannot bind.
net::HttpResponse SwaggerError(int status, const std::string& message) {
  std::string body = "{\"code\":" + std::to_string(status) + ",\"message\":";
  json::AppendString(&body, message);
  body += '}';
  return net::HttpResponse::Json(status, std::move(body));
}

// Handler errors: Alertmanager's payload is the message as a JSON string.
net::HttpResponse StringError(int status, const std::string& message) {
  std::string body;
  json::AppendString(&body, message);
  return net::HttpResponse::Json(status, std::move(body));
}

// Reads a boolean query parameter (default `def`); false on a bad value.
bool BoolParam(const net::HttpRequest& req, const char* name, bool def, bool* out, std::string* err) {
  if (!req.query.Has(name)) {
    *out = def;
    return true;
  }
  std::string_view v = req.query.Get(name);
  if (v == "true" || v == "1" || v == "True" || v == "TRUE") {
    *out = true;
  } else if (v == "false" || v == "0" || v == "False" || v == "FALSE") {
    *out = false;
  } else {
    *err = std::string(name) + " in query must be of type boolean: \"" + std::string(v) + "\"";
    return false;
  }
  return true;
}

Result<Matchers> FilterParam(const net::HttpRequest& req) {
  Matchers out;
  for (const auto& f : req.query.GetAll("filter")) {
    auto m = ParseMatcher(f);
    if (!m.ok()) return m.status();
    out.push_back(std::move(*m));
  }
  return out;
}

std::string HtmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// 8-4-4-4-12 hex digits, as go-swagger's uuid format requires.
bool LooksLikeUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

// The alert's computed status at `now`.
struct AlertStatus {
  std::vector<std::string> silenced_by;
  uint64_t inhibited_by = 0;
  bool suppressed() const { return !silenced_by.empty() || inhibited_by != 0; }
};

void AppendGettableAlert(std::string* out, const Alert& a, const AlertStatus& st,
                         const std::vector<std::string>& receivers) {
  *out += "{\"annotations\":";
  AppendLabelObject(out, a.annotations);
  *out += ",\"endsAt\":\"" + FormatTime(a.ends_at) + "\",\"fingerprint\":\"" + FingerprintHex(a.fingerprint) +
          "\",\"receivers\":[";
  for (size_t i = 0; i < receivers.size(); ++i) {
    if (i > 0) *out += ',';
    *out += "{\"name\":";
    json::AppendString(out, receivers[i]);
    *out += '}';
  }
  *out += "],\"startsAt\":\"" + FormatTime(a.starts_at) + "\",\"status\":{\"inhibitedBy\":[";
  if (st.inhibited_by != 0) *out += "\"" + FingerprintHex(st.inhibited_by) + "\"";
  *out += "],\"silencedBy\":[";
  for (size_t i = 0; i < st.silenced_by.size(); ++i) {
    if (i > 0) *out += ',';
    json::AppendString(out, st.silenced_by[i]);
  }
  *out += "],\"state\":\"";
  *out += st.suppressed() ? "suppressed" : "active";
  *out += "\"},\"updatedAt\":\"" + FormatTime(a.updated_at) + "\"";
  if (!a.generator_url.empty()) {
    *out += ",\"generatorURL\":";
    json::AppendString(out, a.generator_url);
  }
  *out += ",\"labels\":";
  AppendLabelObject(out, a.labels);
  *out += '}';
}

}  // namespace

Api::Api(ApiDeps deps) : deps_(deps) {
  received_ = &deps_.registry->AddCounterFamily("alertmanager_alerts_received_total",
                                                "The total number of received alerts.", {"status", "version"});
  invalid_ = &deps_.registry->AddCounter("alertmanager_alerts_invalid_total",
                                         "The total number of received alerts that were invalid.");
}

net::HttpResponse Api::PostAlerts(net::HttpRequest& req, bool v1) {
  const char* version = v1 ? "v1" : "v2";
  auto decoded = DecodePostableAlerts(req.body);
  if (!decoded.ok()) {
    if (v1) {
      std::string body = "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":";
      json::AppendString(&body, decoded.status().message());
      return net::HttpResponse::Json(400, body + "}");
    }
    return SwaggerError(400, decoded.status().message());
  }
  auto cfg = deps_.dispatcher->config();
  int64_t resolve_timeout = cfg ? cfg->global.resolve_timeout_ms : 300'000;
  int64_t now = NowMs();
  std::string errors;
  for (Alert& a : *decoded) {
    a.updated_at = now;
    if (a.starts_at == 0) a.starts_at = a.ends_at == 0 ? now : a.ends_at;
    if (a.ends_at == 0) {
      a.timeout = true;
      a.ends_at = now + resolve_timeout;
    }
    Status st = ValidateAlert(a);
    if (st.ok()) {
      auto stored = deps_.alerts->Put(std::move(a));
      if (!stored) {
        st = Status::ResourceExhausted("too many alerts stored");
      } else {
        received_->WithLabels({stored->Resolved(now) ? "resolved" : "firing", version}).Inc();
        deps_.inhibitor->Observe(*stored);
        deps_.dispatcher->Add(*stored);
      }
    }
    if (!st.ok()) {
      invalid_->Inc();
      if (!errors.empty()) errors += "; ";
      errors += st.message();
    }
  }
  if (!errors.empty()) {
    if (v1) {
      std::string body = "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":";
      json::AppendString(&body, errors);
      return net::HttpResponse::Json(400, body + "}");
    }
    return StringError(400, errors);
  }
  if (v1) return net::HttpResponse::Json(200, "{\"status\":\"success\"}");
  return net::HttpResponse::Json(200, "");
}

net::HttpResponse Api::GetAlerts(net::HttpRequest& req) {
  bool active, silenced, inhibited, unprocessed;
  std::string err;
  if (!BoolParam(req, "active", true, &active, &err) || !BoolParam(req, "silenced", true, &silenced, &err) ||
      !BoolParam(req, "inhibited", true, &inhibited, &err) ||
      !BoolParam(req, "unprocessed", true, &unprocessed, &err)) {
    return SwaggerError(400, err);
  }
  auto filter = FilterParam(req);
  if (!filter.ok()) return StringError(400, filter.status().message());
  std::unique_ptr<RE2> receiver_re;
  if (req.query.Has("receiver")) {
    receiver_re = std::make_unique<RE2>("^(?:" + std::string(req.query.Get("receiver")) + ")$", RE2::Quiet);
    if (!receiver_re->ok()) return StringError(400, "failed to parse receiver param: " + receiver_re->error());
  }
  int64_t now = NowMs();
  std::vector<Alert> alerts;
  deps_.alerts->ForEach([&](const Alert& a) {
    if (!a.Resolved(now) && MatchesAll(*filter, a.labels)) alerts.push_back(a);
  });
  std::sort(alerts.begin(), alerts.end(), [](const Alert& a, const Alert& b) { return a.fingerprint < b.fingerprint; });
  std::string out = "[";
  bool first = true;
  for (const auto& a : alerts) {
    auto receivers = deps_.dispatcher->ReceiversFor(a.labels);
    if (receiver_re) {
      bool any = std::any_of(receivers.begin(), receivers.end(),
                             [&](const std::string& r) { return RE2::FullMatch(r, *receiver_re); });
      if (!any) continue;
    }
    AlertStatus st;
    st.silenced_by = deps_.silences->Mutes(a.labels, now);
    st.inhibited_by = deps_.inhibitor->InhibitedBy(a.labels, now);
    if (!active && !st.suppressed()) continue;
    if (!silenced && !st.silenced_by.empty()) continue;
    if (!inhibited && st.inhibited_by != 0) continue;
    if (!first) out += ',';
    first = false;
    AppendGettableAlert(&out, a, st, receivers);
  }
  out += ']';
  return net::HttpResponse::Json(200, std::move(out));
}

net::HttpResponse Api::GetAlertGroups(net::HttpRequest& req) {
  bool active, silenced, inhibited;
  std::string err;
  if (!BoolParam(req, "active", true, &active, &err) || !BoolParam(req, "silenced", true, &silenced, &err) ||
      !BoolParam(req, "inhibited", true, &inhibited, &err)) {
    return SwaggerError(400, err);
  }
  auto filter = FilterParam(req);
  if (!filter.ok()) return StringError(400, filter.status().message());
  std::unique_ptr<RE2> receiver_re;
  if (req.query.Has("receiver")) {
    receiver_re = std::make_unique<RE2>("^(?:" + std::string(req.query.Get("receiver")) + ")$", RE2::Quiet);
    if (!receiver_re->ok()) return StringError(400, "failed to parse receiver param: " + receiver_re->error());
  }
  int64_t now = NowMs();
  std::string out = "[";
  bool first_group = true;
  for (const auto& g : deps_.dispatcher->Groups()) {
    if (receiver_re && !RE2::FullMatch(g.receiver, *receiver_re)) continue;
    std::string alerts_json;
    for (uint64_t fp : g.fingerprints) {
      auto a = deps_.alerts->Get(fp);
      if (!a || a->Resolved(now) || !MatchesAll(*filter, a->labels)) continue;
      AlertStatus st;
      st.silenced_by = deps_.silences->Mutes(a->labels, now);
      st.inhibited_by = deps_.inhibitor->InhibitedBy(a->labels, now);
      if (!active && !st.suppressed()) continue;
      if (!silenced && !st.silenced_by.empty()) continue;
      if (!inhibited && st.inhibited_by != 0) continue;
      if (!alerts_json.empty()) alerts_json += ',';
      AppendGettableAlert(&alerts_json, *a, st, deps_.dispatcher->ReceiversFor(a->labels));
    }
    if (alerts_json.empty()) continue;
    if (!first_group) out += ',';
    first_group = false;
    out += "{\"alerts\":[" + alerts_json + "],\"labels\":";
    AppendLabelObject(&out, g.labels);
    out += ",\"receiver\":{\"name\":";
    json::AppendString(&out, g.receiver);
    out += "}}";
  }
  out += ']';
  return net::HttpResponse::Json(200, std::move(out));
}

net::HttpResponse Api::GetSilences(net::HttpRequest& req) {
  auto filter = FilterParam(req);
  if (!filter.ok()) return StringError(400, filter.status().message());
  int64_t now = NowMs();
  auto silences = deps_.silences->List();
  // Alertmanager lists active, then pending, then expired silences.
  auto rank = [now](const Silence& s) {
    switch (StateAt(s, now)) {
      case SilenceState::kActive:
        return 0;
      case SilenceState::kPending:
        return 1;
      default:
        return 2;
    }
  };
  std::sort(silences.begin(), silences.end(), [&](const Silence& a, const Silence& b) {
    int ra = rank(a), rb = rank(b);
    if (ra != rb) return ra < rb;
    if (ra == 2) return a.ends_at > b.ends_at;
    return ra == 0 ? a.ends_at < b.ends_at : a.starts_at < b.starts_at;
  });
  std::string out = "[";
  bool first = true;
  for (const auto& s : silences) {
    // A filter matcher selects silences having an equal matcher label set:
    // Alertmanager checks the filter against the silence's matcher values.
    LabelSet as_labels;
    for (const auto& m : s.matchers) as_labels[m.name()] = m.value();
    if (!MatchesAll(*filter, as_labels)) continue;
    if (!first) out += ',';
    first = false;
    AppendGettableSilence(&out, s, now);
  }
  out += ']';
  return net::HttpResponse::Json(200, std::move(out));
}

net::HttpResponse Api::PostSilence(net::HttpRequest& req) {
  auto s = DecodePostableSilence(req.body);
  if (!s.ok()) return SwaggerError(400, s.status().message());
  auto id = deps_.silences->Set(std::move(*s), NowMs());
  if (!id.ok()) {
    int code = id.status().code() == Status::Code::kNotFound ? 404 : 400;
    return StringError(code, id.status().message());
  }
  std::string body = "{\"silenceID\":";
  json::AppendString(&body, *id);
  return net::HttpResponse::Json(200, body + "}");
}

net::HttpResponse Api::GetSilence(net::HttpRequest& req) {
  auto s = deps_.silences->Get(std::string(req.PathParam("id")));
  if (!s) return net::HttpResponse::Json(404, "");
  std::string out;
  AppendGettableSilence(&out, *s, NowMs());
  return net::HttpResponse::Json(200, std::move(out));
}

net::HttpResponse Api::DeleteSilence(net::HttpRequest& req) {
  std::string id(req.PathParam("id"));
  if (!LooksLikeUuid(id)) {
    std::string body = "{\"code\":601,\"message\":";
    json::AppendString(&body, "silenceID in path must be of type uuid: \"" + id + "\"");
    return net::HttpResponse::Json(422, body + "}");
  }
  Status st = deps_.silences->Expire(id, NowMs());
  // Alertmanager 0.25 answers an unknown id with a 500 "silence not found".
  if (st.code() == Status::Code::kNotFound) return StringError(500, "silence not found");
  if (!st.ok()) return StringError(500, st.message());
  return net::HttpResponse::Json(200, "");
}

net::HttpResponse Api::GetStatus(net::HttpRequest&) {
  auto cfg = deps_.dispatcher->config();
  std::string out = "{\"cluster\":{\"peers\":[],\"status\":\"disabled\"},\"config\":{\"original\":";
  json::AppendString(&out, cfg ? cfg->original : "");
  out += "},\"uptime\":\"" + FormatTime(deps_.started_unix_ms) + "\",";
  out += "\"versionInfo\":{\"branch\":\"vigil\",\"buildDate\":\"\",\"buildUser\":\"vigil\",\"goVersion\":\"\","
         "\"revision\":\"vigil\",\"version\":\"0.25.0\"}}";
  return net::HttpResponse::Json(200, std::move(out));
}

net::HttpResponse Api::GetReceivers(net::HttpRequest&) {
  auto cfg = deps_.dispatcher->config();
  std::string out = "[";
  if (cfg) {
    for (size_t i = 0; i < cfg->receivers.size(); ++i) {
      if (i > 0) out += ',';
      out += "{\"name\":";
      json::AppendString(&out, cfg->receivers[i].name);
      out += '}';
    }
  }
  out += ']';
  return net::HttpResponse::Json(200, std::move(out));
}

net::HttpResponse Api::Index(net::HttpRequest&) {
  int64_t now = NowMs();
  std::string html =
      "<!doctype html><html><head><meta charset=\"utf-8\"><title>Vigil Alertmanager</title>"
      "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
      "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}</style></head><body>"
      "<h1>Alertmanager</h1><h2>Groups</h2>";
  for (const auto& g : deps_.dispatcher->Groups()) {
    html += "<h3>" + HtmlEscape(LabelSetString(g.labels)) + " &rarr; " + HtmlEscape(g.receiver) + "</h3><ul>";
    for (uint64_t fp : g.fingerprints) {
      auto a = deps_.alerts->Get(fp);
      if (!a) continue;
      html += "<li>" + HtmlEscape(LabelSetString(a->labels)) + (a->Resolved(now) ? " (resolved)" : "") +
              " since " + FormatTime(a->starts_at) + "</li>";
    }
    html += "</ul>";
  }
  html += "<h2>Silences</h2><table><tr><th>id</th><th>state</th><th>matchers</th><th>ends</th><th>by</th>"
          "<th>comment</th></tr>";
  for (const auto& s : deps_.silences->List()) {
    html += "<tr><td>" + HtmlEscape(s.id) + "</td><td>" + SilenceStateName(StateAt(s, now)) + "</td><td>" +
            HtmlEscape(MatchersString(s.matchers)) + "</td><td>" + FormatTime(s.ends_at) + "</td><td>" +
            HtmlEscape(s.created_by) + "</td><td>" + HtmlEscape(s.comment) + "</td></tr>";
  }
  html += "</table></body></html>";
  net::HttpResponse r;
  r.body = std::move(html);
  r.SetHeader("Content-Type", "text/html; charset=utf-8");
  return r;
}

}  // namespace vigil::alertmanager
