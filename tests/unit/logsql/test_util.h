#pragma once
// Helpers shared by the LogsQL tests: a store that applies block skipping
// strictly (as a bloom filter without false positives would), and running a
// query into a vector of rows.

#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "logsql/logsql.h"
#include "logstore/memory_store.h"
#include "logstore/tokenizer.h"

namespace vigil::logsql::test_util {

// Keeps rows per stream in blocks of `block_rows` rows, hands out only the
// requested columns, and skips every block
// the request lets it skip: outside the time range, stream predicate false,
// or a required token absent from every row of the block in that field.
// Counts skipped blocks so that tests can check skipping happened.
class StrictSkippingStore final : public logstore::LogReader {
 public:
  explicit StrictSkippingStore(size_t block_rows) : block_rows_(block_rows) {}
  void Add(logstore::LogEntry e) { streams_[e.stream].push_back(std::move(e)); }

  Status Scan(const logstore::ScanRequest& req, const logstore::BlockFn& fn) const override {
    for (const auto& [labels, all] : streams_) {
      if (req.stream_matches && !req.stream_matches(labels)) {
        skipped_ += (all.size() + block_rows_ - 1) / block_rows_;
        continue;
      }
      std::vector<logstore::LogEntry> rows = all;
      std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.time_ns < b.time_ns; });
      const std::string formatted = logstore::FormatStream(labels);
      for (size_t begin = 0; begin < rows.size(); begin += block_rows_) {
        const size_t end = std::min(rows.size(), begin + block_rows_);
        if (rows[end - 1].time_ns < req.min_time_ns || rows[begin].time_ns > req.max_time_ns) {
          ++skipped_;
          continue;
        }
        bool skip = false;
        for (const auto& rt : req.required_tokens) {
          std::set<std::string> present;
          for (size_t i = begin; i < end; ++i)
            for (const auto& f : rows[i].fields)
              if (f.name == rt.field) logstore::ForEachToken(f.value, [&](std::string_view t) { present.emplace(t); });
          for (const auto& t : rt.tokens) skip |= present.count(t) == 0;
        }
        if (skip) {
          ++skipped_;
          continue;
        }
        std::vector<int64_t> ts;
        std::vector<logstore::ColumnView> cols;
        std::unordered_map<std::string_view, size_t> col_of;
        for (size_t i = begin; i < end; ++i) {
          ts.push_back(rows[i].time_ns);
          for (const auto& f : rows[i].fields) {
            if (f.value.empty() || !Wanted(req.columns, f.name)) continue;
            auto [it, inserted] = col_of.try_emplace(f.name, cols.size());
            if (inserted) cols.push_back({f.name, std::vector<std::string_view>(end - begin)});
            cols[it->second].values[i - begin] = f.value;
          }
        }
        logstore::BlockView view;
        view.stream_labels = &labels;
        view.stream = formatted;
        view.stream_id = logstore::StreamIdOf(labels);
        view.timestamps = ts;
        view.columns = cols;
        if (!fn(view)) return Status::Ok();
      }
    }
    return Status::Ok();
  }
  size_t skipped() const { return skipped_; }

  // Whether column `name` is among `columns` (empty = all; `p*` = prefix).
  static bool Wanted(const std::vector<std::string>& columns, std::string_view name) {
    if (columns.empty()) return true;
    for (const auto& c : columns) {
      if (!c.empty() && c.back() == '*' ? name.substr(0, c.size() - 1) == std::string_view(c).substr(0, c.size() - 1)
                                        : name == c)
        return true;
    }
    return false;
  }

 private:
  size_t block_rows_;
  std::map<logstore::StreamLabels, std::vector<logstore::LogEntry>> streams_;
  mutable size_t skipped_ = 0;
};

// Parses and runs `query`, returning the rows (fails the test on error).
inline std::vector<Row> RunQuery(const logstore::LogReader& store, std::string_view query, ExecuteOptions opts = {},
                            Status* status = nullptr) {
  std::vector<Row> out;
  auto q = Parse(query);
  if (!q.ok()) {
    if (status != nullptr) *status = q.status();
    else ADD_FAILURE() << query << ": " << q.status().ToString();
    return out;
  }
  Status s = Execute(q.value(), store, opts, [&](const Row& r) {
    out.push_back(r);
    return true;
  });
  if (status != nullptr) *status = s;
  else if (!s.ok()) ADD_FAILURE() << query << ": " << s.ToString();
  return out;
}

// Renders rows as "a=1 b=2" lines for compact expectations.
inline std::vector<std::string> Lines(const std::vector<Row>& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows) {
    std::string line;
    for (const auto& f : r) {
      if (!line.empty()) line.push_back(' ');
      line += f.name + "=" + f.value;
    }
    out.push_back(line);
  }
  return out;
}

}  // namespace vigil::logsql::test_util
