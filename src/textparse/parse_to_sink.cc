// ParseToSink: the whole-body convenience over TextParser used by scraping
// and /api/v1/import/prometheus.

#include "textparse/textparse.h"

namespace vigil::textparse {

Status ParseToSink(std::string_view input, Format format, int64_t default_timestamp_ms, RowSink& sink,
                   ParseStats* stats, const ParseOptions& options) {
  ParseStats local;
  ParseStats& st = stats != nullptr ? *stats : local;
  st = ParseStats{};
  TextParser parser(input, format, options.parser);
  Sample sample{};
  for (;;) {
    const Entry& e = parser.Next();
    switch (e.kind) {
      case EntryKind::kSeries:
        sample.timestamp_ms = e.has_timestamp ? e.timestamp_ms : default_timestamp_ms;
        sample.value = e.value;
        sink.OnSeries(e.labels_with_name, std::span<const Sample>(&sample, 1));
        ++st.samples;
        break;
      case EntryKind::kHelp:
      case EntryKind::kType:
      case EntryKind::kUnit:
        ++st.metadata;
        if (options.metadata != nullptr) options.metadata->Observe(e);
        break;
      case EntryKind::kComment:
        ++st.comments;
        break;
      case EntryKind::kError:
        ++st.errors;
        if (st.first_error.ok()) st.first_error = parser.status();
        if (options.stop_at_first_error) return parser.status();
        break;
      case EntryKind::kEOF:
        return Status::Ok();
    }
  }
}

}  // namespace vigil::textparse
