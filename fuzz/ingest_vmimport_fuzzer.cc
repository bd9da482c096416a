// libFuzzer target for the VictoriaMetrics JSON line import parser
// (src/ingest/vmimport.h).
//
// Properties on arbitrary bodies:
//   - parsing never crashes, never reads outside the body, never recurses
//     without bound, and every view the sink gets is readable during the call;
//   - kRejectRequest either fails with nothing emitted, or succeeds and emits
//     exactly what kSkipInvalidLines emits, with no invalid lines;
//   - every emitted series has at least one label and one sample.
//
// Build (or cmake -DVIGIL_FUZZ=ON with clang):
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I src
//     fuzz/ingest_vmimport_fuzzer.cc src/ingest/{vmimport,json_scan,limits}.cc src/base/status.cc -lfmt

#include <bit>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/vmimport.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

class RecordingSink : public vigil::RowSink {
 public:
  void OnSeries(std::span<const vigil::LabelPair> labels, std::span<const vigil::Sample> samples) override {
    Check(!labels.empty() && !samples.empty());
    std::string row;
    for (const vigil::LabelPair& l : labels) {
      row.append(l.name).push_back('\0');
      row.append(l.value).push_back('\0');
    }
    for (const vigil::Sample& s : samples) {
      row += std::to_string(s.timestamp_ms) + "/" + std::to_string(std::bit_cast<uint64_t>(s.value)) + ";";
    }
    rows.push_back(std::move(row));
  }
  std::vector<std::string> rows;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<char> copy(data, data + size);
  const std::string_view body(copy.data(), copy.size());

  vigil::ingest::VmImportOptions options;
  options.limits.max_import_line_bytes = 4096;
  options.limits.max_labels_per_series = 8;
  options.limits.max_samples_per_request = 256;

  vigil::ingest::IngestStats skip_stats;
  RecordingSink skip_sink;
  const vigil::Status skip_status = vigil::ingest::ParseVmImportLines(body, options, &skip_sink, &skip_stats);
  Check(skip_status.ok() || skip_status.code() == vigil::Status::Code::kResourceExhausted);
  Check(skip_stats.series_emitted == skip_sink.rows.size());

  options.on_error = vigil::ingest::LineErrorPolicy::kRejectRequest;
  vigil::ingest::IngestStats reject_stats;
  RecordingSink reject_sink;
  const vigil::Status reject_status = vigil::ingest::ParseVmImportLines(body, options, &reject_sink, &reject_stats);
  if (!reject_status.ok()) {
    Check(reject_sink.rows.empty());
    Check(skip_stats.invalid_lines > 0 || !skip_status.ok());
  } else {
    Check(skip_stats.invalid_lines == 0 && skip_status.ok());
    Check(reject_sink.rows == skip_sink.rows);
  }
  return 0;
}
