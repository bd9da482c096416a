// libFuzzer target for the log ingestion parsers (src/ingest/log_ingest.h):
// JSON lines, Elasticsearch bulk, Loki push JSON and protobuf, OTLP logs
// protobuf (src/ingest/otlp_logs.h), and the log store's WAL record codec on
// what they produce.
//
// The first input byte picks the format (its low 3 bits; 4..7: OTLP logs)
// and options; the rest is the body. Properties:
//   - parsing never crashes and never reads outside the body (ASan);
//   - every entry has a non-empty _msg and sorted, unique stream labels;
//   - rows + skipped lines never exceed the number of lines (line formats);
//   - EncodeEntries/DecodeEntries round-trips every produced batch, and so
//     do EncodeRowBatch/DecodeRowBatch (the WAL's version 2 records).

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/log_ingest.h"
#include "ingest/otlp_logs.h"
#include "logstore/entry_codec.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > (1 << 20)) return 0;
  const uint8_t mode = data[0];
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  vigil::ingest::LogIngestOptions options;
  options.now_ns = 1'700'000'000'000'000'000;
  options.max_line_bytes = 256;
  if (mode & 0x10) options.stream_fields = {"job", "a.b"};
  if (mode & 0x20) options.msg_fields = {"message", "_msg"};
  if (mode & 0x40) options.ignore_fields = {"x*"};
  std::vector<vigil::logstore::LogEntry> out;
  vigil::ingest::LogIngestStats stats;
  const size_t lines = static_cast<size_t>(std::count(body.begin(), body.end(), '\n')) + 1;
  switch (mode & 7) {
    case 0:
      vigil::ingest::ParseJsonLines(body, options, &out, &stats);
      Check(stats.rows + stats.bad_lines + stats.too_long <= lines);
      break;
    case 1: {
      std::vector<bool> items;
      vigil::ingest::ParseElasticsearchBulk(body, options, &out, &stats, &items);
      Check(static_cast<size_t>(std::count(items.begin(), items.end(), true)) == out.size());
      break;
    }
    case 2:
      (void)vigil::ingest::ParseLokiPushJson(body, options, &out, &stats);
      break;
    case 3:
      (void)vigil::ingest::ParseLokiPushProtobuf(body, options, &out, &stats);
      break;
    default:
      (void)vigil::ingest::ParseOtlpLogsProtobuf(body, options, &out, &stats);
      Check(stats.rows == out.size());
      break;
  }
  for (const auto& e : out) {
    Check(std::is_sorted(e.stream.begin(), e.stream.end()));
    Check(std::adjacent_find(e.stream.begin(), e.stream.end(),
                             [](const auto& a, const auto& b) { return a.first == b.first; }) == e.stream.end());
  }
  std::string record;
  vigil::logstore::EncodeEntries(out, &record);
  std::vector<vigil::logstore::LogEntry> back;
  Check(vigil::logstore::DecodeEntries(record, &back).ok());
  Check(back.size() == out.size());
  for (size_t i = 0; i < out.size(); ++i) {
    Check(back[i].time_ns == out[i].time_ns && back[i].stream == out[i].stream);
    Check(back[i].fields.size() == out[i].fields.size());
  }
  // The version 2 record (what the store writes) decodes to the same rows.
  vigil::logstore::RowBatch batch;
  for (const auto& e : back) batch.AddEntry(e);
  std::string v2;
  vigil::logstore::EncodeRowBatch(batch, &v2);
  vigil::logstore::RowBatch batch_back;
  Check(vigil::logstore::DecodeRowBatch(v2, &batch_back).ok());
  Check(batch_back.size() == batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    Check(batch_back.row(i).time_ns == batch.row(i).time_ns);
    Check(batch_back.row(i).fields.size() == batch.row(i).fields.size());
    Check(batch_back.stream(batch_back.stream_of(i)) == batch.stream(batch.stream_of(i)));
  }
  return 0;
}
