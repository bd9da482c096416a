#include "template/template.h"

#include "template/ast.h"
#include "template/exec.h"
#include "template/go_fmt.h"

namespace vigil::tmpl {
namespace {

// Go builtins, then Prometheus' functions (which never share a name).
std::shared_ptr<const FuncMap> DefaultFuncs() {
  static const std::shared_ptr<const FuncMap> kFuncs = [] {
    auto m = std::make_shared<FuncMap>(GoBuiltinFunctions());
    for (const auto& [name, fn] : PrometheusFunctions()) (*m)[name] = fn;
    return std::shared_ptr<const FuncMap>(std::move(m));
  }();
  return kFuncs;
}

}  // namespace

Result<Template> Template::Parse(std::string_view name, std::string_view text, const ParseOptions& options) {
  if (text.size() > options.limits.max_text_bytes) {
    return Status::ResourceExhausted("template: " + std::string(name) + ": text exceeds " +
                                     std::to_string(options.limits.max_text_bytes) + " bytes");
  }
  auto set = std::make_shared<TemplateSet>();
  set->limits = options.limits;
  if (options.funcs.empty()) {
    set->funcs = DefaultFuncs();
  } else {
    auto merged = std::make_shared<FuncMap>(*DefaultFuncs());
    for (const auto& [fname, fn] : options.funcs) (*merged)[fname] = fn;
    set->funcs = std::move(merged);
  }
  Status s = internal::ParseInto(name, text, set.get());
  if (!s.ok()) return s;
  return Template(std::move(set));
}

Result<std::string> Template::Execute(const Value& data, const ExecContext& context) const {
  return ExecuteTemplate(set_->parse_name, data, context);
}

Result<std::string> Template::ExecuteTemplate(std::string_view name, const Value& data,
                                              const ExecContext& context) const {
  const internal::TemplateTree* tree = set_->Lookup(name);
  if (tree == nullptr) {
    return Status::InvalidArgument("template: no template " + internal::GoQuote(name) + " associated with template " +
                                   internal::GoQuote(set_->parse_name));
  }
  Executor exec(*set_, context);
  return exec.Run(*tree, data);
}

Result<Template> Template::ParseMore(std::string_view name, std::string_view text) const {
  if (text.size() > set_->limits.max_text_bytes) {
    return Status::ResourceExhausted("template: " + std::string(name) + ": text exceeds " +
                                     std::to_string(set_->limits.max_text_bytes) + " bytes");
  }
  auto set = std::make_shared<TemplateSet>(*set_);
  Status s = internal::ParseInto(name, text, set.get());
  if (!s.ok()) return s;
  return Template(std::move(set));
}

const std::string& Template::name() const { return set_->parse_name; }

bool Template::Defines(std::string_view name) const { return set_->Lookup(name) != nullptr; }

Result<Template> ParseRuleTemplate(std::string_view name, std::string_view text) {
  static constexpr std::string_view kDefs =
      "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}"
      "{{$value := .Value}}";
  std::string full;
  full.reserve(kDefs.size() + text.size());
  full.append(kDefs);
  full.append(text);
  auto tmpl = Template::Parse(name, full);
  if (!tmpl.ok() && tmpl.status().code() == Status::Code::kInvalidArgument) {
    return Status::InvalidArgument("error parsing template " + std::string(name) + ": " + tmpl.status().message());
  }
  return tmpl;
}

Result<std::string> ExecuteRuleTemplate(const Template& tmpl, const RuleTemplateData& data, const QueryFn& query) {
  ValueMap dot;
  dot.entries.emplace("Labels", Value::Strings(data.labels));
  dot.entries.emplace("ExternalLabels", Value::Strings(data.external_labels));
  dot.entries.emplace("ExternalURL", Value::String(data.external_url));
  dot.entries.emplace("Value", Value::Float(data.value));
  ExecContext ctx;
  ctx.query = query;
  ctx.external_url = data.external_url;
  ctx.now_unix_nanos = data.now_unix_nanos;
  auto out = tmpl.Execute(Value::Map(std::move(dot)), ctx);
  if (!out.ok() && out.status().code() == Status::Code::kInvalidArgument) {
    return Status::InvalidArgument("error executing template " + tmpl.name() + ": " + out.status().message());
  }
  return out;
}

Result<std::string> ExpandRuleTemplate(std::string_view name, std::string_view text, const RuleTemplateData& data,
                                       const QueryFn& query) {
  auto tmpl = ParseRuleTemplate(name, text);
  if (!tmpl.ok()) return tmpl.status();
  return ExecuteRuleTemplate(*tmpl, data, query);
}

}  // namespace vigil::tmpl
