#pragma once
// Parsers of the log ingestion formats VictoriaLogs accepts, turning request
// bodies into logstore::LogEntry rows: JSON lines, the Elasticsearch bulk API
// and the Loki push API (JSON and protobuf). Pure functions of their input;
// bodies arrive already decompressed (snappy for Loki protobuf too).
//
// Error policy, as VictoriaLogs: a bad line (or a document that is not a JSON
// object) is counted and skipped, the first error kept for the log, the rest
// stored; a line over max_line_bytes is counted separately and skipped. Only a
// body whose framing cannot be read at all (Loki) is rejected as a whole.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "logstore/row.h"

namespace vigil::ingest {

// VictoriaLogs' ingestion parameters (_stream_fields, _time_field, ...).
struct LogIngestOptions {
  // Fields whose values form the stream; [] = the default stream `{}`.
  std::vector<std::string> stream_fields;
  // Candidates for the timestamp; the first present one is used and removed.
  std::vector<std::string> time_fields = {"_time"};
  // Candidates for the message; the first non-empty one becomes `_msg`.
  std::vector<std::string> msg_fields = {"_msg"};
  // Fields to drop: exact names or "prefix*".
  std::vector<std::string> ignore_fields;
  // Fields added to every entry, replacing ones of the same name.
  std::vector<logstore::Field> extra_fields;
  // Longer lines (JSON lines, bulk documents, Loki lines) are skipped.
  size_t max_line_bytes = size_t{1} << 20;
  // The time given to entries without one (Unix ns).
  int64_t now_ns = 0;
};

// What a parse saw.
struct LogIngestStats {
  uint64_t rows = 0;       // entries produced
  uint64_t bad_lines = 0;  // skipped: not parseable, or a bad timestamp
  uint64_t too_long = 0;   // skipped: over max_line_bytes
  std::string first_error; // the first bad line's problem, with its line number
};

// The `_msg` value VictoriaLogs stores when no message field is present.
inline constexpr std::string_view kMissingMsgValue =
    "missing _msg field; see https://docs.victoriametrics.com/victorialogs/keyconcepts/#message-field";

// Parses a timestamp as VictoriaLogs accepts it: RFC 3339 (any fraction, Z or
// offset) or a Unix time in seconds, milliseconds, microseconds or
// nanoseconds (told apart by magnitude; seconds may have a fraction). "" and
// "0" mean `now_ns`. False when unparseable.
bool ParseLogTimestamp(std::string_view s, int64_t now_ns, int64_t* out_ns);

// Turns one flat document (fields in input order) into an entry per `options`.
// False with `*error` set when the time field does not parse.
bool MakeLogEntry(std::vector<logstore::Field> fields, const LogIngestOptions& options, logstore::LogEntry* out,
                  std::string* error);

// Appends the fields of one JSON object to `*out`, nested objects flattened
// with dots ("a.b"), arrays kept as their JSON text, numbers as written,
// true/false as words, nulls dropped. False with `*error` when `text` is not
// one JSON object.
bool FlattenJsonObject(std::string_view text, std::vector<logstore::Field>* out, std::string* error);

// POST /insert/jsonline: one JSON object per line.
void ParseJsonLines(std::string_view body, const LogIngestOptions& options, std::vector<logstore::LogEntry>* out,
                    LogIngestStats* stats);

// POST /insert/elasticsearch/_bulk: action lines ({"create":{}} / {"index":{}})
// each followed by a document line. `items` receives one entry per action
// (true = stored) for the bulk response.
void ParseElasticsearchBulk(std::string_view body, const LogIngestOptions& options,
                            std::vector<logstore::LogEntry>* out, LogIngestStats* stats, std::vector<bool>* items);

// POST /insert/loki/api/v1/push with Content-Type application/json.
// Labels of each stream become stream fields (options.stream_fields is
// ignored); each value [ts_ns, line, {metadata}] one entry with `_msg` = line.
Status ParseLokiPushJson(std::string_view body, const LogIngestOptions& options,
                         std::vector<logstore::LogEntry>* out, LogIngestStats* stats);

// The same for the protobuf PushRequest (already snappy-decoded).
Status ParseLokiPushProtobuf(std::string_view body, const LogIngestOptions& options,
                             std::vector<logstore::LogEntry>* out, LogIngestStats* stats);

}  // namespace vigil::ingest
