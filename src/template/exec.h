#pragma once
// Execution of a parsed template set, following Go's text/template/exec.go
// (missingkey=zero). Internal to the template module. One Executor runs one
// execution on one thread; the TemplateSet it reads is shared and immutable.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "template/ast.h"

namespace vigil::tmpl {

class Executor {
 public:
  Executor(const TemplateSet& set, const ExecContext& context) : set_(set), ctx_(context) {}
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Executes `tree` with `data` as dot and `$`; returns the output.
  Result<std::string> Run(const internal::TemplateTree& tree, const Value& data);
  // Executes the named template from inside a function call (`tmpl`),
  // sharing this execution's budgets.
  Result<std::string> RunNested(std::string_view name, const Value& data);

  const ExecContext& context() const { return ctx_; }

 private:
  enum class Flow { kNormal, kBreak, kContinue };
  enum class AtKind { kNone, kArg, kCommand, kPipe, kNode };
  using Args = std::span<const internal::Arg>;

  [[noreturn]] void Errorf(const std::string& msg) const;
  [[noreturn]] void LimitError(const std::string& msg) const;
  void At(const internal::Arg& a) { at_kind_ = AtKind::kArg, at_ = &a, at_pos_ = a.pos; }
  void At(const internal::Command& c) { at_kind_ = AtKind::kCommand, at_ = &c, at_pos_ = c.pos; }
  void At(const internal::Pipe& p) { at_kind_ = AtKind::kPipe, at_ = &p, at_pos_ = p.pos; }
  void At(const internal::Node& n) { at_kind_ = AtKind::kNode, at_ = &n, at_pos_ = n.pos; }
  void Step();
  void Write(std::string_view s);

  Flow WalkList(const Value& dot, const internal::NodeList& list);
  Flow Walk(const Value& dot, const internal::Node& node);
  Flow WalkIfOrWith(const Value& dot, const internal::Node& node);
  Flow WalkRange(const Value& dot, const internal::Node& node);
  void WalkTemplate(const Value& dot, const internal::Node& node);
  void RunTree(const internal::TemplateTree& tree, const Value& data);

  Value EvalPipeline(const Value& dot, const internal::Pipe* pipe);
  Value EvalCommand(const Value& dot, const internal::Command& cmd, const std::optional<Value>& final);
  Value EvalArg(const Value& dot, const internal::Arg& arg);
  Value EvalFunction(const Value& dot, const internal::Arg& ident, const internal::Command* cmd, Args args,
                     const std::optional<Value>& final);
  Value EvalFieldChain(const Value& dot, Value receiver, const internal::Arg& node,
                       std::span<const std::string> idents, Args args, const std::optional<Value>& final);
  Value EvalField(const Value& dot, const std::string& name, Args args, const std::optional<Value>& final,
                  const Value& receiver);
  Value EvalVariable(const Value& dot, const internal::Arg& var, Args args, const std::optional<Value>& final);
  void NotAFunction(const internal::Arg& first, Args rest, const std::optional<Value>& final);
  void CheckArity(const std::string& name, int min_args, int max_args, size_t got);

  const Value& VarValue(std::string_view name);
  void SetVar(std::string_view name, Value v);

  const TemplateSet& set_;
  const ExecContext& ctx_;
  const internal::TemplateTree* tmpl_ = nullptr;
  std::vector<std::pair<std::string_view, Value>> vars_;
  std::string out_;
  int depth_ = 0;
  int64_t steps_ = 0;
  AtKind at_kind_ = AtKind::kNone;
  const void* at_ = nullptr;
  size_t at_pos_ = 0;
};

}  // namespace vigil::tmpl
