#pragma once
// The PromQL lexer: turns a query into tokens (Prometheus 2.42 rules:
// numbers incl. hex/Inf/NaN, durations such as 1h30m, three string quotes,
// case-insensitive keywords, `#` comments). Internal to the parser.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace vigil::promql {

enum class TokenKind {
  kEof,
  kIdentifier,        // foo, by, sum, ... (keywords are identifiers with `keyword` set)
  kMetricIdentifier,  // an identifier containing ':'
  kNumber,
  kDuration,
  kString,
  kLeftParen, kRightParen, kLeftBrace, kRightBrace, kLeftBracket, kRightBracket,
  kComma, kColon, kAt,
  kAdd, kSub, kMul, kDiv, kMod, kPow,
  kEqlc,      // ==
  kNeq,       // !=
  kLte, kLss, kGte, kGtr,
  kEqlRegex,  // =~
  kNeqRegex,  // !~
  kAssign,    // =
};

// One token. `text` views into the query.
struct Token {
  TokenKind kind = TokenKind::kEof;
  std::string_view text;
  size_t pos = 0;
  double number = 0;       // kNumber
  int64_t duration_ms = 0; // kDuration
  std::string str;         // kString: the decoded value
};

// Splits `input` into tokens, ending with one kEof token.
// Errors are InvalidArgument "L:C: parse error: ...".
Result<std::vector<Token>> Lex(std::string_view input);

// Parses a Prometheus duration ("1h30m", "5m", "10s", "1ms", "2d", "1w",
// "1y"; units in descending order, each at most once). "0" is 0.
Result<int64_t> ParseDuration(std::string_view s);

// Parses a PromQL number literal as Prometheus does (ParseInt base 0 first,
// so 0x1f and 010 (octal) work; then floats incl. Inf and NaN).
Result<double> ParseNumber(std::string_view s);

// "L:C: parse error: <msg>" for byte offset `pos` of `input`.
Status ParseErrorAt(std::string_view input, size_t pos, std::string_view msg);

// A human description of a token for error messages, as Prometheus words
// them: `end of input`, `identifier "foo"`, `number "1"`, `"("`.
std::string DescribeToken(const Token& t);

}  // namespace vigil::promql
