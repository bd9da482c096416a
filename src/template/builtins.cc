// Go text/template's predefined functions (text/template/funcs.go), with
// Go's error messages.

#include <optional>

#include "template/func_util.h"
#include "template/go_fmt.h"

namespace vigil::tmpl {
namespace {

using internal::GoSprint;

const Status kBadComparisonType = Status::InvalidArgument("invalid type for comparison");
const Status kBadComparison = Status::InvalidArgument("incompatible types for comparison");

enum class BasicKind { kInvalid, kBool, kInt, kFloat, kString };

BasicKind KindOf(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kBool: return BasicKind::kBool;
    case Value::Kind::kInt: return BasicKind::kInt;
    case Value::Kind::kFloat: return BasicKind::kFloat;
    case Value::Kind::kString: return BasicKind::kString;
    default: return BasicKind::kInvalid;
  }
}

bool Comparable(const Value& v) { return v.kind() != Value::Kind::kList && v.kind() != Value::Kind::kMap; }

Result<bool> Eq(const Value& a, std::span<const Value> others) {
  if (!a.is_nil() && !Comparable(a)) {
    return Status::InvalidArgument("uncomparable type " + a.GoTypeName() + ": " + a.ToString());
  }
  if (others.empty()) return Status::InvalidArgument("missing argument for comparison");
  const BasicKind k1 = KindOf(a);
  for (const Value& b : others) {
    const BasicKind k2 = KindOf(b);
    bool truth = false;
    if (k1 != k2) {
      if (!a.is_nil() && !b.is_nil()) return kBadComparison;
    } else {
      switch (k1) {
        case BasicKind::kBool: truth = a.as_bool() == b.as_bool(); break;
        case BasicKind::kInt: truth = a.as_int() == b.as_int(); break;
        case BasicKind::kFloat: truth = a.as_float() == b.as_float(); break;
        case BasicKind::kString: truth = a.as_string() == b.as_string(); break;
        case BasicKind::kInvalid:
          if (a.is_nil() || b.is_nil()) {
            truth = a.is_nil() && b.is_nil();
          } else if (!Comparable(b)) {
            return Status::InvalidArgument("uncomparable type " + b.GoTypeName() + ": " + b.ToString());
          } else if (a.kind() == Value::Kind::kSample && b.kind() == Value::Kind::kSample) {
            truth = &a.as_sample() == &b.as_sample();  // pointer identity, as Go's *sample
          } else if (a.kind() == Value::Kind::kTime && b.kind() == Value::Kind::kTime) {
            truth = a.time_nanos() == b.time_nanos();
          }
          break;
      }
    }
    if (truth) return true;
  }
  return false;
}

Result<bool> Lt(const Value& a, const Value& b) {
  const BasicKind k1 = KindOf(a);
  if (k1 == BasicKind::kInvalid) return kBadComparisonType;
  const BasicKind k2 = KindOf(b);
  if (k2 == BasicKind::kInvalid) return kBadComparisonType;
  if (k1 != k2) return kBadComparison;
  switch (k1) {
    case BasicKind::kInt: return a.as_int() < b.as_int();
    case BasicKind::kFloat: return a.as_float() < b.as_float();
    case BasicKind::kString: return a.as_string() < b.as_string();
    default: return kBadComparisonType;
  }
}

Result<bool> Le(const Value& a, const Value& b) {
  Result<bool> lt = Lt(a, b);
  if (!lt.ok() || *lt) return lt;
  const Value one[] = {b};
  return Eq(a, one);
}

Function Fixed(int n, std::function<Result<Value>(std::span<const Value>, CallEnv&)> f) {
  return Function{n, n, std::move(f)};
}
Function Variadic(int min, std::function<Result<Value>(std::span<const Value>, CallEnv&)> f) {
  return Function{min, -1, std::move(f)};
}

Result<Value> BoolResult(const Result<bool>& r) {
  if (!r.ok()) return r.status();
  return Value::Bool(*r);
}

// text/template's evalArgs: one string argument as is, else fmt.Sprint.
std::string EvalArgs(std::span<const Value> args) {
  if (args.size() == 1 && args[0].kind() == Value::Kind::kString) return args[0].as_string();
  return GoSprint(args);
}

Result<int64_t> IndexArg(const Value& index, size_t cap, bool allow_cap) {
  if (index.is_nil()) return Status::InvalidArgument("cannot index slice/array with nil");
  if (index.kind() != Value::Kind::kInt) {
    return Status::InvalidArgument("cannot index slice/array with type " + index.GoTypeName());
  }
  const int64_t x = index.as_int();
  if (x < 0 || static_cast<uint64_t>(x) > cap || (!allow_cap && static_cast<uint64_t>(x) == cap)) {
    return Status::InvalidArgument("index out of range: " + std::to_string(x));
  }
  return x;
}

Result<Value> Index(std::span<const Value> args) {
  Value item = args[0];
  if (item.is_nil()) return Status::InvalidArgument("index of untyped nil");
  for (const Value& index : args.subspan(1)) {
    switch (item.kind()) {
      case Value::Kind::kNil: return Status::InvalidArgument("index of nil pointer");
      case Value::Kind::kList: {
        auto x = IndexArg(index, item.as_list().size(), false);
        if (!x.ok()) return x.status();
        item = item.as_list()[*x];
        break;
      }
      case Value::Kind::kString: {
        auto x = IndexArg(index, item.as_string().size(), false);
        if (!x.ok()) return x.status();
        item = Value::Int(static_cast<unsigned char>(item.as_string()[*x]));
        break;
      }
      case Value::Kind::kMap: {
        if (index.kind() != Value::Kind::kString) {
          if (index.is_nil()) return Status::InvalidArgument("value is nil; should be of type string");
          return Status::InvalidArgument("value has type " + index.GoTypeName() + "; should be string");
        }
        const ValueMap& m = item.as_map();
        auto it = m.entries.find(index.as_string());
        if (it != m.entries.end()) {
          item = it->second;
        } else {
          item = m.string_valued ? Value::String("") : Value();
        }
        break;
      }
      default: {
        std::string type = item.GoTypeName();
        if (!type.empty() && type[0] == '*') type.erase(0, 1);
        return Status::InvalidArgument("can't index item of type " + type);
      }
    }
  }
  return item;
}

Result<Value> Slice(std::span<const Value> args) {
  const Value& item = args[0];
  if (item.is_nil()) return Status::InvalidArgument("slice of untyped nil");
  if (args.size() > 4) {
    return Status::InvalidArgument("too many slice indexes: " + std::to_string(args.size() - 1));
  }
  size_t len;
  if (item.kind() == Value::Kind::kString) {
    if (args.size() > 3) return Status::InvalidArgument("cannot 3-index slice a string");
    len = item.as_string().size();
  } else if (item.kind() == Value::Kind::kList) {
    len = item.as_list().size();
  } else {
    return Status::InvalidArgument("can't slice item of type " + item.GoTypeName());
  }
  int64_t idx[3] = {0, static_cast<int64_t>(len), static_cast<int64_t>(len)};
  for (size_t i = 1; i < args.size(); ++i) {
    auto x = IndexArg(args[i], len, true);
    if (!x.ok()) return x.status();
    idx[i - 1] = *x;
  }
  if (idx[0] > idx[1]) {
    return Status::InvalidArgument("invalid slice index: " + std::to_string(idx[0]) + " > " + std::to_string(idx[1]));
  }
  if (args.size() == 4 && idx[1] > idx[2]) {
    return Status::InvalidArgument("invalid slice index: " + std::to_string(idx[1]) + " > " + std::to_string(idx[2]));
  }
  if (item.kind() == Value::Kind::kString) {
    return Value::String(item.as_string().substr(idx[0], idx[1] - idx[0]));
  }
  const ValueList& l = item.as_list();
  return Value::List(ValueList(l.begin() + idx[0], l.begin() + idx[1]));
}

Result<Value> Len(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kString: return Value::Int(static_cast<int64_t>(v.as_string().size()));
    case Value::Kind::kList: return Value::Int(static_cast<int64_t>(v.as_list().size()));
    case Value::Kind::kMap: return Value::Int(static_cast<int64_t>(v.as_map().entries.size()));
    case Value::Kind::kNil: return Status::InvalidArgument("len of nil pointer");
    default: return Status::InvalidArgument("len of type " + v.GoTypeName());
  }
}

FuncMap MakeBuiltins() {
  FuncMap m;
  // and/or are evaluated lazily by the executor; these bodies serve direct calls.
  m["and"] = Variadic(1, [](std::span<const Value> a, CallEnv&) -> Result<Value> {
    for (const Value& v : a) {
      if (!v.IsTrue()) return v;
    }
    return a.back();
  });
  m["or"] = Variadic(1, [](std::span<const Value> a, CallEnv&) -> Result<Value> {
    for (const Value& v : a) {
      if (v.IsTrue()) return v;
    }
    return a.back();
  });
  m["not"] = Fixed(1, [](std::span<const Value> a, CallEnv&) -> Result<Value> { return Value::Bool(!a[0].IsTrue()); });
  m["len"] = Fixed(1, [](std::span<const Value> a, CallEnv&) { return Len(a[0]); });
  m["index"] = Variadic(1, [](std::span<const Value> a, CallEnv&) { return Index(a); });
  m["slice"] = Variadic(1, [](std::span<const Value> a, CallEnv&) { return Slice(a); });
  m["print"] = Variadic(0, [](std::span<const Value> a, CallEnv&) -> Result<Value> {
    return Value::String(GoSprint(a));
  });
  m["println"] = Variadic(0, [](std::span<const Value> a, CallEnv&) -> Result<Value> {
    return Value::String(internal::GoSprintln(a));
  });
  m["printf"] = Variadic(1, [](std::span<const Value> a, CallEnv&) -> Result<Value> {
    auto format = internal::StringArg(a[0]);
    if (!format.ok()) return format.status();
    return Value::String(internal::GoSprintf(*format, a.subspan(1)));
  });
  m["eq"] = Variadic(1, [](std::span<const Value> a, CallEnv&) { return BoolResult(Eq(a[0], a.subspan(1))); });
  m["ne"] = Fixed(2, [](std::span<const Value> a, CallEnv&) -> Result<Value> {
    Result<bool> eq = Eq(a[0], a.subspan(1));
    if (!eq.ok()) return eq.status();
    return Value::Bool(!*eq);
  });
  m["lt"] = Fixed(2, [](std::span<const Value> a, CallEnv&) { return BoolResult(Lt(a[0], a[1])); });
  m["le"] = Fixed(2, [](std::span<const Value> a, CallEnv&) { return BoolResult(Le(a[0], a[1])); });
  m["gt"] = Fixed(2, [](std::span<const Value> a, CallEnv&) -> Result<Value> {
    Result<bool> le = Le(a[0], a[1]);
    if (!le.ok()) return le.status();
    return Value::Bool(!*le);
  });
  m["ge"] = Fixed(2, [](std::span<const Value> a, CallEnv&) -> Result<Value> {
    Result<bool> lt = Lt(a[0], a[1]);
    if (!lt.ok()) return lt.status();
    return Value::Bool(!*lt);
  });
  m["html"] = Variadic(0, [](std::span<const Value> a, CallEnv&) -> Result<Value> {
    return Value::String(internal::HtmlEscape(EvalArgs(a)));
  });
  m["js"] = Variadic(0, [](std::span<const Value> a, CallEnv&) -> Result<Value> {
    return Value::String(internal::JsEscape(EvalArgs(a)));
  });
  m["urlquery"] = Variadic(0, [](std::span<const Value> a, CallEnv&) -> Result<Value> {
    return Value::String(internal::QueryEscape(EvalArgs(a)));
  });
  return m;
}

}  // namespace

const FuncMap& GoBuiltinFunctions() {
  static const FuncMap* const kFuncs = new FuncMap(MakeBuiltins());
  return *kFuncs;
}

}  // namespace vigil::tmpl
