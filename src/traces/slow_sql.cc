#include "traces/slow_sql.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "base/file_util.h"
#include "base/hash.h"
#include "ingest/span_row.h"

namespace vigil::traces {
namespace {

constexpr int64_t kFirstLookbackNs = int64_t{3600} * 1000000000;  // first poll without a state file
constexpr size_t kMaxStatementBytes = 4096;                     // kept in db.statement

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsIdentChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

std::string Hex64(uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) out[i] = kDigits[v & 15];
  return out;
}

std::string_view FirstOf(const logstore::BlockView& b, size_t row, std::initializer_list<std::string_view> names) {
  for (auto name : names) {
    if (const auto* c = b.Find(name); c != nullptr && !c->values[row].empty()) return c->values[row];
    if (b.stream_labels != nullptr)
      for (const auto& [k, v] : *b.stream_labels)
        if (k == name && !v.empty()) return v;
  }
  return {};
}

// A CSV log line shipped whole doubles the quotes inside the message; the
// statement then ends at the closing quote of its column.
std::string UnquoteCsvTail(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '"') {
      if (i + 1 < s.size() && s[i + 1] == '"') {
        out.push_back('"');
        ++i;
        continue;
      }
      break;  // end of the CSV field
    }
    out.push_back(s[i]);
  }
  return out;
}

}  // namespace

bool ParseSlowQueryMessage(std::string_view message, double* duration_ms, std::string_view* statement) {
  size_t at = message.find("duration: ");
  if (at == std::string_view::npos) return false;
  std::string_view rest = message.substr(at + 10);
  size_t num_end = 0;
  while (num_end < rest.size() && ((rest[num_end] >= '0' && rest[num_end] <= '9') || rest[num_end] == '.')) ++num_end;
  if (num_end == 0) return false;
  std::string number(rest.substr(0, num_end));
  char* end = nullptr;
  const double ms = std::strtod(number.c_str(), &end);
  if (end != number.c_str() + number.size()) return false;
  rest.remove_prefix(num_end);
  if (!rest.starts_with(" ms")) return false;
  rest.remove_prefix(3);
  while (!rest.empty() && IsSpace(rest.front())) rest.remove_prefix(1);
  if (rest.starts_with("statement: ")) {
    rest.remove_prefix(11);
  } else if (rest.starts_with("execute ")) {
    const size_t colon = rest.find(": ");
    if (colon == std::string_view::npos) return false;
    rest.remove_prefix(colon + 2);
  } else {
    return false;  // parse/bind steps, or a duration line without the text
  }
  while (!rest.empty() && IsSpace(rest.back())) rest.remove_suffix(1);
  if (rest.empty()) return false;
  *duration_ms = ms;
  *statement = rest;
  return true;
}

std::string NormalizeStatement(std::string_view sql, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(sql.size(), max_bytes + 8));
  size_t i = 0;
  const size_t n = sql.size();
  auto put_space = [&] {
    if (!out.empty() && out.back() != ' ') out.push_back(' ');
  };
  while (i < n && out.size() <= max_bytes) {
    const char c = sql[i];
    if (IsSpace(c)) {
      put_space();
      ++i;
    } else if (c == '\'') {  // string literal, '' escapes
      ++i;
      while (i < n) {
        if (sql[i] == '\'' && i + 1 < n && sql[i + 1] == '\'') {
          i += 2;
        } else if (sql[i] == '\'') {
          ++i;
          break;
        } else {
          ++i;
        }
      }
      out.push_back('?');
    } else if (c == '$' && i + 1 < n && sql[i + 1] >= '0' && sql[i + 1] <= '9') {  // $1 placeholders
      ++i;
      while (i < n && sql[i] >= '0' && sql[i] <= '9') ++i;
      out.push_back('?');
    } else if ((c >= '0' && c <= '9') || (c == '.' && i + 1 < n && sql[i + 1] >= '0' && sql[i + 1] <= '9')) {
      // A number unless it ends an identifier (t1, col2).
      if (!out.empty() && IsIdentChar(out.back()) && out.back() != '?') {
        out.push_back(c);
        ++i;
        continue;
      }
      while (i < n && (IsIdentChar(sql[i]) || sql[i] == '.')) ++i;
      out.push_back('?');
    } else if (c == '"') {  // quoted identifier: kept
      const size_t start = i++;
      while (i < n && sql[i] != '"') ++i;
      if (i < n) ++i;
      out.append(sql.substr(start, i - start));
    } else {
      out.push_back(c);
      ++i;
    }
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == ';')) out.pop_back();
  if (out.size() > max_bytes) {
    size_t cut = max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
  }
  return out;
}

SlowSqlScanner::SlowSqlScanner(std::string state_path) : state_path_(std::move(state_path)) {}

void SlowSqlScanner::Remember(uint64_t key, int64_t time_ns) {
  if (recent_keys_.insert(key).second) recent_.emplace_back(time_ns, key);
}

Result<size_t> SlowSqlScanner::Poll(const logstore::LogReader& logs, int64_t now_ns,
                                    std::vector<logstore::LogEntry>* out) {
  if (!loaded_) {
    loaded_ = true;
    watermark_ns_ = now_ns - kFirstLookbackNs;
    if (!state_path_.empty()) {
      if (auto text = ReadFile(state_path_, 64); text.ok()) {
        int64_t v = 0;
        auto [p, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
        (void)p;
        if (ec == std::errc() && v > 0) watermark_ns_ = v + 1;  // rows up to v were read
      }
    }
  }
  logstore::ScanRequest req;
  // Right after loading, rows up to the watermark were read by the previous
  // process; later, look back for late arrivals (de-duplicated below).
  req.min_time_ns = first_poll_ ? watermark_ns_ : watermark_ns_ - kLateArrivalNs;
  first_poll_ = false;
  req.max_time_ns = now_ns;
  req.required_tokens = {{"_msg", {"duration", "ms"}}};
  int64_t newest = watermark_ns_;
  size_t added = 0;
  std::vector<std::pair<uint64_t, int64_t>> seen;
  Status s = logs.Scan(req, [&](const logstore::BlockView& b) {
    const auto* msgs = b.Find("_msg");
    if (msgs == nullptr) return true;
    for (size_t r = 0; r < b.rows(); ++r) {
      const int64_t t = b.timestamps[r];
      if (t < req.min_time_ns || t > req.max_time_ns) continue;
      double ms = 0;
      std::string_view statement_view;
      if (!ParseSlowQueryMessage(msgs->values[r], &ms, &statement_view)) continue;
      newest = std::max(newest, t);
      const uint64_t key = Hash64(msgs->values[r], Hash64(b.stream, static_cast<uint64_t>(t))) | 1;
      if (recent_keys_.count(key) > 0) continue;
      seen.emplace_back(key, t);
      std::string statement = UnquoteCsvTail(statement_view);
      std::string ins(FirstOf(b, r, {"ins", "instance", "host", "hostname"}));
      if (ins.empty()) ins = "unknown";

      ingest::SpanOrigin origin;
      origin.resource_attributes = {{"service.name", "postgres/" + ins}, {"db.system", "postgresql"}};
      origin.scope_name = "vigil.slow_sql";
      ingest::Span span;
      span.trace_id = Hex64(Hash64("trace", key)) + Hex64(key);
      span.span_id = Hex64(key);
      span.name = NormalizeStatement(statement);
      if (span.name.empty()) span.name = "-";
      span.kind = 3;  // client: the statement as seen by its caller
      const auto duration_ns = static_cast<uint64_t>(ms * 1e6 + 0.5);
      span.end_time_unix_nano = static_cast<uint64_t>(t);
      span.start_time_unix_nano = span.end_time_unix_nano > duration_ns ? span.end_time_unix_nano - duration_ns : 0;
      if (span.start_time_unix_nano == 0) span.start_time_unix_nano = 1;
      if (statement.size() > kMaxStatementBytes) statement.resize(kMaxStatementBytes);
      span.attributes.push_back({"db.system", "postgresql"});
      span.attributes.push_back({"db.statement", statement});
      if (auto u = FirstOf(b, r, {"user", "usename", "user_name", "db_user"}); !u.empty())
        span.attributes.push_back({"db.user", std::string(u)});
      if (auto d = FirstOf(b, r, {"db", "datname", "database_name", "database"}); !d.empty())
        span.attributes.push_back({"db.name", std::string(d)});
      out->push_back(ingest::SpanToLogEntry(origin, span));
      ++added;
    }
    return true;
  });
  if (!s.ok()) return s;
  std::sort(seen.begin(), seen.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  for (const auto& [key, t] : seen) Remember(key, t);
  // Rows older than the late-arrival window are not looked for again.
  newest = std::max(newest, now_ns - kLateArrivalNs);
  if (newest > watermark_ns_) {
    watermark_ns_ = newest;
    if (!state_path_.empty()) {
      if (Status w = WriteFileAtomic(state_path_, std::to_string(watermark_ns_)); !w.ok()) return w;
    }
  }
  // Forget spans that fell out of the late-arrival window.
  while (!recent_.empty() && recent_.front().first < watermark_ns_ - kLateArrivalNs) {
    recent_keys_.erase(recent_.front().second);
    recent_.pop_front();
  }
  return added;
}

}  // namespace vigil::traces
