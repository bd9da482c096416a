// libFuzzer target for the Prometheus text / OpenMetrics parser
// (src/textparse/textparse.h).
//
// Arbitrary bytes go through both formats, with default and with tiny
// limits and accept_crlf, via the pull API (continuing past errors) and via
// ParseToSink in both error modes. Properties checked besides "no crash, no
// out-of-bounds read" (ASan/UBSan):
//   - the parser always reaches kEOF, in at most one entry per input byte
//     plus a few;
//   - every view it hands out lies inside the input or is the same bytes
//     after unescaping (checked by touching every byte);
//   - every error status is non-OK with a "line N: " prefix, N within the
//     input's line count + 1;
//   - ParseToSink in skip mode delivers exactly the samples the pull API
//     saw, and in stop mode stops at the first error.
//
// Build: clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I src
//        fuzz/textparse_fuzzer.cc src/textparse/*.cc src/base/status.cc

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "textparse/textparse.h"

namespace {

using namespace vigil::textparse;

void Check(bool ok) {
  if (!ok) std::abort();
}

size_t Touch(std::string_view s) {
  size_t h = 0;
  for (char c : s) h = h * 31 + static_cast<unsigned char>(c);
  return h;
}

class CountingSink : public vigil::RowSink {
 public:
  void OnSeries(std::span<const vigil::LabelPair> labels, std::span<const vigil::Sample> samples) override {
    Check(!labels.empty() && labels[0].name == "__name__");
    Check(samples.size() == 1);
    ++count;
  }
  uint64_t count = 0;
};

uint64_t PullAll(std::string_view input, Format format, const ParserOptions& options, uint64_t* errors) {
  TextParser parser(input, format, options);
  const int max_line = static_cast<int>(std::count(input.begin(), input.end(), '\n')) + 1;
  uint64_t samples = 0;
  size_t entries = 0;
  size_t sink = 0;
  for (;;) {
    const Entry& e = parser.Next();
    Check(++entries <= input.size() + 3);
    if (e.kind == EntryKind::kEOF) break;
    if (e.kind == EntryKind::kError) {
      ++*errors;
      Check(!parser.status().ok());
      Check(parser.status().message().starts_with("line "));
      int line = std::atoi(parser.status().message().c_str() + 5);
      Check(line >= 1 && line <= max_line);
      continue;
    }
    Check(parser.status().ok());
    Check(parser.line() >= 1 && parser.line() <= max_line);
    sink += Touch(e.name) + Touch(e.text);
    if (e.kind == EntryKind::kSeries) {
      ++samples;
      Check(e.labels_with_name.size() == e.labels.size() + 1);
      for (const auto& l : e.labels_with_name) sink += Touch(l.name) + Touch(l.value);
      if (e.has_exemplar) {
        for (const auto& l : e.exemplar.labels) sink += Touch(l.name) + Touch(l.value);
      }
    }
  }
  Check(parser.Next().kind == EntryKind::kEOF);
  volatile size_t keep = sink;
  (void)keep;
  return samples;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  ParserOptions tight;
  tight.accept_crlf = true;
  tight.limits.max_line_bytes = 64;
  tight.limits.max_labels_per_series = 3;
  tight.limits.max_label_name_bytes = 4;
  tight.limits.max_label_value_bytes = 8;
  for (Format format : {Format::kPrometheus, Format::kOpenMetrics}) {
    for (const ParserOptions& options : {ParserOptions{}, tight}) {
      uint64_t errors = 0;
      uint64_t samples = PullAll(input, format, options, &errors);

      ParseOptions skip;
      skip.parser = options;
      skip.stop_at_first_error = false;
      CountingSink skip_sink;
      ParseStats stats;
      MetadataTable metadata;
      skip.metadata = &metadata;
      Check(ParseToSink(input, format, 0, skip_sink, &stats, skip).ok());
      Check(skip_sink.count == samples && stats.samples == samples && stats.errors == errors);
      Check(stats.first_error.ok() == (errors == 0));
      for (const auto& [family, md] : metadata.families()) {
        Check(metadata.FindForSeries(family) != nullptr);
        Check(!MetricFamilyOf(family, md.type).empty());
      }

      ParseOptions stop;
      stop.parser = options;
      CountingSink stop_sink;
      vigil::Status s = ParseToSink(input, format, 0, stop_sink, nullptr, stop);
      Check(s.ok() == (errors == 0));
      Check(stop_sink.count <= samples);
    }
  }
  return 0;
}
