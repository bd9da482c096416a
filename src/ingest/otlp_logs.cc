#include "ingest/otlp_logs.h"

#include "ingest/otlp_wire.h"
#include "ingest/span_row.h"

namespace vigil::ingest {
namespace {

using logstore::Field;

// Field numbers of opentelemetry/proto/{collector/logs,logs,resource,common}/v1.
constexpr uint32_t kRequestResourceLogs = 1;
constexpr uint32_t kResourceLogsResource = 1;
constexpr uint32_t kResourceLogsScopeLogs = 2;
constexpr uint32_t kResourceAttributes = 1;
constexpr uint32_t kScopeLogsScope = 1;
constexpr uint32_t kScopeLogsRecords = 2;
constexpr uint32_t kScopeName = 1;
constexpr uint32_t kScopeVersion = 2;
constexpr uint32_t kScopeAttributes = 3;
enum LogRecordField : uint32_t {
  kRecordTime = 1, kRecordSeverityNumber = 2, kRecordSeverityText = 3, kRecordBody = 5, kRecordAttributes = 6,
  kRecordTraceId = 9, kRecordSpanId = 10, kRecordObservedTime = 11, kRecordEventName = 12,
};

constexpr int kMaxValueDepth = 16;

class ProtoLogsParser : private OtlpMessageReader {
 public:
  ProtoLogsParser(std::string_view body, const LogIngestOptions& options, std::vector<logstore::LogEntry>* out,
                  LogIngestStats* stats)
      : OtlpMessageReader(body, kMaxValueDepth), options_(options), out_(out), stats_(stats) {}

  bool ParseRequest(std::string_view msg) {
    return ForEachField(msg, "ExportLogsServiceRequest", [&](uint32_t field, uint32_t wire, const char* tag,
                                                               const char** p, const char* end) {
      if (field != kRequestResourceLogs) return r_.SkipField(p, end, field, wire);
      std::string_view sub;
      return Sub(tag, wire, p, end, "resource_logs", &sub) && ParseResourceLogs(sub);
    });
  }

  using OtlpMessageReader::error;

 private:
  bool ParseResourceLogs(std::string_view msg) {
    // The resource may come after its scope_logs on the wire.
    std::vector<Field> resource;
    std::vector<std::string_view> scope_logs;
    bool ok = ForEachField(msg, "ResourceLogs", [&](uint32_t field, uint32_t wire, const char* tag, const char** p,
                                                    const char* end) {
      std::string_view sub;
      if (field == kResourceLogsResource) {
        return Sub(tag, wire, p, end, "ResourceLogs.resource", &sub) &&
               ForEachField(sub, "Resource", [&](uint32_t f, uint32_t w, const char* t, const char** q, const char* e) {
                 if (f != kResourceAttributes) return r_.SkipField(q, e, f, w);
                 std::string_view kv;
                 return Sub(t, w, q, e, "Resource.attributes", &kv) && AddKeyValue(kv, "", &resource);
               });
      }
      if (field == kResourceLogsScopeLogs) {
        if (!Sub(tag, wire, p, end, "ResourceLogs.scope_logs", &sub)) return false;
        scope_logs.push_back(sub);
        return true;
      }
      return r_.SkipField(p, end, field, wire);
    });
    if (!ok) return false;
    record_options_ = options_;
    record_options_.time_fields.clear();  // the time is the record's
    if (options_.stream_fields.empty()) {
      for (const Field& f : resource) record_options_.stream_fields.push_back(f.name);
    }
    for (std::string_view sl : scope_logs) {
      if (!ParseScopeLogs(sl, resource)) return false;
    }
    return true;
  }

  bool ParseScopeLogs(std::string_view msg, const std::vector<Field>& resource) {
    std::vector<Field> common = resource;
    std::vector<std::string_view> records;
    bool ok = ForEachField(msg, "ScopeLogs", [&](uint32_t field, uint32_t wire, const char* tag, const char** p,
                                                 const char* end) {
      std::string_view sub;
      if (field == kScopeLogsScope) return Sub(tag, wire, p, end, "ScopeLogs.scope", &sub) && ParseScope(sub, &common);
      if (field == kScopeLogsRecords) {
        if (!Sub(tag, wire, p, end, "ScopeLogs.log_records", &sub)) return false;
        records.push_back(sub);
        return true;
      }
      return r_.SkipField(p, end, field, wire);
    });
    if (!ok) return false;
    for (std::string_view record : records) {
      if (!ParseLogRecord(record, common)) return false;
    }
    return true;
  }

  bool ParseScope(std::string_view msg, std::vector<Field>* out) {
    std::string name = "unknown";
    std::string version = "unknown";
    std::vector<Field> attributes;
    bool ok = ForEachField(msg, "InstrumentationScope", [&](uint32_t field, uint32_t wire, const char* tag,
                                                            const char** p, const char* end) {
      std::string_view v;
      if (field == kScopeName || field == kScopeVersion) {
        if (!Sub(tag, wire, p, end, field == kScopeName ? "InstrumentationScope.name" : "InstrumentationScope.version",
                 &v)) {
          return false;
        }
        (field == kScopeName ? name : version).assign(v);
        return true;
      }
      if (field == kScopeAttributes) {
        return Sub(tag, wire, p, end, "InstrumentationScope.attributes", &v) &&
               AddKeyValue(v, "scope.attributes", &attributes);
      }
      return r_.SkipField(p, end, field, wire);
    });
    out->push_back({"scope.name", std::move(name)});
    out->push_back({"scope.version", std::move(version)});
    for (Field& f : attributes) out->push_back(std::move(f));
    return ok;
  }

  bool ParseLogRecord(std::string_view msg, const std::vector<Field>& common) {
    std::vector<Field> fields = common;
    uint64_t time = 0;
    uint64_t observed = 0;
    std::string event_name;
    bool ok = ForEachField(msg, "LogRecord", [&](uint32_t field, uint32_t wire, const char* tag, const char** p,
                                                 const char* end) {
      std::string_view v;
      uint64_t n = 0;
      switch (field) {
        case kRecordTime:
          return Fixed64(tag, wire, p, end, "LogRecord.time_unix_nano", &time);
        case kRecordObservedTime:
          return Fixed64(tag, wire, p, end, "LogRecord.observed_time_unix_nano", &observed);
        case kRecordSeverityNumber:
          if (!Varint(tag, wire, p, end, "LogRecord.severity_number", &n)) return false;
          fields.push_back({"severity_number", std::to_string(static_cast<int32_t>(n))});
          return true;
        case kRecordSeverityText:
          if (!Sub(tag, wire, p, end, "LogRecord.severity_text", &v)) return false;
          fields.push_back({"severity_text", std::string(v)});
          return true;
        case kRecordBody:
          return Sub(tag, wire, p, end, "LogRecord.body", &v) && AddAnyValue(v, "_msg", "", 0, &fields);
        case kRecordAttributes:
          return Sub(tag, wire, p, end, "LogRecord.attributes", &v) && AddKeyValue(v, "", &fields);
        case kRecordTraceId:
        case kRecordSpanId:
          if (!Sub(tag, wire, p, end, field == kRecordTraceId ? "LogRecord.trace_id" : "LogRecord.span_id", &v))
            return false;
          fields.push_back({field == kRecordTraceId ? "trace_id" : "span_id", HexId(v)});
          return true;
        case kRecordEventName:
          if (!Sub(tag, wire, p, end, "LogRecord.event_name", &v)) return false;
          event_name.assign(v);
          return true;
        default:
          return r_.SkipField(p, end, field, wire);
      }
    });
    if (!ok) return false;
    const bool event_stream = !event_name.empty() && options_.stream_fields.empty();
    if (!event_name.empty()) fields.push_back({"event_name", std::move(event_name)});
    if (event_stream) record_options_.stream_fields.push_back("event_name");
    record_options_.now_ns = time != 0 ? static_cast<int64_t>(time)
                             : observed != 0 ? static_cast<int64_t>(observed)
                                             : options_.now_ns;
    logstore::LogEntry entry;
    std::string unused;  // no time field to misparse
    MakeLogEntry(std::move(fields), record_options_, &entry, &unused);
    if (event_stream) record_options_.stream_fields.pop_back();
    out_->push_back(std::move(entry));
    ++stats_->rows;
    return true;
  }

  // Appends the fields of a KeyValue: `prefix.key` (or `key` without a prefix).
  bool AddKeyValue(std::string_view msg, std::string_view prefix, std::vector<Field>* out, int depth = 0) {
    std::string_view key;
    std::string_view value;
    bool has_key = false;
    bool has_value = false;
    bool ok = ForEachField(msg, "KeyValue", [&](uint32_t field, uint32_t wire, const char* tag, const char** p,
                                                const char* end) {
      if (field == kOtlpKeyValueKey) {
        has_key = true;
        return Sub(tag, wire, p, end, "KeyValue.key", &key);
      }
      if (field == kOtlpKeyValueValue) {
        has_value = true;
        return Sub(tag, wire, p, end, "KeyValue.value", &value);
      }
      return r_.SkipField(p, end, field, wire);
    });
    if (!ok) return false;
    if (!has_key || !has_value) return true;  // VictoriaLogs skips a pair without key or value
    std::string name = prefix.empty() ? std::string(key) : std::string(prefix) + "." + std::string(key);
    return AddAnyValue(value, name, name, depth, out);
  }

  // Appends an AnyValue as the field `name`; a map as one field per entry
  // under `prefix` (its keys bare when the prefix is empty).
  bool AddAnyValue(std::string_view msg, std::string_view name, std::string_view prefix, int depth,
                   std::vector<Field>* out) {
    if (depth > kMaxValueDepth) return r_.Fail(msg.data(), "AnyValue nested too deeply");
    std::string_view kvlist;
    bool is_map = false;
    bool ok = ForEachField(msg, "AnyValue", [&](uint32_t field, uint32_t wire, const char* tag, const char** p,
                                                const char* end) {
      if (field != kOtlpAnyKvList) return r_.SkipField(p, end, field, wire);
      is_map = true;
      return Sub(tag, wire, p, end, "AnyValue.kvlist_value", &kvlist);
    });
    if (!ok) return false;
    if (is_map) {
      return ForEachField(kvlist, "KeyValueList", [&](uint32_t f, uint32_t w, const char* t, const char** q,
                                                      const char* e) {
        if (f != kOtlpListValues) return r_.SkipField(q, e, f, w);
        std::string_view kv;
        return Sub(t, w, q, e, "KeyValueList.values", &kv) && AddKeyValue(kv, prefix, out, depth + 1);
      });
    }
    Field f{std::string(name), {}};
    if (!RenderAnyValue(msg, depth, /*nested=*/false, &f.value)) return false;
    out->push_back(std::move(f));
    return true;
  }

  const LogIngestOptions& options_;
  LogIngestOptions record_options_;  // options_ with the stream of the ResourceLogs being read
  std::vector<logstore::LogEntry>* out_;
  LogIngestStats* stats_;
};

}  // namespace

Status ParseOtlpLogsProtobuf(std::string_view body, const LogIngestOptions& options,
                             std::vector<logstore::LogEntry>* out, LogIngestStats* stats) {
  ProtoLogsParser parser(body, options, out, stats);
  if (!parser.ParseRequest(body)) {
    return Status::InvalidArgument("cannot decode LogsData request from " + std::to_string(body.size()) +
                                   " bytes: " + parser.error());
  }
  return Status::Ok();
}

}  // namespace vigil::ingest
