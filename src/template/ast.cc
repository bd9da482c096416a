#include "template/ast.h"

#include "template/go_fmt.h"

namespace vigil::tmpl::internal {
namespace {

std::string ListString(const NodeList& list) {
  std::string out;
  for (const auto& n : list) out.append(NodeString(*n));
  return out;
}

std::string JoinIdents(const std::vector<std::string>& idents, size_t from) {
  std::string out;
  for (size_t i = from; i < idents.size(); ++i) {
    out.push_back('.');
    out.append(idents[i]);
  }
  return out;
}

}  // namespace

std::string ArgString(const Arg& a) {
  switch (a.type) {
    case ArgType::kField: return JoinIdents(a.idents, 0);
    case ArgType::kVariable: return a.idents.empty() ? std::string() : a.idents[0] + JoinIdents(a.idents, 1);
    case ArgType::kIdentifier: return a.text;
    case ArgType::kChain: {
      std::string base = a.base ? ArgString(*a.base) : std::string();
      if (a.base && a.base->type == ArgType::kPipe) base = "(" + base + ")";
      return base + JoinIdents(a.idents, 0);
    }
    case ArgType::kPipe: return a.pipe ? PipeString(*a.pipe) : std::string();
    case ArgType::kString:
    case ArgType::kNumber: return a.text;
    case ArgType::kBool: return a.constant.as_bool() ? "true" : "false";
    case ArgType::kNil: return "nil";
    case ArgType::kDot: return ".";
  }
  return std::string();
}

std::string CommandString(const Command& c) {
  std::string out;
  for (size_t i = 0; i < c.args.size(); ++i) {
    if (i > 0) out.push_back(' ');
    if (c.args[i].type == ArgType::kPipe) {
      out += "(" + ArgString(c.args[i]) + ")";
    } else {
      out += ArgString(c.args[i]);
    }
  }
  return out;
}

std::string PipeString(const Pipe& p) {
  std::string out;
  if (!p.decls.empty()) {
    for (size_t i = 0; i < p.decls.size(); ++i) {
      if (i > 0) out.append(", ");
      out.append(p.decls[i]);
    }
    out.append(p.is_assign ? " = " : " := ");
  }
  for (size_t i = 0; i < p.cmds.size(); ++i) {
    if (i > 0) out.append(" | ");
    out.append(CommandString(p.cmds[i]));
  }
  return out;
}

std::string NodeString(const Node& n) {
  const std::string pipe = n.pipe ? PipeString(*n.pipe) : std::string();
  auto control = [&](const char* name) {
    std::string out = std::string("{{") + name + " " + pipe + "}}" + ListString(n.list);
    if (n.has_else) out += "{{else}}" + ListString(n.else_list);
    return out + "{{end}}";
  };
  switch (n.type) {
    case NodeType::kText: return GoQuote(n.text);
    case NodeType::kAction: return "{{" + pipe + "}}";
    case NodeType::kIf: return control("if");
    case NodeType::kRange: return control("range");
    case NodeType::kWith: return control("with");
    case NodeType::kTemplate:
      if (!n.pipe) return "{{template " + GoQuote(n.text) + "}}";
      return "{{template " + GoQuote(n.text) + " " + pipe + "}}";
    case NodeType::kBreak: return "{{break}}";
    case NodeType::kContinue: return "{{continue}}";
  }
  return std::string();
}

}  // namespace vigil::tmpl::internal
