#include "logsql/sources.h"

#include "logsql/lexer.h"
#include "logsql/values.h"

namespace vigil::logsql {

const std::string& BlockSource::stream_id() {
  if (stream_id_.empty()) stream_id_ = FormatStreamId(block_.stream_id);
  return stream_id_;
}

Column BlockSource::Get(std::string_view name) {
  if (name == "_stream") return Column{nullptr, block_.stream};
  if (name == "_stream_id") return Column{nullptr, stream_id()};
  if (name == "_time") {
    if (!times_) {
      times_ = std::make_unique<std::vector<std::string>>();
      time_views_ = std::make_unique<std::vector<std::string_view>>();
      times_->reserve(block_.rows());
      for (int64_t t : block_.timestamps) times_->push_back(FormatRfc3339Nano(t));
      for (const auto& s : *times_) time_views_->push_back(s);
    }
    return Column{time_views_.get(), {}};
  }
  if (const logstore::ColumnView* c = block_.Find(name)) return Column{&c->values, {}};
  return Column{nullptr, {}};
}

Column RowSource::Get(std::string_view name) {
  auto it = columns_.find(std::string(name));
  if (it == columns_.end()) {
    std::vector<std::string_view> values;
    values.reserve(rows_.size());
    for (const Row* r : rows_) values.push_back(FieldValue(*r, name));
    it = columns_.emplace(std::string(name), std::move(values)).first;
  }
  return Column{&it->second, {}};
}

std::optional<int64_t> RowSource::Time(size_t row) { return ParseRfc3339Nano(FieldValue(*rows_[row], "_time")); }

const logstore::StreamLabels* RowSource::BatchStream() const {
  if (rows_.size() != 1) return nullptr;
  if (!stream_parsed_) {
    stream_parsed_ = true;
    stream_ = ParseStreamLabels(FieldValue(*rows_[0], "_stream"));
  }
  return stream_ ? &*stream_ : nullptr;
}

bool RowMatches(const Filter& filter, const Row& row, int64_t now_ns) {
  RowSource src({&row}, now_ns);
  Bitmap bm(1);
  filter.Apply(src, &bm);
  return bm.Get(0);
}

std::optional<logstore::StreamLabels> ParseStreamLabels(std::string_view s) {
  Lexer lex(s);
  if (!lex.Consume("{")) return std::nullopt;
  logstore::StreamLabels out;
  if (lex.Consume("}")) return lex.AtEnd() ? std::optional(out) : std::nullopt;
  while (true) {
    auto name = lex.ReadString();
    if (!name || !lex.Consume("=")) return std::nullopt;
    bool quoted = false;
    auto value = lex.ReadString(&quoted);
    if (!value || !quoted) return std::nullopt;
    out.emplace_back(std::move(*name), std::move(*value));
    if (lex.Consume(",")) continue;
    if (lex.Consume("}")) break;
    return std::nullopt;
  }
  if (!lex.AtEnd()) return std::nullopt;
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace vigil::logsql
