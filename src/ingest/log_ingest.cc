#include "ingest/log_ingest.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include "base/time_format.h"
#include "ingest/json_scan.h"
#include "ingest/line_splitter.h"
#include "ingest/protowire.h"

namespace vigil::ingest {
namespace {

using logstore::Field;
using logstore::LogEntry;

bool Ignored(std::string_view name, const std::vector<std::string>& ignore) {
  for (const auto& pattern : ignore) {
    if (!pattern.empty() && pattern.back() == '*') {
      if (name.starts_with(std::string_view(pattern).substr(0, pattern.size() - 1))) return true;
    } else if (name == pattern) {
      return true;
    }
  }
  return false;
}

void NoteBad(LogIngestStats* stats, size_t line_no, const std::string& what) {
  ++stats->bad_lines;
  if (stats->first_error.empty()) stats->first_error = "line " + std::to_string(line_no) + ": " + what;
}

bool FlattenValue(JsonCursor& c, std::string_view text, const std::string& name, int depth,
                  std::vector<Field>* out);

bool FlattenObjectBody(JsonCursor& c, std::string_view text, const std::string& prefix, int depth,
                       std::vector<Field>* out) {
  if (depth > JsonCursor::kMaxDepth) return c.Fail("JSON nested too deeply");
  if (!c.Expect('{', "'{'")) return false;
  if (c.TryConsume('}')) return true;
  do {
    std::string_view key;
    if (!c.ReadString(&key) || !c.Expect(':', "':'")) return false;
    std::string name = prefix.empty() ? std::string(key) : prefix + "." + std::string(key);
    if (!FlattenValue(c, text, name, depth + 1, out)) return false;
  } while (c.TryConsume(','));
  return c.Expect('}', "',' or '}'");
}

bool FlattenValue(JsonCursor& c, std::string_view text, const std::string& name, int depth,
                  std::vector<Field>* out) {
  std::string_view v;
  switch (c.Peek()) {
    case '{':
      return FlattenObjectBody(c, text, name, depth, out);
    case '[': {
      const size_t start = c.offset();
      if (!c.SkipValue()) return false;
      std::string_view raw = text.substr(start, c.offset() - start);
      while (!raw.empty() && (raw.front() == ' ' || raw.front() == '\t' || raw.front() == '\n' || raw.front() == '\r'))
        raw.remove_prefix(1);
      out->push_back(Field{name, std::string(raw)});
      return true;
    }
    case '"':
      if (!c.ReadString(&v)) return false;
      out->push_back(Field{name, std::string(v)});
      return true;
    case 't':
      if (!c.ReadLiteral("true")) return false;
      out->push_back(Field{name, "true"});
      return true;
    case 'f':
      if (!c.ReadLiteral("false")) return false;
      out->push_back(Field{name, "false"});
      return true;
    case 'n':
      return c.ReadLiteral("null");
    default:
      if (!c.ReadNumberToken(&v)) return false;
      out->push_back(Field{name, std::string(v)});
      return true;
  }
}

// Parses all of `s` as a decimal int64.
bool ParseInt64(std::string_view s, int64_t* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

// Parses Loki's `{name="value", ...}` label set into sorted stream labels.
bool ParseLokiLabels(std::string_view s, logstore::StreamLabels* out) {
  size_t i = 0;
  auto skip_space = [&] {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  };
  skip_space();
  if (i >= s.size() || s[i] != '{') return false;
  ++i;
  skip_space();
  if (i < s.size() && s[i] == '}') return ++i, true;
  while (true) {
    skip_space();
    const size_t start = i;
    while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_' || s[i] == '.')) ++i;
    if (i == start) return false;
    std::string name(s.substr(start, i - start));
    skip_space();
    if (i >= s.size() || s[i] != '=') return false;
    ++i;
    skip_space();
    if (i >= s.size() || s[i] != '"') return false;
    ++i;
    std::string value;
    while (i < s.size() && s[i] != '"') {
      if (s[i] == '\\' && i + 1 < s.size()) {
        ++i;
        value.push_back(s[i] == 'n' ? '\n' : s[i] == 't' ? '\t' : s[i]);
      } else {
        value.push_back(s[i]);
      }
      ++i;
    }
    if (i >= s.size()) return false;
    ++i;
    if (!value.empty()) out->emplace_back(std::move(name), std::move(value));
    skip_space();
    if (i < s.size() && s[i] == ',') {
      ++i;
      continue;
    }
    if (i < s.size() && s[i] == '}') break;
    return false;
  }
  std::sort(out->begin(), out->end());
  out->erase(std::unique(out->begin(), out->end(), [](const auto& a, const auto& b) { return a.first == b.first; }),
             out->end());
  return true;
}

// One Loki entry: the line becomes _msg; stream labels become the stream and
// fields; structured metadata become fields.
void AddLokiEntry(const logstore::StreamLabels& labels, int64_t time_ns, std::string_view line,
                  std::vector<Field> metadata, const LogIngestOptions& options, std::vector<LogEntry>* out,
                  LogIngestStats* stats) {
  if (line.size() > options.max_line_bytes) {
    ++stats->too_long;
    return;
  }
  LogEntry e;
  e.time_ns = time_ns == 0 ? options.now_ns : time_ns;
  e.stream = labels;
  for (const auto& [name, value] : labels) e.fields.push_back(Field{name, value});
  e.fields.push_back(Field{"_msg", std::string(line)});
  for (auto& f : metadata)
    if (!Ignored(f.name, options.ignore_fields)) e.fields.push_back(std::move(f));
  for (const auto& f : options.extra_fields) e.fields.push_back(f);
  out->push_back(std::move(e));
  ++stats->rows;
}

}  // namespace

bool ParseLogTimestamp(std::string_view s, int64_t now_ns, int64_t* out_ns) {
  if (s.empty() || s == "0") {
    *out_ns = now_ns;
    return true;
  }
  if (s.find_first_not_of("0123456789-") == std::string_view::npos && s.size() > 4) {
    int64_t v = 0;
    if (!ParseInt64(s, &v)) return false;
    const int64_t a = v < 0 ? -v : v;
    if (a >= 100'000'000'000'000'000LL) *out_ns = v;                      // ns
    else if (a >= 100'000'000'000'000LL) *out_ns = v * 1000;              // us
    else if (a >= 100'000'000'000LL) *out_ns = v * 1'000'000;             // ms
    else *out_ns = v * 1'000'000'000;                                     // s
    return true;
  }
  if (const size_t dot = s.find('.');
      dot != std::string_view::npos && dot > 0 && s.find_first_not_of("0123456789.-") == std::string_view::npos) {
    // Seconds with a fraction, exactly: "1700000000.25".
    int64_t secs = 0;
    std::string_view frac = s.substr(dot + 1);
    if (!ParseInt64(s.substr(0, dot), &secs) || frac.empty() || frac.size() > 9 ||
        frac.find_first_not_of("0123456789") != std::string_view::npos || std::abs(secs) > 9'000'000'000)
      return false;
    int64_t ns = 0;
    for (size_t i = 0; i < 9; ++i) ns = ns * 10 + (i < frac.size() ? frac[i] - '0' : 0);
    *out_ns = secs * 1'000'000'000 + (s[0] == '-' ? -ns : ns);
    return true;
  }
  if (s.find_first_not_of("0123456789.-+eE") == std::string_view::npos && s.size() > 4) {
    double d = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(d) || std::fabs(d) > 9e9) return false;
    *out_ns = static_cast<int64_t>(std::llround(d * 1e9));
    return true;
  }
  return ParseRfc3339Nanos(s, out_ns);
}

bool MakeLogEntry(std::vector<Field> fields, const LogIngestOptions& options, LogEntry* out, std::string* error) {
  out->time_ns = options.now_ns;
  out->stream.clear();
  out->fields.clear();
  // Time: the first candidate present.
  bool have_time = false;
  for (const auto& tf : options.time_fields) {
    for (auto it = fields.begin(); it != fields.end(); ++it) {
      if (it->name != tf) continue;
      if (!ParseLogTimestamp(it->value, options.now_ns, &out->time_ns)) {
        *error = "cannot parse timestamp in field \"" + tf + "\": \"" + it->value + "\"";
        return false;
      }
      fields.erase(it);
      have_time = true;
      break;
    }
    if (have_time) break;
  }
  // Message: the first non-empty candidate, renamed to _msg.
  bool have_msg = false;
  for (const auto& mf : options.msg_fields) {
    for (auto& f : fields) {
      if (f.name != mf || f.value.empty()) continue;
      f.name = "_msg";
      have_msg = true;
      break;
    }
    if (have_msg) break;
  }
  for (auto& f : options.extra_fields) {
    std::erase_if(fields, [&](const Field& g) { return g.name == f.name; });
    fields.push_back(f);
  }
  if (!have_msg && std::none_of(fields.begin(), fields.end(), [](const Field& f) { return f.name == "_msg" && !f.value.empty(); }))
    fields.push_back(Field{"_msg", std::string(kMissingMsgValue)});
  for (auto& f : fields) {
    if (f.value.empty() || Ignored(f.name, options.ignore_fields)) continue;
    if (f.name == "_stream" || f.name == "_stream_id" || f.name == "_time") continue;
    if (std::find(options.stream_fields.begin(), options.stream_fields.end(), f.name) != options.stream_fields.end())
      out->stream.emplace_back(f.name, f.value);
    out->fields.push_back(std::move(f));
  }
  std::sort(out->stream.begin(), out->stream.end());
  out->stream.erase(std::unique(out->stream.begin(), out->stream.end(),
                                [](const auto& a, const auto& b) { return a.first == b.first; }),
                    out->stream.end());
  return true;
}

bool FlattenJsonObject(std::string_view text, std::vector<Field>* out, std::string* error) {
  std::string scratch;
  scratch.reserve(text.size());
  JsonCursor c(text, &scratch);
  if (c.Peek() != '{') {
    *error = "value doesn't contain object; it contains " + std::string(text.substr(0, 32));
    return false;
  }
  if (!FlattenObjectBody(c, text, "", 0, out) || !c.AtEnd()) {
    *error = c.error().empty() ? "unexpected tail after JSON object" : c.error();
    return false;
  }
  return true;
}

// One JSON document (a JSON line, a bulk document) into an entry.
static bool ParseDocument(std::string_view line, const LogIngestOptions& options, LogEntry* out, std::string* error) {
  std::vector<Field> fields;
  return FlattenJsonObject(line, &fields, error) && MakeLogEntry(std::move(fields), options, out, error);
}

void ParseJsonLines(std::string_view body, const LogIngestOptions& options, std::vector<LogEntry>* out,
                    LogIngestStats* stats) {
  ForEachContentLine(body, CommentLines::kKeep, [&](std::string_view line, size_t line_no) {
    if (line.size() > options.max_line_bytes) {
      ++stats->too_long;
      return true;
    }
    std::string error;
    LogEntry e;
    if (!ParseDocument(line, options, &e, &error)) {
      NoteBad(stats, line_no, error);
      return true;
    }
    out->push_back(std::move(e));
    ++stats->rows;
    return true;
  });
}

void ParseElasticsearchBulk(std::string_view body, const LogIngestOptions& options, std::vector<LogEntry>* out,
                            LogIngestStats* stats, std::vector<bool>* items) {
  bool expect_action = true;
  ForEachContentLine(body, CommentLines::kKeep, [&](std::string_view line, size_t line_no) {
    if (expect_action) {
      // {"create":{...}} or {"index":{...}}: the next line is the document.
      expect_action = line.find("\"delete\"") != std::string_view::npos;  // delete has no document
      if (expect_action) items->push_back(false);
      return true;
    }
    expect_action = true;
    if (line.size() > options.max_line_bytes) {
      ++stats->too_long;
      items->push_back(false);
      return true;
    }
    std::string error;
    LogEntry e;
    if (!ParseDocument(line, options, &e, &error)) {
      NoteBad(stats, line_no, error);
      items->push_back(false);
      return true;
    }
    out->push_back(std::move(e));
    ++stats->rows;
    items->push_back(true);
    return true;
  });
}

Status ParseLokiPushJson(std::string_view body, const LogIngestOptions& options, std::vector<LogEntry>* out,
                         LogIngestStats* stats) {
  std::string scratch;
  scratch.reserve(body.size());
  JsonCursor c(body, &scratch);
  auto fail = [&] { return Status::InvalidArgument("cannot parse Loki push request: " + c.error()); };
  if (!c.Expect('{', "'{'")) return fail();
  if (!c.TryConsume('}')) {
    do {
      std::string_view key;
      if (!c.ReadString(&key) || !c.Expect(':', "':'")) return fail();
      if (key != "streams") {
        if (!c.SkipValue()) return fail();
        continue;
      }
      if (!c.Expect('[', "'['")) return fail();
      if (c.TryConsume(']')) continue;
      do {
        if (!c.Expect('{', "stream object")) return fail();
        logstore::StreamLabels labels;
        struct Value {
          int64_t ts;
          std::string line;
          std::vector<Field> metadata;
        };
        std::vector<Value> values;
        if (!c.TryConsume('}')) {
          do {
            std::string_view k;
            if (!c.ReadString(&k) || !c.Expect(':', "':'")) return fail();
            if (k == "stream") {
              std::vector<Field> fields;
              const size_t start = c.offset();
              if (!c.SkipValue()) return fail();
              std::string err;
              if (!FlattenJsonObject(body.substr(start, c.offset() - start), &fields, &err))
                return Status::InvalidArgument("cannot parse Loki stream labels: " + err);
              for (auto& f : fields)
                if (!f.value.empty()) labels.emplace_back(std::move(f.name), std::move(f.value));
              std::sort(labels.begin(), labels.end());
            } else if (k == "values") {
              if (!c.Expect('[', "'['")) return fail();
              if (c.TryConsume(']')) continue;
              do {
                Value v;
                std::string_view ts;
                std::string_view line;
                if (!c.Expect('[', "'['") || !c.ReadString(&ts) || !c.Expect(',', "','") || !c.ReadString(&line))
                  return fail();
                if (!ParseInt64(ts, &v.ts)) return Status::InvalidArgument("cannot parse Loki timestamp \"" + std::string(ts) + "\"");
                v.line = std::string(line);
                if (c.TryConsume(',')) {
                  const size_t start = c.offset();
                  if (!c.SkipValue()) return fail();
                  std::string err;
                  if (!FlattenJsonObject(body.substr(start, c.offset() - start), &v.metadata, &err))
                    return Status::InvalidArgument("cannot parse Loki structured metadata: " + err);
                }
                if (!c.Expect(']', "']'")) return fail();
                values.push_back(std::move(v));
              } while (c.TryConsume(','));
              if (!c.Expect(']', "']'")) return fail();
            } else if (!c.SkipValue()) {
              return fail();
            }
          } while (c.TryConsume(','));
          if (!c.Expect('}', "'}'")) return fail();
        }
        for (auto& v : values) AddLokiEntry(labels, v.ts, v.line, std::move(v.metadata), options, out, stats);
      } while (c.TryConsume(','));
      if (!c.Expect(']', "']'")) return fail();
    } while (c.TryConsume(','));
    if (!c.Expect('}', "'}'")) return fail();
  }
  if (!c.AtEnd()) return Status::InvalidArgument("cannot parse Loki push request: unexpected tail");
  return Status::Ok();
}

Status ParseLokiPushProtobuf(std::string_view body, const LogIngestOptions& options, std::vector<LogEntry>* out,
                             LogIngestStats* stats) {
  ProtoReader r(body);
  auto fail = [&] { return Status::InvalidArgument("cannot parse Loki protobuf push request: " + r.error()); };
  const char* p = body.data();
  const char* end = p + body.size();
  uint32_t field = 0;
  uint32_t wire = 0;
  while (p < end) {
    if (!r.ReadTag(&p, end, &field, &wire)) return fail();
    if (field != 1) {
      if (!r.SkipField(&p, end, field, wire)) return fail();
      continue;
    }
    std::string_view stream;
    if (!r.ReadLengthDelimited(&p, end, &stream, "stream")) return fail();
    const char* sp = stream.data();
    const char* se = sp + stream.size();
    logstore::StreamLabels labels;
    std::vector<std::string_view> entries;
    while (sp < se) {
      if (!r.ReadTag(&sp, se, &field, &wire)) return fail();
      std::string_view v;
      if (field == 1 || field == 2) {
        if (!r.ReadLengthDelimited(&sp, se, &v, field == 1 ? "labels" : "entry")) return fail();
        if (field == 1 && !ParseLokiLabels(v, &labels))
          return Status::InvalidArgument("cannot parse Loki labels \"" + std::string(v) + "\"");
        if (field == 2) entries.push_back(v);
      } else if (!r.SkipField(&sp, se, field, wire)) {
        return fail();
      }
    }
    for (std::string_view entry : entries) {
      const char* ep = entry.data();
      const char* ee = ep + entry.size();
      int64_t ts = 0;
      std::string_view line;
      std::vector<Field> metadata;
      while (ep < ee) {
        if (!r.ReadTag(&ep, ee, &field, &wire)) return fail();
        std::string_view v;
        if (field == 1) {
          if (!r.ReadLengthDelimited(&ep, ee, &v, "timestamp")) return fail();
          const char* tp = v.data();
          const char* te = tp + v.size();
          uint64_t seconds = 0;
          uint64_t nanos = 0;
          while (tp < te) {
            if (!r.ReadTag(&tp, te, &field, &wire)) return fail();
            uint64_t x = 0;
            if ((field == 1 || field == 2) && wire == 0) {
              if (!r.ReadVarint(&tp, te, &x, "timestamp")) return fail();
              (field == 1 ? seconds : nanos) = x;
            } else if (!r.SkipField(&tp, te, field, wire)) {
              return fail();
            }
          }
          ts = static_cast<int64_t>(seconds) * 1'000'000'000 + static_cast<int64_t>(nanos);
        } else if (field == 2) {
          if (!r.ReadLengthDelimited(&ep, ee, &line, "line")) return fail();
        } else if (field == 3) {
          if (!r.ReadLengthDelimited(&ep, ee, &v, "structuredMetadata")) return fail();
          const char* mp = v.data();
          const char* me = mp + v.size();
          Field f;
          while (mp < me) {
            std::string_view s;
            if (!r.ReadTag(&mp, me, &field, &wire)) return fail();
            if ((field == 1 || field == 2) && wire == 2) {
              if (!r.ReadLengthDelimited(&mp, me, &s, "label pair")) return fail();
              (field == 1 ? f.name : f.value) = std::string(s);
            } else if (!r.SkipField(&mp, me, field, wire)) {
              return fail();
            }
          }
          if (!f.name.empty()) metadata.push_back(std::move(f));
        } else if (!r.SkipField(&ep, ee, field, wire)) {
          return fail();
        }
      }
      AddLokiEntry(labels, ts, line, std::move(metadata), options, out, stats);
    }
  }
  return Status::Ok();
}

}  // namespace vigil::ingest
