#include "logsql/filter.h"

#include <algorithm>
#include <limits>

namespace vigil::logsql {

Bitmap::Bitmap(size_t rows, bool set) : rows_(rows), words_((rows + 63) / 64, set ? ~uint64_t{0} : 0) {
  if (set && (rows & 63) != 0) words_.back() = (uint64_t{1} << (rows & 63)) - 1;
}

bool Bitmap::Any() const {
  return std::any_of(words_.begin(), words_.end(), [](uint64_t w) { return w != 0; });
}

size_t Bitmap::Count() const {
  size_t n = 0;
  for (uint64_t w : words_) n += static_cast<size_t>(__builtin_popcountll(w));
  return n;
}

void Bitmap::And(const Bitmap& other) {
  for (size_t i = 0; i < words_.size(); ++i) words_[i] &= other.words_[i];
}

void Bitmap::Or(const Bitmap& other) {
  for (size_t i = 0; i < words_.size(); ++i) words_[i] |= other.words_[i];
}

void Bitmap::AndNot(const Bitmap& other) {
  for (size_t i = 0; i < words_.size(); ++i) words_[i] &= ~other.words_[i];
}

namespace {

// `*` alone: every row.
class MatchAllFilter final : public Filter {
 public:
  void Apply(ColumnSource&, Bitmap*) const override {}
  void AppendString(std::string* out) const override { out->push_back('*'); }
};

class AndFilter final : public Filter {
 public:
  explicit AndFilter(std::vector<FilterPtr> children) : children_(std::move(children)) {}
  void Apply(ColumnSource& src, Bitmap* rows) const override {
    for (const auto& c : children_) {
      if (!rows->Any()) return;
      c->Apply(src, rows);
    }
  }
  void AppendString(std::string* out) const override {
    for (size_t i = 0; i < children_.size(); ++i) {
      if (i > 0) out->push_back(' ');
      const bool wrap = dynamic_cast<const AndFilter*>(children_[i].get()) == nullptr &&
                        IsOr(children_[i].get());
      if (wrap) out->push_back('(');
      children_[i]->AppendString(out);
      if (wrap) out->push_back(')');
    }
  }
  void CollectRequiredTokens(std::vector<logstore::RequiredTokens>* out) const override {
    for (const auto& c : children_) c->CollectRequiredTokens(out);
  }
  void NarrowTimeRange(int64_t now_ns, int64_t* min_ns, int64_t* max_ns) const override {
    for (const auto& c : children_) c->NarrowTimeRange(now_ns, min_ns, max_ns);
  }
  void CollectStreamFilters(std::vector<const Filter*>* out) const override {
    for (const auto& c : children_) c->CollectStreamFilters(out);
  }
  void CollectFields(std::vector<std::string>* out) const override {
    for (const auto& c : children_) c->CollectFields(out);
  }
  static bool IsOr(const Filter* f);

 private:
  std::vector<FilterPtr> children_;
};

class OrFilter final : public Filter {
 public:
  explicit OrFilter(std::vector<FilterPtr> children) : children_(std::move(children)) {}
  void Apply(ColumnSource& src, Bitmap* rows) const override {
    // Each branch sees only the rows no earlier branch matched.
    Bitmap matched(rows->size(), false);
    Bitmap pending = *rows;
    for (const auto& c : children_) {
      if (!pending.Any()) break;
      Bitmap branch = pending;
      c->Apply(src, &branch);
      matched.Or(branch);
      pending.AndNot(branch);
    }
    rows->And(matched);
  }
  void AppendString(std::string* out) const override {
    for (size_t i = 0; i < children_.size(); ++i) {
      if (i > 0) out->append(" or ");
      children_[i]->AppendString(out);
    }
  }
  void NarrowTimeRange(int64_t now_ns, int64_t* min_ns, int64_t* max_ns) const override {
    // The union of the branches' ranges bounds every match.
    int64_t lo = std::numeric_limits<int64_t>::max(), hi = std::numeric_limits<int64_t>::min();
    for (const auto& c : children_) {
      int64_t a = *min_ns, b = *max_ns;
      c->NarrowTimeRange(now_ns, &a, &b);
      lo = std::min(lo, a);
      hi = std::max(hi, b);
    }
    if (!children_.empty()) {
      *min_ns = std::max(*min_ns, lo);
      *max_ns = std::min(*max_ns, hi);
    }
  }
  void CollectFields(std::vector<std::string>* out) const override {
    for (const auto& c : children_) c->CollectFields(out);
  }

 private:
  std::vector<FilterPtr> children_;
};

bool AndFilter::IsOr(const Filter* f) { return dynamic_cast<const OrFilter*>(f) != nullptr; }

class NotFilter final : public Filter {
 public:
  explicit NotFilter(FilterPtr child) : child_(std::move(child)) {}
  void Apply(ColumnSource& src, Bitmap* rows) const override {
    Bitmap inner = *rows;
    child_->Apply(src, &inner);
    rows->AndNot(inner);
  }
  void AppendString(std::string* out) const override {
    out->push_back('!');
    const bool wrap = dynamic_cast<const AndFilter*>(child_.get()) != nullptr ||
                      dynamic_cast<const OrFilter*>(child_.get()) != nullptr;
    if (wrap) out->push_back('(');
    child_->AppendString(out);
    if (wrap) out->push_back(')');
  }
  void CollectFields(std::vector<std::string>* out) const override { child_->CollectFields(out); }

 private:
  FilterPtr child_;
};

}  // namespace

FilterPtr MakeMatchAll() { return std::make_unique<MatchAllFilter>(); }

FilterPtr MakeAnd(std::vector<FilterPtr> children) {
  if (children.size() == 1) return std::move(children[0]);
  return std::make_unique<AndFilter>(std::move(children));
}

FilterPtr MakeOr(std::vector<FilterPtr> children) {
  if (children.size() == 1) return std::move(children[0]);
  return std::make_unique<OrFilter>(std::move(children));
}

FilterPtr MakeNot(FilterPtr child) { return std::make_unique<NotFilter>(std::move(child)); }

}  // namespace vigil::logsql
