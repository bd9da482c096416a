// Execution follows Go's text/template/exec.go step by step (the walk, the
// evaluation of pipelines, commands, fields and variables, and their error
// messages). Errors unwind with an internal exception caught in Run and
// RunNested; nothing throws out of the module, and user functions are never
// unwound through.

#include "template/exec.h"

#include "template/go_fmt.h"
#include "template/go_time.h"

namespace vigil::tmpl {
namespace {

struct ExecError {
  Status status;
};

using internal::Arg;
using internal::ArgType;
using internal::Command;
using internal::Node;
using internal::NodeList;
using internal::NodeType;
using internal::Pipe;

}  // namespace

const ExecContext& CallEnv::context() const { return exec_->context(); }

Result<std::string> CallEnv::ExecuteTemplate(std::string_view name, const Value& data) {
  return exec_->RunNested(name, data);
}

void Executor::Errorf(const std::string& msg) const {
  const std::string name = tmpl_ ? tmpl_->name : set_.parse_name;
  if (at_kind_ == AtKind::kNone) {
    throw ExecError{Status::InvalidArgument("template: " + name + ": " + msg)};
  }
  const std::string_view src = tmpl_ && tmpl_->source ? std::string_view(*tmpl_->source) : std::string_view();
  const size_t pos = std::min(at_pos_, src.size());
  const std::string_view before = src.substr(0, pos);
  const size_t nl = before.rfind('\n');
  const size_t col = nl == std::string_view::npos ? pos : pos - (nl + 1);
  size_t line = 1;
  for (char c : before) line += c == '\n';
  std::string context;
  switch (at_kind_) {
    case AtKind::kArg: context = internal::ArgString(*static_cast<const Arg*>(at_)); break;
    case AtKind::kCommand: context = internal::CommandString(*static_cast<const Command*>(at_)); break;
    case AtKind::kPipe: context = internal::PipeString(*static_cast<const Pipe*>(at_)); break;
    case AtKind::kNode: context = internal::NodeString(*static_cast<const Node*>(at_)); break;
    case AtKind::kNone: break;
  }
  if (context.size() > 20) context = context.substr(0, 20) + "...";
  const std::string& parse_name = tmpl_ ? tmpl_->parse_name : set_.parse_name;
  throw ExecError{Status::InvalidArgument("template: " + parse_name + ":" + std::to_string(line) + ":" +
                                          std::to_string(col) + ": executing " + internal::GoQuote(name) +
                                          " at <" + context + ">: " + msg)};
}

void Executor::LimitError(const std::string& msg) const {
  const std::string name = tmpl_ ? tmpl_->name : set_.parse_name;
  throw ExecError{Status::ResourceExhausted("template: " + name + ": " + msg)};
}

void Executor::Step() {
  if (++steps_ > set_.limits.max_steps) {
    LimitError("execution exceeded " + std::to_string(set_.limits.max_steps) + " steps");
  }
}

void Executor::Write(std::string_view s) {
  if (out_.size() + s.size() > set_.limits.max_output_bytes) {
    LimitError("output exceeds " + std::to_string(set_.limits.max_output_bytes) + " bytes");
  }
  out_.append(s);
}

void Executor::RunTree(const internal::TemplateTree& tree, const Value& data) {
  // Restores the caller's template, variables and depth even when an
  // error unwinds through here (RunNested resumes the caller afterwards).
  struct Frame {
    Executor* e;
    const internal::TemplateTree* tmpl;
    std::vector<std::pair<std::string_view, Value>> vars;
    ~Frame() {
      e->tmpl_ = tmpl;
      e->vars_.swap(vars);
      --e->depth_;
    }
  } frame{this, tmpl_, {}};
  frame.vars.swap(vars_);
  vars_.emplace_back("$", data);
  tmpl_ = &tree;
  ++depth_;
  WalkList(data, tree.root);
}

Result<std::string> Executor::Run(const internal::TemplateTree& tree, const Value& data) {
  try {
    RunTree(tree, data);
  } catch (const ExecError& e) {
    return e.status;
  }
  return std::move(out_);
}

Result<std::string> Executor::RunNested(std::string_view name, const Value& data) {
  const internal::TemplateTree* tree = set_.Lookup(name);
  if (tree == nullptr) return Status::InvalidArgument("template " + internal::GoQuote(name) + " not defined");
  if (depth_ >= set_.limits.max_call_depth) {
    return Status::ResourceExhausted("exceeded maximum template depth (" +
                                     std::to_string(set_.limits.max_call_depth) + ")");
  }
  std::string saved_out;
  saved_out.swap(out_);
  const AtKind saved_kind = at_kind_;
  const void* saved_at = at_;
  const size_t saved_pos = at_pos_;
  Result<std::string> result = std::string();
  try {
    RunTree(*tree, data);
    result = std::move(out_);
  } catch (const ExecError& e) {
    result = e.status;
  }
  out_ = std::move(saved_out);
  at_kind_ = saved_kind;
  at_ = saved_at;
  at_pos_ = saved_pos;
  return result;
}

Executor::Flow Executor::WalkList(const Value& dot, const NodeList& list) {
  for (const auto& n : list) {
    const Flow f = Walk(dot, *n);
    if (f != Flow::kNormal) return f;
  }
  return Flow::kNormal;
}

Executor::Flow Executor::Walk(const Value& dot, const Node& node) {
  Step();
  At(node);
  switch (node.type) {
    case NodeType::kText:
      Write(node.text);
      return Flow::kNormal;
    case NodeType::kAction: {
      const Value v = EvalPipeline(dot, node.pipe.get());
      if (node.pipe->decls.empty()) {
        At(node);
        std::string printed = v.is_nil() ? std::string("<no value>") : v.ToString();
        Write(ctx_.escape_action ? ctx_.escape_action(v, std::move(printed)) : printed);
      }
      return Flow::kNormal;
    }
    case NodeType::kIf:
    case NodeType::kWith: return WalkIfOrWith(dot, node);
    case NodeType::kRange: return WalkRange(dot, node);
    case NodeType::kTemplate: WalkTemplate(dot, node); return Flow::kNormal;
    case NodeType::kBreak: return Flow::kBreak;
    case NodeType::kContinue: return Flow::kContinue;
  }
  return Flow::kNormal;
}

Executor::Flow Executor::WalkIfOrWith(const Value& dot, const Node& node) {
  const size_t mark = vars_.size();
  const Value v = EvalPipeline(dot, node.pipe.get());
  Flow f = Flow::kNormal;
  if (v.IsTrue()) {
    f = WalkList(node.type == NodeType::kWith ? v : dot, node.list);
  } else if (node.has_else) {
    f = WalkList(dot, node.else_list);
  }
  vars_.resize(mark);
  return f;
}

Executor::Flow Executor::WalkRange(const Value& dot, const Node& node) {
  At(node);
  const size_t mark = vars_.size();
  const Value v = EvalPipeline(dot, node.pipe.get());
  const size_t inner = vars_.size();
  const std::vector<std::string>& decls = node.pipe->decls;
  size_t iterations = 0;
  auto one = [&](const Value& index, const Value& elem) -> bool {
    Step();
    ++iterations;
    if (!decls.empty()) {
      if (node.pipe->is_assign) {
        SetVar(decls[0], decls.size() > 1 ? index : elem);
      } else {
        vars_[inner - 1].second = elem;
      }
    }
    if (decls.size() > 1) {
      if (node.pipe->is_assign) {
        SetVar(decls[1], elem);
      } else {
        vars_[inner - 2].second = index;
      }
    }
    const Flow f = WalkList(elem, node.list);
    vars_.resize(inner);
    return f != Flow::kBreak;
  };
  switch (v.kind()) {
    case Value::Kind::kList: {
      const ValueList& items = v.as_list();
      for (size_t i = 0; i < items.size(); ++i) {
        if (!one(Value::Int(static_cast<int64_t>(i)), items[i])) break;
      }
      break;
    }
    case Value::Kind::kMap:
      for (const auto& [key, item] : v.as_map().entries) {
        if (!one(Value::String(key), item)) break;
      }
      break;
    case Value::Kind::kNil: break;
    default:
      Errorf("range can't iterate over " + v.ToString());
  }
  Flow f = Flow::kNormal;
  if (iterations == 0 && node.has_else) f = WalkList(dot, node.else_list);
  vars_.resize(mark);
  return f;
}

void Executor::WalkTemplate(const Value& dot, const Node& node) {
  At(node);
  const internal::TemplateTree* tree = set_.Lookup(node.text);
  if (tree == nullptr) Errorf("template " + internal::GoQuote(node.text) + " not defined");
  if (depth_ >= set_.limits.max_call_depth) {
    LimitError("exceeded maximum template depth (" + std::to_string(set_.limits.max_call_depth) + ")");
  }
  const Value data = node.pipe ? EvalPipeline(dot, node.pipe.get()) : Value();
  RunTree(*tree, data);
}

Value Executor::EvalPipeline(const Value& dot, const Pipe* pipe) {
  if (pipe == nullptr) return Value();
  At(*pipe);
  std::optional<Value> value;
  for (const Command& cmd : pipe->cmds) value = EvalCommand(dot, cmd, value);
  Value result = value ? std::move(*value) : Value();
  for (const std::string& decl : pipe->decls) {
    if (pipe->is_assign) {
      SetVar(decl, result);
    } else {
      vars_.emplace_back(decl, result);
    }
  }
  return result;
}

void Executor::NotAFunction(const Arg& first, Args rest, const std::optional<Value>& final) {
  if (!rest.empty() || final) Errorf("can't give argument to non-function " + internal::ArgString(first));
}

Value Executor::EvalCommand(const Value& dot, const Command& cmd, const std::optional<Value>& final) {
  Step();
  const Arg& first = cmd.args[0];
  const Args rest = Args(cmd.args).subspan(1);
  switch (first.type) {
    case ArgType::kField:
      At(first);
      return EvalFieldChain(dot, dot, first, first.idents, rest, final);
    case ArgType::kChain: {
      if (first.base->type == ArgType::kNil) Errorf("indirection through explicit nil in " + internal::ArgString(first));
      const Value base = EvalArg(dot, *first.base);
      return EvalFieldChain(dot, base, first, first.idents, rest, final);
    }
    case ArgType::kIdentifier: return EvalFunction(dot, first, &cmd, rest, final);
    case ArgType::kPipe:
      NotAFunction(first, rest, final);
      return EvalPipeline(dot, first.pipe.get());
    case ArgType::kVariable: return EvalVariable(dot, first, rest, final);
    default: break;
  }
  At(first);
  NotAFunction(first, rest, final);
  switch (first.type) {
    case ArgType::kBool:
    case ArgType::kNumber:
    case ArgType::kString: return first.constant;
    case ArgType::kDot: return dot;
    case ArgType::kNil: Errorf("nil is not a command");
    default: Errorf("can't evaluate command " + internal::ArgString(first));
  }
}

Value Executor::EvalArg(const Value& dot, const Arg& arg) {
  At(arg);
  switch (arg.type) {
    case ArgType::kDot: return dot;
    case ArgType::kNil: return Value();
    case ArgType::kField: return EvalFieldChain(dot, dot, arg, arg.idents, {}, std::nullopt);
    case ArgType::kVariable: return EvalVariable(dot, arg, {}, std::nullopt);
    case ArgType::kPipe: return EvalPipeline(dot, arg.pipe.get());
    case ArgType::kIdentifier: return EvalFunction(dot, arg, nullptr, {}, std::nullopt);
    case ArgType::kChain: {
      if (arg.base->type == ArgType::kNil) Errorf("indirection through explicit nil in " + internal::ArgString(arg));
      const Value base = EvalArg(dot, *arg.base);
      return EvalFieldChain(dot, base, arg, arg.idents, {}, std::nullopt);
    }
    case ArgType::kBool:
    case ArgType::kNumber:
    case ArgType::kString: return arg.constant;
  }
  return Value();
}

void Executor::CheckArity(const std::string& name, int min_args, int max_args, size_t got) {
  const auto n = static_cast<int>(got);
  if (max_args >= 0 && min_args == max_args && n != min_args) {
    Errorf("wrong number of args for " + name + ": want " + std::to_string(min_args) + " got " + std::to_string(n));
  }
  if (n < min_args) {
    Errorf("wrong number of args for " + name + ": want at least " + std::to_string(min_args) + " got " +
           std::to_string(n));
  }
  if (max_args >= 0 && n > max_args) {
    Errorf("wrong number of args for " + name + ": want at most " + std::to_string(max_args) + " got " +
           std::to_string(n));
  }
}

Value Executor::EvalFunction(const Value& dot, const Arg& ident, const Command* cmd, Args args,
                             const std::optional<Value>& final) {
  At(ident);
  const std::string& name = ident.text;
  const Function* fn = set_.FindFunction(name);
  if (fn == nullptr || !fn->call) Errorf(internal::GoQuote(name) + " is not a defined function");
  CheckArity(name, fn->min_args, fn->max_args, args.size() + (final ? 1 : 0));
  if (name == "and" || name == "or") {
    // Go evaluates and/or lazily and returns the deciding operand.
    const bool want = name == "or";
    Value v;
    for (const Arg& a : args) {
      v = EvalArg(dot, a);
      if (v.IsTrue() == want) return v;
    }
    if (final) v = *final;
    return v;
  }
  std::vector<Value> values;
  values.reserve(args.size() + 1);
  for (const Arg& a : args) values.push_back(EvalArg(dot, a));
  if (final) values.push_back(*final);
  CallEnv env(this);
  Result<Value> r = fn->call(values, env);
  if (!r.ok()) {
    if (cmd != nullptr) {
      At(*cmd);
    } else {
      At(ident);
    }
    if (r.status().code() == Status::Code::kResourceExhausted) throw ExecError{r.status()};
    Errorf("error calling " + name + ": " + r.status().message());
  }
  // Values only grow through functions (printf of itself in a range
  // doubles a string per iteration); bound them like the output.
  if (r->kind() == Value::Kind::kString && r->as_string().size() > set_.limits.max_output_bytes) {
    LimitError("value of " + name + " exceeds " + std::to_string(set_.limits.max_output_bytes) + " bytes");
  }
  return std::move(r).value();
}

Value Executor::EvalVariable(const Value& dot, const Arg& var, Args args, const std::optional<Value>& final) {
  At(var);
  const Value value = VarValue(var.idents[0]);
  if (var.idents.size() == 1) {
    NotAFunction(var, args, final);
    return value;
  }
  return EvalFieldChain(dot, value, var, std::span<const std::string>(var.idents).subspan(1), args, final);
}

Value Executor::EvalFieldChain(const Value& dot, Value receiver, const Arg& node, std::span<const std::string> idents,
                               Args args, const std::optional<Value>& final) {
  At(node);
  for (size_t i = 0; i + 1 < idents.size(); ++i) receiver = EvalField(dot, idents[i], {}, std::nullopt, receiver);
  return EvalField(dot, idents.back(), args, final, receiver);
}

Value Executor::EvalField(const Value& dot, const std::string& name, Args args, const std::optional<Value>& final,
                          const Value& receiver) {
  const bool has_args = !args.empty() || final.has_value();
  if (const MethodTable* table = receiver.methods()) {
    auto method = table->methods.find(name);
    if (method != table->methods.end()) {
      std::vector<Value> values;
      for (const Arg& a : args) values.push_back(EvalArg(dot, a));
      if (final) values.push_back(*final);
      Result<Value> result = method->second(receiver, values);
      if (!result.ok()) Errorf("error calling " + name + ": " + std::string(result.status().message()));
      return *std::move(result);
    }
  }
  switch (receiver.kind()) {
    case Value::Kind::kNil:
      return Value();  // missingkey=zero: a field of nothing is nothing
    case Value::Kind::kMap: {
      if (has_args) Errorf(name + " is not a method but has arguments");
      const ValueMap& m = receiver.as_map();
      auto it = m.entries.find(name);
      if (it != m.entries.end()) return it->second;
      return m.string_valued ? Value::String("") : Value();
    }
    case Value::Kind::kSample: {
      if (name == "Labels" || name == "Value") {
        if (has_args) Errorf(name + " has arguments but cannot be invoked as function");
        const Sample& s = receiver.as_sample();
        return name == "Labels" ? s.labels : Value::Float(s.value);
      }
      break;
    }
    case Value::Kind::kTime: {
      std::vector<Value> values;
      const internal::Arg* first = args.empty() ? nullptr : &args[0];
      (void)first;
      for (const Arg& a : args) values.push_back(EvalArg(dot, a));
      if (final) values.push_back(*final);
      const int64_t ns = receiver.time_nanos();
      const int64_t secs = ns / 1'000'000'000 - (ns % 1'000'000'000 < 0 ? 1 : 0);
      if (name == "Format") {
        CheckArity(name, 1, 1, values.size());
        if (values[0].kind() != Value::Kind::kString) {
          Errorf("wrong type for value; expected string; got " + values[0].GoTypeName());
        }
        return Value::String(internal::FormatGoTime(ns, values[0].as_string()));
      }
      if (name == "Unix" || name == "UnixMilli" || name == "UnixNano" || name == "UTC" || name == "String") {
        CheckArity(name, 0, 0, values.size());
        if (name == "Unix") return Value::Int(secs);
        if (name == "UnixMilli") return Value::Int(ns / 1'000'000 - (ns % 1'000'000 < 0 ? 1 : 0));
        if (name == "UnixNano") return Value::Int(ns);
        if (name == "UTC") return receiver;
        return Value::String(internal::GoTimeString(ns));
      }
      break;
    }
    default: break;
  }
  Errorf("can't evaluate field " + name + " in type " + receiver.GoTypeName());
}

const Value& Executor::VarValue(std::string_view name) {
  for (size_t i = vars_.size(); i-- > 0;) {
    if (vars_[i].first == name) return vars_[i].second;
  }
  Errorf("undefined variable: " + std::string(name));
}

void Executor::SetVar(std::string_view name, Value v) {
  for (size_t i = vars_.size(); i-- > 0;) {
    if (vars_[i].first == name) {
      vars_[i].second = std::move(v);
      return;
    }
  }
  Errorf("undefined variable: " + std::string(name));
}

}  // namespace vigil::tmpl
