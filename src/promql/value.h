#pragma once
// Query results (scalar, string, instant vector, range vector) and their
// rendering as the `data` object of Prometheus' HTTP API.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/sample_row.h"
#include "tsdb/labels.h"

namespace vigil::promql {

// One (timestamp ms, value) pair of a series: the storage's sample type, so
// samples decoded by tsdb reach the evaluator without a copy.
using Point = vigil::Sample;

// One element of an instant vector.
struct Sample {
  tsdb::Labels metric;
  int64_t t = 0;
  double v = 0;
};
using Vector = std::vector<Sample>;

// One series of a range vector, points in ascending time order.
struct Series {
  tsdb::Labels metric;
  std::vector<Point> points;
};
using Matrix = std::vector<Series>;

struct Scalar {
  int64_t t = 0;
  double v = 0;
};

struct String {
  int64_t t = 0;
  std::string v;
};

// The result of a query.
using Value = std::variant<Scalar, String, Vector, Matrix>;

// "scalar", "string", "vector" or "matrix" (the API's resultType).
std::string_view ResultTypeName(const Value& v);

// A sample value as the Prometheus API prints it: strconv 'f' shortest,
// switching to 'e' below 1e-6 and from 1e21 ("1", "0.1", "1e+21", "1e-07");
// "NaN", "+Inf", "-Inf".
std::string FormatSampleValue(double v);

// A timestamp as the Prometheus API prints it (MarshalTimestamp): whole
// seconds, plus "." and the three-digit millisecond fraction when it is not
// zero: 1500 -> "1.500", 1005 -> "1.005", 2000 -> "2", -1500 -> "-1.500".
std::string FormatTimestamp(int64_t ms);

// Appends `{"resultType":"...","result":...}` for `v` to `*out`, byte for
// byte as Prometheus 2.42 renders the `data` member of /api/v1/query(_range).
void AppendValueJson(std::string* out, const Value& v);

// Appends a label set as a JSON object {"name":"value",...} in label order,
// the shape of "metric" in every Prometheus API answer.
void AppendLabelsJson(std::string* out, const tsdb::Labels& labels);

}  // namespace vigil::promql
