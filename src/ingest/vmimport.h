#pragma once
// VictoriaMetrics JSON line import (/api/v1/import), the format that
// /api/v1/export writes. One object per line:
//
//   {"metric":{"__name__":"up","job":"x"},"values":[1,0.5,null],"timestamps":[1549891472010,...]}
//
// - "metric": an object of string label values, emitted in line order
//   (__name__ is an ordinary key). It must hold at least one label.
// - "values": numbers; also null (NaN) and the strings "NaN", "nan", "null",
//   "Null" (NaN) and "Inf", "inf", "Infinity", "infinity" with an optional '-'
//   (±Inf), as VictoriaMetrics accepts. Numbers outside double's range are errors.
// - "timestamps": integer milliseconds.
// - Both arrays non-empty and of equal length. Other keys are skipped;
//   a key given twice is an error. Nothing but whitespace may follow the object.
//
// Invalid lines: VictoriaMetrics logs and skips them and answers 204; that is
// LineErrorPolicy::kSkipInvalidLines (default; counted, first message kept).
// kRejectRequest checks every line first and fails with InvalidArgument
// without emitting anything.

#include <string_view>

#include "base/sample_row.h"
#include "base/status.h"
#include "ingest/limits.h"

namespace vigil::ingest {

struct VmImportOptions {
  LineErrorPolicy on_error = LineErrorPolicy::kSkipInvalidLines;
  IngestLimits limits;
};

// Parses body and calls sink->OnSeries once per valid line, with all of its
// samples, in line order. Adds to *stats (REQUIRES: stats is not null).
// Returns InvalidArgument only under kRejectRequest ("cannot parse vmimport
// line N: <what> at column C; line: <excerpt>"), and ResourceExhausted past
// limits.max_samples_per_request (under kSkipInvalidLines after emitting the
// lines before it). Thread-safe for distinct arguments.
Status ParseVmImportLines(std::string_view body, const VmImportOptions& options, RowSink* sink, IngestStats* stats);

}  // namespace vigil::ingest
