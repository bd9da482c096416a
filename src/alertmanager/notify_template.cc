#include "alertmanager/notify_template.h"

#include <glob.h>

#include <algorithm>

#include "alertmanager/notify.h"
#include "base/file_util.h"

namespace vigil::alertmanager {
namespace {

using tmpl::Value;
using tmpl::ValueList;

// The templates every configuration has. The names and the subject/text
// shapes are Alertmanager's (operators' templates call them); the HTML
// layout is Vigil's own.
constexpr std::string_view kDefaultTemplates = R"TMPL({{ define "__alertmanager" }}Vigil Alertmanager{{ end }}
{{ define "__alertmanagerURL" }}{{ .ExternalURL }}/#/alerts{{ end }}
{{ define "__subject" }}[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] {{ .GroupLabels.SortedPairs.Values | join " " }} {{ if gt (len .CommonLabels) (len .GroupLabels) }}({{ with .CommonLabels.Remove .GroupLabels.Names }}{{ .Values | join " " }}{{ end }}){{ end }}{{ end }}
{{ define "__description" }}{{ end }}
{{ define "__text_alert_list" }}{{ range . }}Labels:
{{ range .Labels.SortedPairs }} - {{ .Name }} = {{ .Value }}
{{ end }}Annotations:
{{ range .Annotations.SortedPairs }} - {{ .Name }} = {{ .Value }}
{{ end }}Source: {{ .GeneratorURL }}
{{ end }}{{ end }}
{{ define "email.default.subject" }}{{ template "__subject" . }}{{ end }}
{{ define "__email_alert_rows" }}{{ range . }}
<tr><td style="padding:8px 12px;border-top:1px solid #ddd">
<b>Labels</b><br>
{{ range .Labels.SortedPairs }}{{ .Name }} = {{ .Value }}<br>
{{ end }}{{ if gt (len .Annotations) 0 }}<b>Annotations</b><br>
{{ end }}{{ range .Annotations.SortedPairs }}{{ .Name }} = {{ .Value }}<br>
{{ end }}<a href="{{ .GeneratorURL }}">Source</a>
</td></tr>{{ end }}{{ end }}
{{ define "email.default.html" }}<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>{{ template "__subject" . }}</title></head>
<body style="font-family:Helvetica,Arial,sans-serif;font-size:14px;background:#f6f6f6;margin:0;padding:16px">
<table style="max-width:600px;margin:0 auto;background:#fff;border:1px solid #e9e9e9;border-collapse:collapse" width="100%">
<tr><td style="background:{{ if eq .Status "firing" }}#e6522c{{ else }}#68b90f{{ end }};color:#fff;font-size:16px;text-align:center;padding:16px">
{{ .Alerts | len }} alert{{ if gt (len .Alerts) 1 }}s{{ end }} for {{ range .GroupLabels.SortedPairs }}{{ .Name }}={{ .Value }} {{ end }}
</td></tr>
<tr><td style="padding:12px"><a href="{{ template "__alertmanagerURL" . }}">View in {{ template "__alertmanager" . }}</a></td></tr>
{{ if gt (len .Alerts.Firing) 0 }}<tr><td style="padding:8px 12px"><b>[{{ .Alerts.Firing | len }}] Firing</b></td></tr>{{ template "__email_alert_rows" .Alerts.Firing }}
{{ end }}{{ if gt (len .Alerts.Resolved) 0 }}<tr><td style="padding:8px 12px"><b>[{{ .Alerts.Resolved | len }}] Resolved</b></td></tr>{{ template "__email_alert_rows" .Alerts.Resolved }}
{{ end }}<tr><td style="padding:12px;color:#999;font-size:12px;text-align:center"><a href="{{ .ExternalURL }}">Sent by {{ template "__alertmanager" . }}</a></td></tr>
</table>
</body>
</html>
{{ end }}
)TMPL";

std::vector<std::string> StringsOf(const Value& v) {
  std::vector<std::string> out;
  if (v.kind() != Value::Kind::kList) return out;
  for (const Value& item : v.as_list()) out.push_back(item.kind() == Value::Kind::kString ? item.as_string() : item.ToString());
  return out;
}

Value StringList(const std::vector<std::string>& items) {
  ValueList list;
  list.reserve(items.size());
  for (const auto& s : items) list.push_back(Value::String(s));
  return Value::List(std::move(list));
}

// KV.SortedPairs' order: "alertname" first, the other names sorted.
std::vector<std::pair<std::string, std::string>> SortedPairs(const Value& kv) {
  std::vector<std::pair<std::string, std::string>> pairs;
  if (kv.kind() != Value::Kind::kMap) return pairs;
  for (const auto& [k, v] : kv.as_map().entries) pairs.emplace_back(k, v.ToString());
  auto alertname = std::find_if(pairs.begin(), pairs.end(), [](const auto& p) { return p.first == "alertname"; });
  if (alertname != pairs.end()) std::rotate(pairs.begin(), alertname, alertname + 1);
  return pairs;
}

std::shared_ptr<const tmpl::MethodTable> PairsMethods() {
  static const auto table = [] {
    auto t = std::make_shared<tmpl::MethodTable>();
    t->type_name = "template.Pairs";
    auto field = [](const char* name) {
      return [name](const Value& self, std::span<const Value>) -> Result<Value> {
        ValueList out;
        for (const Value& pair : self.as_list()) out.push_back(pair.as_map().entries.at(name));
        return Value::List(std::move(out));
      };
    };
    t->methods["Names"] = field("Name");
    t->methods["Values"] = field("Value");
    t->stringer = [](const Value& self) {
      std::string s;
      for (const Value& pair : self.as_list()) {
        if (!s.empty()) s += ", ";
        s += pair.as_map().entries.at("Name").as_string() + "=" + pair.as_map().entries.at("Value").as_string();
      }
      return s;
    };
    return t;
  }();
  return table;
}

Value KvValue(const LabelSet& labels);

std::shared_ptr<const tmpl::MethodTable> KvMethods() {
  static const auto table = [] {
    auto t = std::make_shared<tmpl::MethodTable>();
    t->type_name = "template.KV";
    t->methods["SortedPairs"] = [](const Value& self, std::span<const Value>) -> Result<Value> {
      ValueList pairs;
      for (auto& [k, v] : SortedPairs(self)) {
        tmpl::ValueMap pair;
        pair.entries["Name"] = Value::String(k);
        pair.entries["Value"] = Value::String(v);
        pairs.push_back(Value::Map(std::move(pair)));
      }
      return Value::List(std::move(pairs)).WithMethods(PairsMethods());
    };
    t->methods["Names"] = [](const Value& self, std::span<const Value>) -> Result<Value> {
      std::vector<std::string> names;
      for (auto& [k, v] : SortedPairs(self)) names.push_back(k);
      return StringList(names);
    };
    t->methods["Values"] = [](const Value& self, std::span<const Value>) -> Result<Value> {
      std::vector<std::string> values;
      for (auto& [k, v] : SortedPairs(self)) values.push_back(v);
      return StringList(values);
    };
    t->methods["Remove"] = [](const Value& self, std::span<const Value> args) -> Result<Value> {
      if (args.size() != 1) return Status::InvalidArgument("wrong number of args for Remove: want 1 got " + std::to_string(args.size()));
      std::vector<std::string> drop = StringsOf(args[0]);
      LabelSet kept;
      for (auto& [k, v] : SortedPairs(self)) {
        if (std::find(drop.begin(), drop.end(), k) == drop.end()) kept[k] = v;
      }
      return KvValue(kept);
    };
    t->stringer = [](const Value& self) {
      std::string s;
      for (auto& [k, v] : SortedPairs(self)) s += (s.empty() ? "" : ", ") + k + "=" + v;
      return s;
    };
    return t;
  }();
  return table;
}

Value KvValue(const LabelSet& labels) {
  tmpl::StringMap m(labels.begin(), labels.end());
  return Value::Strings(m).WithMethods(KvMethods());
}

ValueList AlertsWithStatus(const Value& alerts, std::string_view status) {
  ValueList out;
  for (const Value& a : alerts.as_list()) {
    if (a.as_map().entries.at("Status").as_string() == status) out.push_back(a);
  }
  return out;
}

std::shared_ptr<const tmpl::MethodTable> AlertsMethods() {
  static const auto table = [] {
    auto t = std::make_shared<tmpl::MethodTable>();
    t->type_name = "template.Alerts";
    t->methods["Firing"] = [](const Value& self, std::span<const Value>) -> Result<Value> {
      return Value::List(AlertsWithStatus(self, "firing"));
    };
    t->methods["Resolved"] = [](const Value& self, std::span<const Value>) -> Result<Value> {
      return Value::List(AlertsWithStatus(self, "resolved"));
    };
    return t;
  }();
  return table;
}

std::shared_ptr<const tmpl::MethodTable> HtmlMethods() {
  static const auto table = [] {
    auto t = std::make_shared<tmpl::MethodTable>();
    t->type_name = "template.HTML";
    return t;
  }();
  return table;
}

// Go's regexp.QuoteMeta.
std::string QuoteMeta(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::string_view("\\.+*?()|[]{}^$").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

// html/template's escaping of text in an HTML element.
std::string EscapeHtml(const Value& v, std::string printed) {
  if (v.methods() == HtmlMethods().get()) return printed;
  std::string out;
  out.reserve(printed.size());
  for (char c : printed) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      case '+': out += "&#43;"; break;
      case '\0': out += "\xEF\xBF\xBD"; break;
      default: out += c;
    }
  }
  return out;
}

Result<Value> StringArg(const Value& v, const char* what) {
  if (v.kind() != Value::Kind::kString) {
    return Status::InvalidArgument(std::string("wrong type for ") + what + ": expected string; got " + v.GoTypeName());
  }
  return v;
}

tmpl::FuncMap AlertmanagerFunctions() {
  tmpl::FuncMap m;
  m["join"] = {2, 2, [](std::span<const Value> a, tmpl::CallEnv&) -> Result<Value> {
                 auto sep = StringArg(a[0], "sep");
                 if (!sep.ok()) return sep.status();
                 if (a[1].kind() != Value::Kind::kList) {
                   return Status::InvalidArgument("wrong type for value; expected []string; got " + a[1].GoTypeName());
                 }
                 std::string out;
                 bool first = true;
                 for (const std::string& s : StringsOf(a[1])) {
                   if (!first) out += sep->as_string();
                   first = false;
                   out += s;
                 }
                 return Value::String(out);
               }};
  m["trimSpace"] = {1, 1, [](std::span<const Value> a, tmpl::CallEnv&) -> Result<Value> {
                      auto s = StringArg(a[0], "s");
                      if (!s.ok()) return s.status();
                      std::string_view v = s->as_string();
                      const char* ws = " \t\n\r\v\f";
                      size_t b = v.find_first_not_of(ws);
                      if (b == std::string_view::npos) return Value::String("");
                      return Value::String(std::string(v.substr(b, v.find_last_not_of(ws) - b + 1)));
                    }};
  m["stringSlice"] = {0, -1, [](std::span<const Value> a, tmpl::CallEnv&) -> Result<Value> {
                        ValueList out;
                        for (const Value& v : a) {
                          auto s = StringArg(v, "s");
                          if (!s.ok()) return s.status();
                          out.push_back(*s);
                        }
                        return Value::List(std::move(out));
                      }};
  m["safeHtml"] = {1, 1, [](std::span<const Value> a, tmpl::CallEnv&) -> Result<Value> {
                     auto s = StringArg(a[0], "text");
                     if (!s.ok()) return s.status();
                     return s->WithMethods(HtmlMethods());
                   }};
  return m;
}

}  // namespace

Result<std::shared_ptr<const NotificationTemplates>> NotificationTemplates::Load(const std::vector<std::string>& globs,
                                                                                const std::string& base_dir) {
  tmpl::ParseOptions options;
  options.funcs = AlertmanagerFunctions();
  auto set = tmpl::Template::Parse("default.tmpl", kDefaultTemplates, options);
  if (!set.ok()) return set.status();
  for (const std::string& pattern : globs) {
    std::string full = pattern.starts_with('/') || base_dir.empty() ? pattern : base_dir + "/" + pattern;
    glob_t g{};
    int rc = ::glob(full.c_str(), 0, nullptr, &g);
    std::vector<std::string> files(g.gl_pathv, g.gl_pathv + (rc == 0 ? g.gl_pathc : 0));
    ::globfree(&g);
    if (rc != 0 && rc != GLOB_NOMATCH) return Status::InvalidArgument("template glob " + full + " failed");
    for (const std::string& file : files) {
      auto text = ReadFile(file, 4 << 20);
      if (!text.ok()) return Status::InvalidArgument("cannot read template " + file + ": " + text.status().message());
      std::string name = file.substr(file.rfind('/') + 1);
      auto next = set->ParseMore(name, *text);
      if (!next.ok()) return Status::InvalidArgument("failed to parse template " + file + ": " + next.status().message());
      set = std::move(next);
    }
  }
  return std::shared_ptr<const NotificationTemplates>(new NotificationTemplates(*std::move(set)));
}

std::shared_ptr<const NotificationTemplates> NotificationTemplates::Defaults() {
  static const auto defaults = *Load({}, "");
  return defaults;
}

Result<std::string> NotificationTemplates::Expand(std::string_view text, const Value& data, bool html) const {
  if (text.empty()) return std::string();
  auto t = set_.ParseMore("", text);
  if (!t.ok()) return t.status();
  tmpl::ExecContext ctx;
  if (html) ctx.escape_action = EscapeHtml;
  return t->Execute(data, ctx);
}

Result<std::string> NotificationTemplates::ExpandText(std::string_view text, const Value& data) const {
  return Expand(text, data, false);
}

Result<std::string> NotificationTemplates::ExpandHtml(std::string_view text, const Value& data) const {
  return Expand(text, data, true);
}

Value NotificationTemplates::MakeData(const NotificationData& d) {
  ValueList alerts;
  for (const Alert& a : d.alerts) {
    tmpl::ValueMap m;
    m.entries["Status"] = Value::String(a.Resolved(d.now) ? "resolved" : "firing");
    m.entries["Labels"] = KvValue(a.labels);
    m.entries["Annotations"] = KvValue(a.annotations);
    m.entries["StartsAt"] = Value::Time(a.starts_at * 1'000'000);
    m.entries["EndsAt"] = Value::Time(a.ends_at * 1'000'000);
    m.entries["GeneratorURL"] = Value::String(a.generator_url);
    m.entries["Fingerprint"] = Value::String(FingerprintHex(a.fingerprint));
    alerts.push_back(Value::Map(std::move(m)));
  }
  tmpl::ValueMap data;
  data.entries["Receiver"] = Value::String(QuoteMeta(d.receiver));
  data.entries["Status"] = Value::String(d.Firing() ? "firing" : "resolved");
  data.entries["Alerts"] = Value::List(std::move(alerts)).WithMethods(AlertsMethods());
  data.entries["GroupLabels"] = KvValue(d.group_labels);
  data.entries["CommonLabels"] = KvValue(d.CommonLabels());
  data.entries["CommonAnnotations"] = KvValue(d.CommonAnnotations());
  data.entries["ExternalURL"] = Value::String(d.external_url);
  return Value::Map(std::move(data));
}

}  // namespace vigil::alertmanager
