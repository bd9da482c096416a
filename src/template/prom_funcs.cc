// Prometheus 2.42's template functions (template/template.go) and the
// extra ones vmalert adds (now, quotesEscape, jsonEscape, htmlEscape,
// queryEscape, pathEscape, crlfEscape). Number formats follow Go's fmt
// exactly (humanize uses %.4g).

#include <arpa/inet.h>
#include <re2/re2.h>

#include <algorithm>
#include <cmath>

#include "template/func_util.h"
#include "template/go_fmt.h"
#include "template/go_time.h"

namespace vigil::tmpl {
namespace internal {

Result<double> ConvertToFloat(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kFloat: return v.as_float();
    case Value::Kind::kInt: return static_cast<double>(v.as_int());
    case Value::Kind::kString: return ParseGoFloat(v.as_string());
    default: return Status::InvalidArgument("can't convert " + v.GoTypeName() + " to float");
  }
}

}  // namespace internal

namespace {

using internal::ConvertToFloat;
using internal::FormatFloat;
using internal::StringArg;
using internal::WrongType;

using Body = std::function<Result<Value>(std::span<const Value>, CallEnv&)>;

Function Fixed(int n, Body f) { return Function{n, n, std::move(f)}; }

// A one-argument string -> string function.
Function StringFn(std::string (*fn)(std::string_view)) {
  return Fixed(1, [fn](std::span<const Value> a, CallEnv&) -> Result<Value> {
    auto s = StringArg(a[0]);
    if (!s.ok()) return s.status();
    return Value::String(fn(*s));
  });
}

// A one-number -> string function; numbers may be given as strings.
Function NumberFn(Result<std::string> (*fn)(double)) {
  return Fixed(1, [fn](std::span<const Value> a, CallEnv&) -> Result<Value> {
    auto v = ConvertToFloat(a[0]);
    if (!v.ok()) return v.status();
    auto s = fn(*v);
    if (!s.ok()) return s.status();
    return Value::String(std::move(*s));
  });
}

std::string G4(double v) { return FormatFloat(v, 'g', 4); }

Result<std::string> Humanize(double v) {
  if (v == 0 || std::isnan(v) || std::isinf(v)) return G4(v);
  if (std::fabs(v) >= 1) {
    const char* prefix = "";
    for (const char* p : {"k", "M", "G", "T", "P", "E", "Z", "Y"}) {
      if (std::fabs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return G4(v) + prefix;
  }
  const char* prefix = "";
  for (const char* p : {"m", "u", "n", "p", "f", "a", "z", "y"}) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return G4(v) + prefix;
}

Result<std::string> Humanize1024(double v) {
  if (std::fabs(v) <= 1 || std::isnan(v) || std::isinf(v)) return G4(v);
  const char* prefix = "";
  for (const char* p : {"ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"}) {
    if (std::fabs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return G4(v) + prefix;
}

Result<std::string> HumanizeDuration(double v) {
  if (std::isnan(v) || std::isinf(v)) return G4(v);
  if (v == 0) return G4(v) + "s";
  if (std::fabs(v) >= 1) {
    std::string sign;
    if (v < 0) {
      sign = "-";
      v = -v;
    }
    // Go's int64(v) of a float beyond int64 is unspecified; clamp.
    const int64_t whole = v >= 9.2e18 ? INT64_MAX : static_cast<int64_t>(v);
    const int64_t seconds = whole % 60;
    const int64_t minutes = (whole / 60) % 60;
    const int64_t hours = (whole / 60 / 60) % 24;
    const int64_t days = whole / 60 / 60 / 24;
    auto s = [](int64_t x) { return std::to_string(x); };
    if (days != 0) return sign + s(days) + "d " + s(hours) + "h " + s(minutes) + "m " + s(seconds) + "s";
    if (hours != 0) return sign + s(hours) + "h " + s(minutes) + "m " + s(seconds) + "s";
    if (minutes != 0) return sign + s(minutes) + "m " + s(seconds) + "s";
    return sign + G4(v) + "s";
  }
  const char* prefix = "";
  for (const char* p : {"m", "u", "n", "p", "f", "a", "z", "y"}) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return G4(v) + prefix + "s";
}

Result<std::string> HumanizePercentage(double v) { return G4(v * 100) + "%"; }

// Prometheus' floatToTime: seconds to a time truncated to milliseconds.
Result<int64_t> FloatToTime(double v) {
  if (std::isnan(v) || std::isinf(v)) return Status::InvalidArgument("value is NaN or Inf");
  const double ns = v * 1e9;
  if (ns >= 9223372036854775808.0 || ns < -9223372036854775808.0) {
    return Status::InvalidArgument(FormatGoFloat(v) +
                                   " cannot be represented as a nanoseconds timestamp since it overflows int64");
  }
  const int64_t ms = static_cast<int64_t>(ns) / 1'000'000;  // model.TimeFromUnixNano truncates
  return ms * 1'000'000;
}

Result<std::string> HumanizeTimestamp(double v) {
  if (std::isnan(v) || std::isinf(v)) return G4(v);
  auto t = FloatToTime(v);
  if (!t.ok()) return t.status();
  return internal::GoTimeString(*t);
}

// net.SplitHostPort.
bool SplitHostPort(std::string_view hp, std::string_view* host, std::string_view* port) {
  const size_t i = hp.rfind(':');
  if (i == std::string_view::npos) return false;
  size_t j = 0, k = 0;
  if (!hp.empty() && hp[0] == '[') {
    const size_t end = hp.find(']');
    if (end == std::string_view::npos) return false;
    if (end + 1 == hp.size() || end + 1 != i) return false;
    *host = hp.substr(1, end - 1);
    j = 1;
    k = end + 1;
  } else {
    *host = hp.substr(0, i);
    if (host->find(':') != std::string_view::npos) return false;
  }
  if (hp.substr(j).find('[') != std::string_view::npos) return false;
  if (hp.substr(k).find(']') != std::string_view::npos) return false;
  *port = hp.substr(i + 1);
  return true;
}

// net.ParseIP != nil.
bool IsIP(std::string_view s) {
  const std::string z(s);
  unsigned char buf[16];
  return inet_pton(AF_INET, z.c_str(), buf) == 1 || inet_pton(AF_INET6, z.c_str(), buf) == 1;
}

std::string StripPort(std::string_view hp) {
  std::string_view host, port;
  if (!SplitHostPort(hp, &host, &port)) return std::string(hp);
  return std::string(host);
}

std::string StripDomain(std::string_view hp) {
  std::string_view host, port;
  if (!SplitHostPort(hp, &host, &port)) {
    host = hp;
    port = std::string_view();
  }
  if (IsIP(host)) return std::string(hp);
  host = host.substr(0, host.find('.'));
  if (port.empty()) return std::string(host);
  if (host.find(':') != std::string_view::npos) return "[" + std::string(host) + "]:" + std::string(port);
  return std::string(host) + ":" + std::string(port);
}

std::string GraphLink(std::string_view expr) { return "/graph?g0.expr=" + internal::QueryEscape(expr) + "&g0.tab=0"; }
std::string TableLink(std::string_view expr) { return "/graph?g0.expr=" + internal::QueryEscape(expr) + "&g0.tab=1"; }
std::string Identity(std::string_view s) { return std::string(s); }
std::string QuotesEscape(std::string_view s) {
  std::string q = internal::JsonQuote(s);
  return q.substr(1, q.size() - 2);
}
std::string CrlfEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out.append("\\n");
    else if (c == '\r') out.append("\\r");
    else out.push_back(c);
  }
  return out;
}

// The path of a URL ("http://host:9090/prefix?x" -> "/prefix").
std::string UrlPath(std::string_view url) {
  size_t start = 0;
  const size_t scheme = url.find("://");
  if (scheme != std::string_view::npos) {
    start = url.find('/', scheme + 3);
    if (start == std::string_view::npos) return std::string();
  }
  const size_t end = url.find_first_of("?#", start);
  return std::string(url.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
}

Result<std::unique_ptr<RE2>> CompileRegexp(std::string_view pattern) {
  RE2::Options opts;
  opts.set_log_errors(false);
  auto re = std::make_unique<RE2>(re2::StringPiece(pattern.data(), pattern.size()), opts);
  if (!re->ok()) return Status::InvalidArgument("error parsing regexp: " + re->error());
  return re;
}

bool IsNameChar(char c) {
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         static_cast<unsigned char>(c) >= 0x80;
}

// regexp.Expand of `tmpl` with the submatches `groups`.
void Expand(std::string_view tmpl, const std::vector<re2::StringPiece>& groups, const RE2& re, std::string* out) {
  while (!tmpl.empty()) {
    const size_t dollar = tmpl.find('$');
    if (dollar == std::string_view::npos) {
      out->append(tmpl);
      return;
    }
    out->append(tmpl.substr(0, dollar));
    tmpl.remove_prefix(dollar + 1);
    if (!tmpl.empty() && tmpl[0] == '$') {
      out->push_back('$');
      tmpl.remove_prefix(1);
      continue;
    }
    std::string_view name;
    size_t consumed = 0;
    if (!tmpl.empty() && tmpl[0] == '{') {
      size_t i = 1;
      while (i < tmpl.size() && IsNameChar(tmpl[i])) ++i;
      if (i < tmpl.size() && tmpl[i] == '}' && i > 1) {
        name = tmpl.substr(1, i - 1);
        consumed = i + 1;
      }
    } else {
      size_t i = 0;
      while (i < tmpl.size() && IsNameChar(tmpl[i])) ++i;
      name = tmpl.substr(0, i);
      consumed = i;
    }
    if (name.empty()) {
      out->push_back('$');  // malformed: the '$' is literal text
      continue;
    }
    tmpl.remove_prefix(consumed);
    int64_t num = 0;
    for (char c : name) {
      if (c < '0' || c > '9' || num >= 100000000) {
        num = -1;
        break;
      }
      num = num * 10 + (c - '0');
    }
    if (name.size() > 1 && name[0] == '0') num = -1;
    if (num >= 0) {
      if (static_cast<size_t>(num) < groups.size() && groups[num].data() != nullptr) {
        out->append(groups[num].data(), groups[num].size());
      }
      continue;
    }
    const auto& names = re.NamedCapturingGroups();
    auto it = names.find(std::string(name));
    if (it != names.end() && static_cast<size_t>(it->second) < groups.size() &&
        groups[it->second].data() != nullptr) {
      out->append(groups[it->second].data(), groups[it->second].size());
    }
  }
}

// regexp.ReplaceAllString: empty matches right after a match are skipped.
std::string ReplaceAll(const RE2& re, std::string_view text, std::string_view repl) {
  std::string out;
  const int ngroups = re.NumberOfCapturingGroups() + 1;
  std::vector<re2::StringPiece> groups(ngroups);
  const re2::StringPiece src(text.data(), text.size());
  size_t last_end = 0;
  size_t search = 0;
  bool matched_before = false;
  while (search <= text.size()) {
    if (!re.Match(src, search, text.size(), RE2::UNANCHORED, groups.data(), ngroups)) break;
    const size_t a0 = static_cast<size_t>(groups[0].data() - text.data());
    const size_t a1 = a0 + groups[0].size();
    out.append(text.substr(last_end, a0 - last_end));
    if (a1 > last_end || a0 == 0 || !matched_before) Expand(repl, groups, re, &out);
    matched_before = true;
    last_end = a1;
    size_t width = 1;
    if (search < text.size()) {
      uint32_t r;
      width = internal::DecodeRune(text.substr(search), &r);
    }
    if (search + width > a1) {
      search += width;
    } else if (search + 1 > a1) {
      ++search;
    } else {
      search = a1;
    }
  }
  out.append(text.substr(std::min(last_end, text.size())));
  return out;
}

Result<Value> SampleArg(const Value& v) {
  if (v.kind() != Value::Kind::kSample) return WrongType("*template.sample", v);
  return v;
}

FuncMap MakePrometheusFunctions() {
  FuncMap m;
  m["query"] = Fixed(1, [](std::span<const Value> a, CallEnv& env) -> Result<Value> {
    auto q = StringArg(a[0]);
    if (!q.ok()) return q.status();
    if (!env.context().query) {
      return Status::InvalidArgument("cannot execute query " + internal::GoQuote(*q) +
                                     ": query is not available in this context");
    }
    auto r = env.context().query(*q);
    if (!r.ok()) return Status::InvalidArgument(r.status().message());
    ValueList out;
    out.reserve(r->size());
    for (QuerySample& s : *r) out.push_back(Value::SampleOf(std::move(s.labels), s.value));
    return Value::List(std::move(out));
  });
  m["first"] = Fixed(1, [](std::span<const Value> a, CallEnv&) -> Result<Value> {
    if (a[0].kind() != Value::Kind::kList) return WrongType("template.queryResult", a[0]);
    if (a[0].as_list().empty()) return Status::InvalidArgument("first() called on vector with no elements");
    return a[0].as_list().front();
  });
  m["label"] = Fixed(2, [](std::span<const Value> a, CallEnv&) -> Result<Value> {
    auto name = StringArg(a[0]);
    if (!name.ok()) return name.status();
    auto s = SampleArg(a[1]);
    if (!s.ok()) return s.status();
    const ValueMap& labels = s->as_sample().labels.as_map();
    auto it = labels.entries.find(*name);
    return it == labels.entries.end() ? Value::String("") : it->second;
  });
  m["value"] = Fixed(1, [](std::span<const Value> a, CallEnv&) -> Result<Value> {
    auto s = SampleArg(a[0]);
    if (!s.ok()) return s.status();
    return Value::Float(s->as_sample().value);
  });
  m["strvalue"] = Fixed(1, [](std::span<const Value> a, CallEnv&) -> Result<Value> {
    auto s = SampleArg(a[0]);
    if (!s.ok()) return s.status();
    const ValueMap& labels = s->as_sample().labels.as_map();
    auto it = labels.entries.find("__value__");
    return it == labels.entries.end() ? Value::String("") : it->second;
  });
  m["sortByLabel"] = Fixed(2, [](std::span<const Value> a, CallEnv&) -> Result<Value> {
    auto name = StringArg(a[0]);
    if (!name.ok()) return name.status();
    if (a[1].kind() != Value::Kind::kList) return WrongType("template.queryResult", a[1]);
    ValueList items = a[1].as_list();
    for (const Value& item : items) {
      if (item.kind() != Value::Kind::kSample) return WrongType("*template.sample", item);
    }
    auto label = [&](const Value& s) -> std::string_view {
      const ValueMap& labels = s.as_sample().labels.as_map();
      auto it = labels.entries.find(*name);
      return it == labels.entries.end() ? std::string_view() : std::string_view(it->second.as_string());
    };
    std::stable_sort(items.begin(), items.end(),
                     [&](const Value& x, const Value& y) { return label(x) < label(y); });
    return Value::List(std::move(items));
  });
  m["humanize"] = NumberFn(Humanize);
  m["humanize1024"] = NumberFn(Humanize1024);
  m["humanizeDuration"] = NumberFn(HumanizeDuration);
  m["humanizePercentage"] = NumberFn(HumanizePercentage);
  m["humanizeTimestamp"] = NumberFn(HumanizeTimestamp);
  m["toTime"] = Fixed(1, [](std::span<const Value> a, CallEnv&) -> Result<Value> {
    auto v = ConvertToFloat(a[0]);
    if (!v.ok()) return v.status();
    auto t = FloatToTime(*v);
    if (!t.ok()) return t.status();
    return Value::Time(*t);
  });
  m["now"] = Fixed(0, [](std::span<const Value>, CallEnv& env) -> Result<Value> {
    return Value::Time(env.context().now_unix_nanos);
  });
  m["parseDuration"] = Fixed(1, [](std::span<const Value> a, CallEnv&) -> Result<Value> {
    auto s = StringArg(a[0]);
    if (!s.ok()) return s.status();
    auto d = internal::ParsePromDurationSeconds(*s);
    if (!d.ok()) return d.status();
    return Value::Float(*d);
  });
  m["title"] = StringFn(internal::GoTitle);
  m["toUpper"] = StringFn(internal::GoToUpper);
  m["toLower"] = StringFn(internal::GoToLower);
  m["safeHtml"] = StringFn(Identity);
  m["stripPort"] = StringFn(StripPort);
  m["stripDomain"] = StringFn(StripDomain);
  m["graphLink"] = StringFn(GraphLink);
  m["tableLink"] = StringFn(TableLink);
  m["quotesEscape"] = StringFn(QuotesEscape);
  m["jsonEscape"] = StringFn(internal::JsonQuote);
  m["htmlEscape"] = StringFn(internal::HtmlEscapeString);
  m["queryEscape"] = StringFn(internal::QueryEscape);
  m["pathEscape"] = StringFn(internal::PathEscape);
  m["crlfEscape"] = StringFn(CrlfEscape);
  m["match"] = Fixed(2, [](std::span<const Value> a, CallEnv&) -> Result<Value> {
    auto pattern = StringArg(a[0]);
    if (!pattern.ok()) return pattern.status();
    auto text = StringArg(a[1]);
    if (!text.ok()) return text.status();
    auto re = CompileRegexp(*pattern);
    if (!re.ok()) return re.status();
    return Value::Bool(RE2::PartialMatch(re2::StringPiece(text->data(), text->size()), **re));
  });
  m["reReplaceAll"] = Fixed(3, [](std::span<const Value> a, CallEnv&) -> Result<Value> {
    std::string s[3];
    for (int i = 0; i < 3; ++i) {
      auto v = StringArg(a[i]);
      if (!v.ok()) return v.status();
      s[i] = std::move(*v);
    }
    auto re = CompileRegexp(s[0]);
    if (!re.ok()) {
      return Status::InvalidArgument("regexp: Compile(" + internal::GoQuote(s[0]) + "): " + re.status().message());
    }
    return Value::String(ReplaceAll(**re, s[2], s[1]));
  });
  m["args"] = Function{0, -1, [](std::span<const Value> a, CallEnv&) -> Result<Value> {
    ValueMap out;
    for (size_t i = 0; i < a.size(); ++i) out.entries.emplace("arg" + std::to_string(i), a[i]);
    return Value::Map(std::move(out));
  }};
  m["tmpl"] = Fixed(2, [](std::span<const Value> a, CallEnv& env) -> Result<Value> {
    auto name = StringArg(a[0]);
    if (!name.ok()) return name.status();
    auto out = env.ExecuteTemplate(*name, a[1]);
    if (!out.ok()) return out.status();
    return Value::String(std::move(*out));
  });
  m["pathPrefix"] = Fixed(0, [](std::span<const Value>, CallEnv& env) -> Result<Value> {
    return Value::String(UrlPath(env.context().external_url));
  });
  m["externalURL"] = Fixed(0, [](std::span<const Value>, CallEnv& env) -> Result<Value> {
    return Value::String(env.context().external_url);
  });
  return m;
}

}  // namespace

const FuncMap& PrometheusFunctions() {
  static const FuncMap* const kFuncs = new FuncMap(MakePrometheusFunctions());
  return *kFuncs;
}

}  // namespace vigil::tmpl
