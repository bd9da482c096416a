#pragma once
// Go text/template, the subset that Prometheus 2.42 alerting/recording rule
// templates and vmalert use, with Prometheus' template functions. Engine
// layer: no sockets, no HTTP. Used by rule evaluation (annotations and
// labels) and by notification templates.
//
// Language (see docs/template.md for the full list and the differences from
// Go): text and `{{ }}` actions with trim markers `{{- -}}`, comments
// `{{/* */}}`, pipelines with `|`, variables (`$x := ...`, `$x = ...`, `$`),
// field chains (`.Labels.instance`, `$labels.job`), literals (strings,
// raw strings, numbers, chars, true/false, nil), parenthesized pipelines,
// if/else if/else, range (lists, maps in sorted key order, `$i, $e :=`,
// else, break, continue), with/else, define/template/block.
//
// Semantics follow Go with `missingkey=zero` (what Prometheus sets): a
// missing key of a string map (labels) reads as "", of a generic map as nil,
// which prints as "<no value>". Values print as Go's fmt.Sprint prints them
// (a float64 as strconv 'g' shortest: 0.1, 1e+06, 1.5).
//
// Errors are values with Go's text: parse errors read
// `template: NAME:LINE: message`, execution errors
// `template: NAME:LINE:COL: executing "NAME" at <node>: message`.
// Execution is bounded (output size, template call depth, evaluation steps)
// so hostile templates cannot hang or exhaust memory.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/status.h"

namespace vigil::tmpl {

class Value;
using ValueList = std::vector<Value>;
using StringMap = std::map<std::string, std::string, std::less<>>;

// A map value. `string_valued` marks maps that stand for Go's
// map[string]string (label sets): a missing key reads as "" instead of nil.
struct ValueMap {
  std::map<std::string, Value, std::less<>> entries;
  bool string_valued = false;
};

struct Sample;
struct MethodTable;

// A template value: nil, bool, int64, float64, string, list, map, a query
// result sample (Labels + Value) or a point in time (nanoseconds since the
// Unix epoch, UTC). Immutable once built; copies share lists, maps and
// samples, so copying is cheap. Safe to read from many threads.
class Value {
 public:
  enum class Kind { kNil, kBool, kInt, kFloat, kString, kList, kMap, kSample, kTime };

  Value() = default;  // nil
  static Value Bool(bool b);
  static Value Int(int64_t i);
  static Value Float(double d);
  static Value String(std::string s);
  static Value List(ValueList items);
  static Value Map(ValueMap map);
  // A string-valued map (Go map[string]string), e.g. a label set.
  static Value Strings(const StringMap& map);
  // A query result sample; `labels` must be a string-valued map.
  static Value SampleOf(StringMap labels, double value);
  static Value Time(int64_t unix_nanos);

  // This value with methods attached, as a Go value of a named type with
  // methods (Alertmanager's KV.SortedPairs, Alerts.Firing): `.Name args...`
  // on it calls the method of that name before any map key of that name is
  // looked up. Lists and maps keep ranging, indexing and printing as before.
  Value WithMethods(std::shared_ptr<const MethodTable> table) const;
  // The attached methods, or nullptr.
  const MethodTable* methods() const { return methods_.get(); }

  Kind kind() const { return static_cast<Kind>(v_.index()); }
  bool is_nil() const { return kind() == Kind::kNil; }

  // Accessors. REQUIRES: kind() is the accessor's kind.
  bool as_bool() const { return std::get<bool>(v_); }
  int64_t as_int() const { return std::get<int64_t>(v_); }
  double as_float() const { return std::get<double>(v_); }
  const std::string& as_string() const { return std::get<std::string>(v_); }
  const ValueList& as_list() const { return *std::get<std::shared_ptr<const ValueList>>(v_); }
  const ValueMap& as_map() const { return *std::get<std::shared_ptr<const ValueMap>>(v_); }
  const Sample& as_sample() const { return *std::get<std::shared_ptr<const Sample>>(v_); }
  int64_t time_nanos() const { return std::get<TimePoint>(v_).unix_nanos; }

  // Go's truth (text/template isTrue): false, 0, "", empty list/map and nil
  // are false; everything else (samples, times) is true.
  bool IsTrue() const;
  // The value as Go's fmt.Sprint prints it ("<nil>" for nil; the template
  // printer shows a top-level nil as "<no value>").
  std::string ToString() const;
  // The Go type name used in error messages ("float64", "string",
  // "map[string]string", "*template.sample", ...).
  std::string GoTypeName() const;

 private:
  struct TimePoint {
    int64_t unix_nanos;
  };
  std::variant<std::monostate, bool, int64_t, double, std::string, std::shared_ptr<const ValueList>,
               std::shared_ptr<const ValueMap>, std::shared_ptr<const Sample>, TimePoint>
      v_;
  std::shared_ptr<const MethodTable> methods_;
};

// A method: gets the receiver and the evaluated arguments; an error
// surfaces as `error calling NAME: MESSAGE`. Must be thread-safe.
using Method = std::function<Result<Value>(const Value& self, std::span<const Value> args)>;

// The methods of one named type and the type's Go name (for messages).
// `stringer`, when set, is how a value of the type prints (Go's String()).
struct MethodTable {
  std::string type_name;
  std::map<std::string, Method, std::less<>> methods;
  std::function<std::string(const Value& self)> stringer;
};

// One element of a query result, as Prometheus' template `sample`:
// `.Labels` (a string map, including __name__) and `.Value`.
struct Sample {
  Value labels;  // string-valued map
  double value = 0;
};

// One series of an instant query result.
struct QuerySample {
  StringMap labels;
  double value = 0;
};

// Runs an instant PromQL query for the `query` template function (the rule
// evaluation timestamp is the closure's business). May be called from any
// thread that executes a template.
using QueryFn = std::function<Result<std::vector<QuerySample>>(std::string_view query)>;

// Per-execution inputs of the Prometheus functions.
struct ExecContext {
  QueryFn query;             // `query`; unset: calling it is an execution error
  std::string external_url;  // `externalURL`; `pathPrefix` is its path
  int64_t now_unix_nanos = 0;  // `now`
  // When set, what each action ({{ pipeline }}) prints passes through it
  // (html/template's escaping of the text context); text written by the
  // template itself does not.
  std::function<std::string(const Value& value, std::string printed)> escape_action;
};

class Executor;

// What a function sees besides its arguments. Valid only during the call.
class CallEnv {
 public:
  explicit CallEnv(Executor* exec) : exec_(exec) {}
  const ExecContext& context() const;
  // Executes the named template of the same set with `data` as dot and
  // returns its output (the `tmpl` function).
  Result<std::string> ExecuteTemplate(std::string_view name, const Value& data);

 private:
  Executor* exec_;
};

// A template function. The executor checks the argument count against
// [min_args, max_args] (max_args < 0: variadic) before calling; a returned
// error surfaces as `error calling NAME: MESSAGE`. Must be thread-safe.
struct Function {
  int min_args = 0;
  int max_args = -1;
  std::function<Result<Value>(std::span<const Value> args, CallEnv& env)> call;
};
using FuncMap = std::map<std::string, Function, std::less<>>;

// Go's predefined functions (and, or, not, len, index, slice, print,
// printf, println, eq, ne, lt, le, gt, ge, html, js, urlquery).
const FuncMap& GoBuiltinFunctions();
// Prometheus' and vmalert's template functions (query, first, label, value,
// humanize*, toUpper, match, reReplaceAll, stripPort, ...).
const FuncMap& PrometheusFunctions();

// Bounds on hostile input. Defaults suit alert annotations.
struct Limits {
  size_t max_text_bytes = 1 << 20;    // template source
  size_t max_output_bytes = 1 << 20;  // one execution's output
  int max_nesting = 100;              // parse: nested parens/control blocks
  int max_call_depth = 100;           // {{template}} / tmpl recursion
  int64_t max_steps = 1'000'000;      // evaluated nodes per execution
};

struct ParseOptions {
  FuncMap funcs;  // extra functions; they override built-in ones of the same name
  Limits limits;
};

struct TemplateSet;

// A parsed template with the templates it defines. Immutable after Parse;
// Execute may run concurrently from many threads. Cheap to copy.
class Template {
 public:
  // Parses `text` as template `name`. Function names are checked here, as
  // Go does (`function "x" not defined`).
  static Result<Template> Parse(std::string_view name, std::string_view text,
                                const ParseOptions& options = {});

  // Executes the main template with `data` as dot and `$`.
  Result<std::string> Execute(const Value& data, const ExecContext& context = {}) const;
  // Executes the template named `name` ({{define "name"}}).
  Result<std::string> ExecuteTemplate(std::string_view name, const Value& data,
                                      const ExecContext& context = {}) const;

  // Parses `text` as a new main template `name` in a copy of this
  // template's set, so that it can call (and may redefine) this template's
  // definitions, as Go's Clone + Parse. This template is unchanged. Errors
  // as Parse.
  Result<Template> ParseMore(std::string_view name, std::string_view text) const;

  const std::string& name() const;
  // Whether a template of this name was defined.
  bool Defines(std::string_view name) const;

 private:
  explicit Template(std::shared_ptr<const TemplateSet> set) : set_(std::move(set)) {}
  std::shared_ptr<const TemplateSet> set_;
};

// What a rule's annotation/label template sees, as Prometheus'
// AlertTemplateData plus the expansion context.
struct RuleTemplateData {
  StringMap labels;
  StringMap external_labels;
  std::string external_url;
  double value = 0;
  int64_t now_unix_nanos = 0;
};

// Expands one alerting-rule annotation or label template the way
// Prometheus' template.NewTemplateExpander(...).Expand does: prepends
// `{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}
// {{$externalURL := .ExternalURL}}{{$value := .Value}}` (on one line, so line
// numbers in errors are the text's own) and executes with the data as dot
// (fields Labels, ExternalLabels, ExternalURL, Value). `$value` prints as Go
// prints a float64. Errors read like Prometheus': "error parsing template
// NAME: template: NAME:1: ..." or "error executing template NAME: ...".
// `query` may be empty (then `query` in the template is an error).
Result<std::string> ExpandRuleTemplate(std::string_view name, std::string_view text,
                                       const RuleTemplateData& data, const QueryFn& query);

// The two halves of ExpandRuleTemplate, so that a rule can parse its
// templates once and execute them at every evaluation (parsing is most of
// the cost). ExecuteRuleTemplate(*ParseRuleTemplate(n, t), d, q) gives
// exactly ExpandRuleTemplate(n, t, d, q), errors included.
Result<Template> ParseRuleTemplate(std::string_view name, std::string_view text);
Result<std::string> ExecuteRuleTemplate(const Template& tmpl, const RuleTemplateData& data, const QueryFn& query);

// Go's fmt %v of a float64 (strconv 'g' shortest: "0.1", "1e+06", "+Inf").
std::string FormatGoFloat(double v);

}  // namespace vigil::tmpl
