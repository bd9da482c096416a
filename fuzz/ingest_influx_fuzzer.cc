// libFuzzer target for the InfluxDB line protocol parser (src/ingest/influx.h).
//
// The first input byte picks precision and whether a db label is added; the
// rest is the body. Properties:
//   - parsing never crashes, never reads outside the body, and every view the
//     sink gets is readable during the call (ASan checks the bytes we touch);
//   - kRejectRequest either fails with nothing emitted, or succeeds and then
//     emits exactly what kSkipInvalidLines emits, with no invalid lines;
//   - every emitted series has __name__ first and one sample.
//
// Build (or cmake -DVIGIL_FUZZ=ON with clang):
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I src
//     fuzz/ingest_influx_fuzzer.cc src/ingest/{influx,limits}.cc src/base/status.cc -lfmt

#include <bit>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/influx.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

class RecordingSink : public vigil::RowSink {
 public:
  void OnSeries(std::span<const vigil::LabelPair> labels, std::span<const vigil::Sample> samples) override {
    Check(!labels.empty() && labels[0].name == "__name__" && samples.size() == 1);
    std::string row;
    for (const vigil::LabelPair& l : labels) {
      row.append(l.name).push_back('\0');
      row.append(l.value).push_back('\0');
    }
    row += std::to_string(samples[0].timestamp_ms) + "/" + std::to_string(std::bit_cast<uint64_t>(samples[0].value));
    rows.push_back(std::move(row));
  }
  std::vector<std::string> rows;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::vector<char> copy(data + 1, data + size);
  const std::string_view body(copy.data(), copy.size());

  vigil::ingest::InfluxOptions options;
  options.precision = static_cast<vigil::ingest::InfluxPrecision>(data[0] % 6);
  options.db = (data[0] & 0x80) != 0 ? "fuzzdb" : "";
  options.now_ms = 1700000000000;
  options.limits.max_influx_line_bytes = 512;
  options.limits.max_labels_per_series = 6;
  options.limits.max_samples_per_request = 64;

  vigil::ingest::IngestStats skip_stats;
  RecordingSink skip_sink;
  const vigil::Status skip_status = vigil::ingest::ParseInfluxLines(body, options, &skip_sink, &skip_stats);
  Check(skip_status.ok() || skip_status.code() == vigil::Status::Code::kResourceExhausted);
  Check(skip_stats.series_emitted == skip_sink.rows.size());

  options.on_error = vigil::ingest::LineErrorPolicy::kRejectRequest;
  vigil::ingest::IngestStats reject_stats;
  RecordingSink reject_sink;
  const vigil::Status reject_status = vigil::ingest::ParseInfluxLines(body, options, &reject_sink, &reject_stats);
  if (!reject_status.ok()) {
    Check(reject_sink.rows.empty());
    Check(skip_stats.invalid_lines > 0 || !skip_status.ok());
  } else {
    Check(skip_stats.invalid_lines == 0 && skip_status.ok());
    Check(reject_sink.rows == skip_sink.rows);
  }
  return 0;
}
