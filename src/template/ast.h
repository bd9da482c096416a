#pragma once
// Parse tree of a Go text/template, and the parsed set of named templates.
// Internal to the template module. Immutable after parsing; read
// concurrently by executions.

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "template/template.h"

namespace vigil::tmpl {
namespace internal {

struct Pipe;

// An operand of a command.
enum class ArgType { kField, kVariable, kIdentifier, kChain, kPipe, kString, kNumber, kBool, kNil, kDot };

struct Arg {
  ArgType type = ArgType::kNil;
  size_t pos = 0;
  // kField: field names; kVariable: "$name" then field names; kChain: the
  // fields applied to `base`.
  std::vector<std::string> idents;
  std::string text;           // identifier name, literal source text
  std::unique_ptr<Arg> base;  // kChain
  std::unique_ptr<Pipe> pipe;  // kPipe
  Value constant;             // kString, kBool, kNumber (int or float)
};

struct Command {
  size_t pos = 0;
  std::vector<Arg> args;
};

struct Pipe {
  size_t pos = 0;
  bool is_assign = false;          // `$x = ...` rather than `$x := ...`
  std::vector<std::string> decls;  // declared/assigned variables, "$x"
  std::vector<Command> cmds;
};

enum class NodeType { kText, kAction, kIf, kRange, kWith, kTemplate, kBreak, kContinue };

struct Node;
using NodeList = std::vector<std::unique_ptr<Node>>;

struct Node {
  NodeType type = NodeType::kText;
  size_t pos = 0;
  std::string text;            // kText: the text; kTemplate: the template name
  std::unique_ptr<Pipe> pipe;  // kAction, kIf, kRange, kWith, kTemplate (may be null)
  NodeList list;               // body of if/range/with
  NodeList else_list;
  bool has_else = false;
};

// Go's String() of each node, used as the context of execution errors.
std::string ArgString(const Arg& a);
std::string CommandString(const Command& c);
std::string PipeString(const Pipe& p);
std::string NodeString(const Node& n);

struct TemplateTree {
  std::string name;
  NodeList root;
  // The text this tree was parsed from and that text's template name: error
  // positions ("template: PARSE_NAME:LINE:COL") are computed in it.
  std::shared_ptr<const std::string> source;
  std::string parse_name;
};

}  // namespace internal

// Everything the parses of a template produced: the main template's name,
// the templates by name and the function table. Immutable once shared.
struct TemplateSet {
  std::string parse_name;
  std::map<std::string, std::shared_ptr<const internal::TemplateTree>, std::less<>> trees;
  std::shared_ptr<const FuncMap> funcs;
  Limits limits;

  const internal::TemplateTree* Lookup(std::string_view name) const {
    auto it = trees.find(name);
    return it == trees.end() ? nullptr : it->second.get();
  }
  const Function* FindFunction(std::string_view name) const {
    auto it = funcs->find(name);
    return it == funcs->end() ? nullptr : &it->second;
  }
};

namespace internal {

// Parses `text` into `set` (parse_name, source, trees). Function names are
// looked up in set->funcs, which must be set.
// Parses `text` as template `name` into `set` (definitions replace earlier
// ones of the same name) and makes `name` the set's main template.
Status ParseInto(std::string_view name, std::string_view text, TemplateSet* set);

}  // namespace internal
}  // namespace vigil::tmpl
