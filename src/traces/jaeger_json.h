#pragma once
// Jaeger query service JSON (the shapes Jaeger UI and Grafana's Jaeger
// datasource read) built from stored span rows. Every response is the
// envelope {"data":...,"errors":null,"limit":0,"offset":0,"total":N}.
//
// A span row becomes a Jaeger span: operationName = name; startTime and
// duration in microseconds; references = CHILD_OF its parent, then
// FOLLOWS_FROM each link; tags = span attributes plus span.kind, error
// (status ERROR), otel.status_code, otel.status_description, w3c.tracestate,
// otel.scope.name/version and scope attributes (scope_attr:<k>); logs = the
// span events (field "event" = the event name, then its attributes). Resource
// attributes (service.name apart) become the process's tags; spans with the
// same service and resource share a process ("p1", "p2", ...). Tag values are
// typed "string", as VictoriaTraces serves them.

#include <string>
#include <string_view>
#include <vector>

#include "traces/span_query.h"

namespace vigil::traces {

// {"data":["a","b"],...}
std::string JaegerStringList(const std::vector<std::string>& items);

// {"data":[{"name":..,"spanKind":..}],...}: spanKind as Jaeger names it
// ("server", ...; "" when unspecified).
std::string JaegerOperations(const std::vector<Operation>& ops);

// {"data":[trace,...],...}; traces with no spans are left out.
std::string JaegerTraces(const std::vector<std::vector<StoredSpan>>& traces);

// {"data":[{"parent":..,"child":..,"callCount":N}],...}
std::string JaegerDependencies(const std::vector<DependencyLink>& links);

// {"data":null,...,"errors":[{"code":code,"msg":msg}]}
std::string JaegerError(int code, std::string_view msg);

// Appends one trace object {"traceID","spans","processes","warnings"}.
// REQUIRES: !spans.empty(), all of one trace.
void AppendJaegerTrace(std::string* out, const std::vector<StoredSpan>& spans);

}  // namespace vigil::traces
