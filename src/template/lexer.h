#pragma once
// Tokenizer for Go text/template source (delimiters `{{` `}}`). Internal to
// the template module. Splits the whole text up front; a lexical error ends
// the token list with one kError token whose text is Go's message, so the
// parser reports it when (and only if) it gets that far, as Go does.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::tmpl::internal {

enum class Tok {
  kError,
  kEOF,
  kText,
  kLeftDelim,
  kRightDelim,
  kSpace,
  kIdentifier,
  kField,     // ".Name"
  kVariable,  // "$" or "$name"
  kDot,
  kString,     // quoted, with the quotes
  kRawString,  // backquoted, with the quotes
  kNumber,
  kChar,  // character constant 'x', with the quotes
  kBool,
  kNil,
  kPipe,
  kLeftParen,
  kRightParen,
  kDeclare,  // :=
  kAssign,   // =
  kComma,
  kOtherChar,  // any other printable ASCII inside an action
  // Keywords.
  kIf,
  kElse,
  kEnd,
  kRange,
  kWith,
  kDefine,
  kTemplate,
  kBlock,
  kBreak,
  kContinue,
};

struct Token {
  Tok type;
  std::string val;  // source text (or the message of kError)
  size_t pos;       // byte offset in the source
  int line;         // 1-based line where the token starts
};

// Go's rendering of a token in "unexpected X in Y" messages.
std::string TokenString(const Token& t);

// Splits `text` into tokens, ending with kEOF or kError.
std::vector<Token> Lex(std::string_view text);

}  // namespace vigil::tmpl::internal
