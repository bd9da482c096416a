#include <cmath>
#include <string>

#include "template/go_fmt.h"
#include "template/go_time.h"
#include "template/template.h"

namespace vigil::tmpl {

Value Value::Bool(bool b) {
  Value v;
  v.v_ = b;
  return v;
}

Value Value::Int(int64_t i) {
  Value v;
  v.v_ = i;
  return v;
}

Value Value::Float(double d) {
  Value v;
  v.v_ = d;
  return v;
}

Value Value::String(std::string s) {
  Value v;
  v.v_ = std::move(s);
  return v;
}

Value Value::List(ValueList items) {
  Value v;
  v.v_ = std::make_shared<const ValueList>(std::move(items));
  return v;
}

Value Value::Map(ValueMap map) {
  Value v;
  v.v_ = std::make_shared<const ValueMap>(std::move(map));
  return v;
}

Value Value::Strings(const StringMap& map) {
  ValueMap m;
  m.string_valued = true;
  for (const auto& [k, s] : map) m.entries.emplace_hint(m.entries.end(), k, Value::String(s));
  return Map(std::move(m));
}

Value Value::SampleOf(StringMap labels, double value) {
  Value v;
  v.v_ = std::make_shared<const Sample>(Sample{Strings(labels), value});
  return v;
}

Value Value::Time(int64_t unix_nanos) {
  Value v;
  v.v_ = TimePoint{unix_nanos};
  return v;
}

bool Value::IsTrue() const {
  switch (kind()) {
    case Kind::kNil: return false;
    case Kind::kBool: return as_bool();
    case Kind::kInt: return as_int() != 0;
    case Kind::kFloat: return as_float() != 0;
    case Kind::kString: return !as_string().empty();
    case Kind::kList: return !as_list().empty();
    case Kind::kMap: return !as_map().entries.empty();
    case Kind::kSample:
    case Kind::kTime: return true;
  }
  return false;
}

std::string Value::ToString() const {
  if (methods_ && methods_->stringer) return methods_->stringer(*this);
  switch (kind()) {
    case Kind::kNil: return "<nil>";
    case Kind::kBool: return as_bool() ? "true" : "false";
    case Kind::kInt: return std::to_string(as_int());
    case Kind::kFloat: return FormatGoFloat(as_float());
    case Kind::kString: return as_string();
    case Kind::kList: {
      std::string out = "[";
      bool first = true;
      for (const Value& item : as_list()) {
        if (!first) out.push_back(' ');
        first = false;
        out.append(item.ToString());
      }
      out.push_back(']');
      return out;
    }
    case Kind::kMap: {
      std::string out = "map[";
      bool first = true;
      for (const auto& [k, item] : as_map().entries) {
        if (!first) out.push_back(' ');
        first = false;
        out.append(k);
        out.push_back(':');
        out.append(item.ToString());
      }
      out.push_back(']');
      return out;
    }
    case Kind::kSample: {
      // fmt prints the *sample a template sees through one indirection.
      const Sample& s = as_sample();
      return "{" + s.labels.ToString() + " " + FormatGoFloat(s.value) + "}";
    }
    case Kind::kTime: return internal::GoTimeString(time_nanos());
  }
  return std::string();
}

Value Value::WithMethods(std::shared_ptr<const MethodTable> table) const {
  Value v = *this;
  v.methods_ = std::move(table);
  return v;
}

std::string Value::GoTypeName() const {
  if (methods_ && !methods_->type_name.empty()) return methods_->type_name;
  switch (kind()) {
    case Kind::kNil: return "<nil>";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kFloat: return "float64";
    case Kind::kString: return "string";
    case Kind::kList: {
      const ValueList& l = as_list();
      if (!l.empty() && l.front().kind() == Kind::kSample) return "template.queryResult";
      return "[]interface {}";
    }
    case Kind::kMap: return as_map().string_valued ? "map[string]string" : "map[string]interface {}";
    case Kind::kSample: return "*template.sample";
    case Kind::kTime: return "time.Time";
  }
  return "?";
}

std::string FormatGoFloat(double v) { return internal::FormatFloat(v, 'g', -1); }

}  // namespace vigil::tmpl
