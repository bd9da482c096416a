#include "logsql/simple_pipes.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "logsql/sources.h"
#include "logsql/values.h"

namespace vigil::logsql {

std::string_view FieldValue(const Row& row, std::string_view name) {
  for (const auto& f : row)
    if (f.name == name) return f.value;
  return {};
}

void SetField(Row* row, std::string_view name, std::string value) {
  for (auto& f : *row)
    if (f.name == name) {
      f.value = std::move(value);
      return;
    }
  row->push_back({std::string(name), std::move(value)});
}

std::string FieldPattern::String() const {
  if (prefix && name.empty()) return "*";
  std::string out;
  AppendLogsqlString(&out, name);
  if (prefix) out.push_back('*');
  return out;
}

namespace {

std::string NameList(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out.append(", ");
    AppendLogsqlString(&out, names[i]);
  }
  return out;
}

std::string PatternList(const std::vector<FieldPattern>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out.append(", ");
    out += fields[i].String();
  }
  return out;
}

// A pipe whose processor is a lambda over single rows.
class MapPipe final : public Pipe {
 public:
  // fn transforms the row in place; returns false to drop it.
  using MapFn = std::function<bool(Row*)>;
  MapPipe(std::string_view name, std::string text, MapFn fn, std::optional<std::vector<std::string>> inputs = {})
      : name_(name), text_(std::move(text)), fn_(std::move(fn)), inputs_(std::move(inputs)) {}
  void AppendString(std::string* out) const override { out->append(text_); }
  std::string_view name() const override { return name_; }
  bool InputFields(std::vector<std::string>* out) const override {
    if (!inputs_) return false;
    out->insert(out->end(), inputs_->begin(), inputs_->end());
    return true;
  }
  std::unique_ptr<RowProcessor> NewProcessor(RowProcessor* next, const PipeContext&) const override {
    class Proc final : public RowProcessor {
     public:
      Proc(const MapFn& fn, RowProcessor* next) : fn_(fn), next_(next) {}
      bool Push(Row row) override { return fn_(&row) ? next_->Push(std::move(row)) : true; }
      Status Finish() override { return next_->Finish(); }

     private:
      const MapFn& fn_;
      RowProcessor* next_;
    };
    return std::make_unique<Proc>(fn_, next);
  }

 private:
  std::string_view name_;
  std::string text_;
  MapFn fn_;
  std::optional<std::vector<std::string>> inputs_;
};

// Holds every row until Finish, then hands them to `finish` in one go.
class CollectingProcessor : public RowProcessor {
 public:
  CollectingProcessor(RowProcessor* next, uint64_t max_rows) : next_(next), max_rows_(max_rows) {}
  bool Push(Row row) override {
    if (max_rows_ > 0 && rows_.size() >= max_rows_) {
      overflow_ = true;
      return false;
    }
    rows_.push_back(std::move(row));
    Compact(&rows_);
    return true;
  }
  Status Finish() override {
    if (overflow_)
      return Status::ResourceExhausted("the query holds more than " + std::to_string(max_rows_) +
                                       " rows in a blocking pipe; narrow it down");
    Emit(&rows_);
    return next_->Finish();
  }

 protected:
  virtual void Emit(std::vector<Row>* rows) = 0;
  // May shrink the held rows after each Push (sort with a limit keeps only
  // the rows that can still be emitted).
  virtual void Compact(std::vector<Row>* /*rows*/) {}
  RowProcessor* next_;

 private:
  uint64_t max_rows_;
  bool overflow_ = false;
  std::vector<Row> rows_;
};

class LimitPipe final : public Pipe {
 public:
  LimitPipe(uint64_t n, bool offset, std::string_view alias) : n_(n), offset_(offset), alias_(alias) {}
  void AppendString(std::string* out) const override {
    out->append(alias_);
    out->push_back(' ');
    out->append(std::to_string(n_));
  }
  std::string_view name() const override { return alias_; }
  std::unique_ptr<RowProcessor> NewProcessor(RowProcessor* next, const PipeContext&) const override {
    class Proc final : public RowProcessor {
     public:
      Proc(uint64_t n, bool offset, RowProcessor* next) : n_(n), offset_(offset), next_(next) {}
      bool Push(Row row) override {
        if (offset_) {
          if (seen_++ < n_) return true;
          return next_->Push(std::move(row));
        }
        if (seen_ >= n_) return false;
        ++seen_;
        const bool more = next_->Push(std::move(row));
        return more && seen_ < n_;
      }
      Status Finish() override { return next_->Finish(); }

     private:
      uint64_t n_;
      bool offset_;
      RowProcessor* next_;
      uint64_t seen_ = 0;
    };
    return std::make_unique<Proc>(n_, offset_, next);
  }

 private:
  uint64_t n_;
  bool offset_;
  std::string_view alias_;
};

class FilterPipe final : public Pipe {
 public:
  explicit FilterPipe(FilterPtr filter) : filter_(std::move(filter)) {}
  void AppendString(std::string* out) const override {
    out->append("filter ");
    filter_->AppendString(out);
  }
  std::string_view name() const override { return "filter"; }
  std::unique_ptr<RowProcessor> NewProcessor(RowProcessor* next, const PipeContext& ctx) const override {
    class Proc final : public RowProcessor {
     public:
      Proc(const Filter& f, int64_t now, RowProcessor* next) : f_(f), now_(now), next_(next) {}
      bool Push(Row row) override { return RowMatches(f_, row, now_) ? next_->Push(std::move(row)) : true; }
      Status Finish() override { return next_->Finish(); }

     private:
      const Filter& f_;
      int64_t now_;
      RowProcessor* next_;
    };
    return std::make_unique<Proc>(*filter_, ctx.now_ns, next);
  }

 private:
  FilterPtr filter_;
};

class SortPipe final : public Pipe {
 public:
  SortPipe(std::vector<SortKey> keys, bool desc, uint64_t offset, uint64_t limit)
      : keys_(std::move(keys)), desc_(desc), offset_(offset), limit_(limit) {}
  void AppendString(std::string* out) const override {
    out->append("sort");
    if (!keys_.empty()) {
      out->append(" by (");
      for (size_t i = 0; i < keys_.size(); ++i) {
        if (i > 0) out->append(", ");
        AppendLogsqlString(out, keys_[i].field);
        if (keys_[i].desc) out->append(" desc");
      }
      out->push_back(')');
    }
    if (desc_) out->append(" desc");
    if (offset_ > 0) out->append(" offset " + std::to_string(offset_));
    if (limit_ > 0) out->append(" limit " + std::to_string(limit_));
  }
  std::string_view name() const override { return "sort"; }

  bool Less(const Row& a, const Row& b) const {
    int c = 0;
    if (keys_.empty()) {
      // Every field, by name order.
      std::vector<std::string_view> names;
      for (const auto& f : a) names.push_back(f.name);
      for (const auto& f : b) names.push_back(f.name);
      std::sort(names.begin(), names.end());
      names.erase(std::unique(names.begin(), names.end()), names.end());
      for (auto n : names)
        if ((c = CompareValues(FieldValue(a, n), FieldValue(b, n))) != 0) break;
    } else {
      for (const auto& k : keys_) {
        c = CompareValues(FieldValue(a, k.field), FieldValue(b, k.field));
        if (k.desc) c = -c;
        if (c != 0) break;
      }
    }
    return desc_ ? c > 0 : c < 0;
  }

  std::unique_ptr<RowProcessor> NewProcessor(RowProcessor* next, const PipeContext& ctx) const override {
    class Proc final : public CollectingProcessor {
     public:
      Proc(const SortPipe& p, RowProcessor* next, uint64_t max) : CollectingProcessor(next, max), p_(p) {}
      void Emit(std::vector<Row>* rows) override {
        std::stable_sort(rows->begin(), rows->end(), [&](const Row& a, const Row& b) { return p_.Less(a, b); });
        uint64_t emitted = 0;
        for (uint64_t i = p_.offset_; i < rows->size(); ++i) {
          if (p_.limit_ > 0 && emitted >= p_.limit_) break;
          ++emitted;
          if (!next_->Push(std::move((*rows)[i]))) break;
        }
      }
      // With a limit only the first offset+limit rows in sorted order can be
      // emitted: once twice that many are held, keep just those (a stable
      // sort keeps arrival order among equal rows, as the final sort would).
      void Compact(std::vector<Row>* rows) override {
        if (p_.limit_ == 0) return;
        const uint64_t keep = p_.offset_ + p_.limit_;
        if (rows->size() < std::max<uint64_t>(1024, 2 * keep)) return;
        std::stable_sort(rows->begin(), rows->end(), [&](const Row& a, const Row& b) { return p_.Less(a, b); });
        rows->resize(keep);
      }

     private:
      const SortPipe& p_;
    };
    return std::make_unique<Proc>(*this, next, ctx.max_held_rows);
  }

 private:
  std::vector<SortKey> keys_;
  bool desc_;
  uint64_t offset_, limit_;
};

// Counts rows per distinct tuple of `fields` values; emits via `emit`.
class GroupCountPipe final : public Pipe {
 public:
  enum class Mode { kUniq, kTop, kFieldValues };
  GroupCountPipe(Mode mode, std::vector<std::string> fields, bool with_hits, uint64_t limit, std::string hits,
                 std::string rank = "")
      : mode_(mode),
        fields_(std::move(fields)),
        with_hits_(with_hits),
        limit_(limit),
        hits_(std::move(hits)),
        rank_(std::move(rank)) {}
  void AppendString(std::string* out) const override {
    switch (mode_) {
      case Mode::kUniq:
        out->append("uniq by (" + NameList(fields_) + ")");
        if (with_hits_) out->append(" with hits");
        if (limit_ > 0) out->append(" limit " + std::to_string(limit_));
        break;
      case Mode::kTop:
        out->append("top " + std::to_string(limit_) + " by (" + NameList(fields_) + ")");
        if (hits_ != "hits") out->append(" hits as " + hits_);
        if (!rank_.empty()) out->append(" rank as " + rank_);
        break;
      case Mode::kFieldValues:
        out->append("field_values " + NameList(fields_));
        if (limit_ > 0) out->append(" limit " + std::to_string(limit_));
        break;
    }
  }
  std::string_view name() const override {
    return mode_ == Mode::kUniq ? "uniq" : mode_ == Mode::kTop ? "top" : "field_values";
  }
  bool InputFields(std::vector<std::string>* out) const override {
    out->insert(out->end(), fields_.begin(), fields_.end());
    return true;
  }
  std::unique_ptr<RowProcessor> NewProcessor(RowProcessor* next, const PipeContext& ctx) const override {
    class Proc final : public RowProcessor {
     public:
      Proc(const GroupCountPipe& p, RowProcessor* next, uint64_t max) : p_(p), next_(next), max_(max) {}
      bool Push(Row row) override {
        std::vector<std::string> key;
        key.reserve(p_.fields_.size());
        for (const auto& f : p_.fields_) key.emplace_back(FieldValue(row, f));
        auto it = counts_.find(key);
        if (it != counts_.end()) {
          ++it->second;
          return true;
        }
        if (p_.mode_ == Mode::kUniq && p_.limit_ > 0 && counts_.size() >= p_.limit_) return true;
        if (max_ > 0 && counts_.size() >= max_) {
          overflow_ = true;
          return false;
        }
        counts_.emplace(std::move(key), 1);
        return true;
      }
      Status Finish() override {
        if (overflow_) return Status::ResourceExhausted("too many distinct values in " + std::string(p_.name()));
        std::vector<std::pair<const std::vector<std::string>*, uint64_t>> items;
        for (const auto& [k, n] : counts_) items.push_back({&k, n});
        if (p_.mode_ != Mode::kUniq)
          std::stable_sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
        size_t limit = items.size();
        if (p_.mode_ != Mode::kUniq && p_.limit_ > 0) limit = std::min<size_t>(limit, p_.limit_);
        for (size_t i = 0; i < limit; ++i) {
          Row row;
          for (size_t f = 0; f < p_.fields_.size(); ++f) row.push_back({p_.fields_[f], (*items[i].first)[f]});
          if (p_.mode_ != Mode::kUniq || p_.with_hits_) row.push_back({p_.hits_, std::to_string(items[i].second)});
          if (!p_.rank_.empty()) row.push_back({p_.rank_, std::to_string(i + 1)});
          if (!next_->Push(std::move(row))) break;
        }
        return next_->Finish();
      }

     private:
      const GroupCountPipe& p_;
      RowProcessor* next_;
      uint64_t max_;
      bool overflow_ = false;
      std::map<std::vector<std::string>, uint64_t> counts_;
    };
    return std::make_unique<Proc>(*this, next, ctx.max_held_rows);
  }

 private:
  Mode mode_;
  std::vector<std::string> fields_;
  bool with_hits_;
  uint64_t limit_;
  std::string hits_;
  std::string rank_;
};

class FieldNamesPipe final : public Pipe {
 public:
  void AppendString(std::string* out) const override { out->append("field_names"); }
  std::string_view name() const override { return "field_names"; }
  std::unique_ptr<RowProcessor> NewProcessor(RowProcessor* next, const PipeContext&) const override {
    class Proc final : public RowProcessor {
     public:
      explicit Proc(RowProcessor* next) : next_(next) {}
      bool Push(Row row) override {
        for (const auto& f : row)
          if (!f.value.empty()) ++hits_[f.name];
        return true;
      }
      Status Finish() override {
        for (const auto& [name, n] : hits_)
          if (!next_->Push(Row{{"name", name}, {"hits", std::to_string(n)}})) break;
        return next_->Finish();
      }

     private:
      RowProcessor* next_;
      std::map<std::string, uint64_t> hits_;
    };
    return std::make_unique<Proc>(next);
  }
};

}  // namespace

PipePtr MakeFieldsPipe(std::vector<FieldPattern> fields) {
  std::string text = "fields " + PatternList(fields);
  std::vector<std::string> inputs;
  for (const auto& p : fields) inputs.push_back(p.prefix ? p.name + "*" : p.name);
  return std::make_unique<MapPipe>("fields", std::move(text), [fields = std::move(fields)](Row* row) {
    Row out;
    for (const auto& p : fields) {
      if (p.prefix) {
        for (const auto& f : *row)
          if (p.Matches(f.name) && std::none_of(out.begin(), out.end(), [&](const auto& o) { return o.name == f.name; }))
            out.push_back(f);
      } else if (std::none_of(out.begin(), out.end(), [&](const auto& o) { return o.name == p.name; })) {
        out.push_back({p.name, std::string(FieldValue(*row, p.name))});
      }
    }
    *row = std::move(out);
    return true;
  }, std::move(inputs));
}

PipePtr MakeDeletePipe(std::vector<FieldPattern> fields) {
  std::string text = "delete " + PatternList(fields);
  return std::make_unique<MapPipe>("delete", std::move(text), [fields = std::move(fields)](Row* row) {
    row->erase(std::remove_if(row->begin(), row->end(),
                              [&](const logstore::Field& f) {
                                return std::any_of(fields.begin(), fields.end(),
                                                   [&](const FieldPattern& p) { return p.Matches(f.name); });
                              }),
               row->end());
    return true;
  });
}

PipePtr MakeRenamePipe(std::vector<std::pair<std::string, std::string>> pairs, bool copy) {
  std::string text = copy ? "copy " : "rename ";
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (i > 0) text.append(", ");
    AppendLogsqlString(&text, pairs[i].first);
    text.append(" as ");
    AppendLogsqlString(&text, pairs[i].second);
  }
  return std::make_unique<MapPipe>(copy ? "copy" : "rename", std::move(text),
                                   [pairs = std::move(pairs), copy](Row* row) {
                                     for (const auto& pair : pairs) {
                                       const std::string& from = pair.first;
                                       const std::string& to = pair.second;
                                       if (from == to) continue;
                                       std::string value(FieldValue(*row, from));
                                       if (!copy)
                                         row->erase(std::remove_if(row->begin(), row->end(),
                                                                   [&](const auto& f) { return f.name == from; }),
                                                    row->end());
                                       SetField(row, to, std::move(value));
                                     }
                                     return true;
                                   });
}

PipePtr MakeLimitPipe(uint64_t n, std::string_view alias) { return std::make_unique<LimitPipe>(n, false, alias); }
PipePtr MakeOffsetPipe(uint64_t n, std::string_view alias) { return std::make_unique<LimitPipe>(n, true, alias); }
PipePtr MakeFilterPipe(FilterPtr filter) { return std::make_unique<FilterPipe>(std::move(filter)); }

PipePtr MakeDropEmptyFieldsPipe() {
  return std::make_unique<MapPipe>("drop_empty_fields", "drop_empty_fields", [](Row* row) {
    row->erase(std::remove_if(row->begin(), row->end(), [](const auto& f) { return f.value.empty(); }), row->end());
    return !row->empty();
  });
}

PipePtr MakeLenPipe(std::string field, std::string result) {
  std::string text = "len(";
  AppendLogsqlString(&text, field);
  text += ") as ";
  AppendLogsqlString(&text, result);
  return std::make_unique<MapPipe>("len", std::move(text), [field = std::move(field), result = std::move(result)](Row* row) {
    SetField(row, result, std::to_string(FieldValue(*row, field).size()));
    return true;
  });
}

PipePtr MakeSortPipe(std::vector<SortKey> keys, bool desc, uint64_t offset, uint64_t limit) {
  return std::make_unique<SortPipe>(std::move(keys), desc, offset, limit);
}

PipePtr MakeUniqPipe(std::vector<std::string> fields, bool with_hits, uint64_t limit) {
  return std::make_unique<GroupCountPipe>(GroupCountPipe::Mode::kUniq, std::move(fields), with_hits, limit, "hits");
}

PipePtr MakeTopPipe(uint64_t n, std::vector<std::string> fields, std::string hits_name, std::string rank_name) {
  return std::make_unique<GroupCountPipe>(GroupCountPipe::Mode::kTop, std::move(fields), true, n, std::move(hits_name),
                                          std::move(rank_name));
}

PipePtr MakeFieldNamesPipe() { return std::make_unique<FieldNamesPipe>(); }

PipePtr MakeFieldValuesPipe(std::string field, uint64_t limit) {
  return std::make_unique<GroupCountPipe>(GroupCountPipe::Mode::kFieldValues, std::vector<std::string>{std::move(field)},
                                          true, limit, "hits");
}

}  // namespace vigil::logsql
