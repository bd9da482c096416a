#pragma once
// Splitting a body into lines for the line-oriented formats. Internal to src/ingest.

#include <fmt/format.h>

#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

#include "base/sample_row.h"
#include "base/status.h"
#include "ingest/limits.h"

namespace vigil::ingest {

enum class CommentLines { kKeep, kSkipHashComments };

// Calls fn(line, line_no) for every line of body that has content, in order.
// Lines end at '\n' (or the end of body); a trailing '\r' and leading spaces
// and tabs are removed; lines left empty are skipped, and so are lines
// starting with '#' under kSkipHashComments. line_no counts from 1 over all
// lines, skipped ones included. fn returns false to stop early.
template <typename Fn>
void ForEachContentLine(std::string_view body, CommentLines comments, Fn&& fn) {
  size_t line_no = 0;
  const char* p = body.data();
  const char* const end = p + body.size();
  while (p < end) {
    const auto* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    const char* line_end = nl == nullptr ? end : nl;
    std::string_view line(p, static_cast<size_t>(line_end - p));
    p = nl == nullptr ? end : nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty()) continue;
    if (comments == CommentLines::kSkipHashComments && line.front() == '#') continue;
    if (!fn(line, line_no)) return;
  }
}

// The first kMaxExcerptBytes of a line, for messages.
inline std::string LineExcerpt(std::string_view line) {
  constexpr size_t kMaxExcerptBytes = 200;
  if (line.size() <= kMaxExcerptBytes) return std::string(line);
  return std::string(line.substr(0, kMaxExcerptBytes)) + "...";
}

// What a line format tells DriveLines about itself.
struct LineFormat {
  std::string_view name;           // "influx", "vmimport": starts every message
  CommentLines comments;           // whether '#' lines are comments
  size_t max_line_bytes;           // from IngestLimits
  std::string_view max_line_name;  // the IngestLimits field, for messages
};

// Runs a line parser over body under a LineErrorPolicy and the request's
// sample limit. Parser needs:
//   bool ParseLine(std::string_view line);  // false: error() says why
//   size_t line_samples() const;            // samples the parsed line will emit (upper bound)
//   void EmitLine(RowSink* sink);           // emits the parsed line, counts into stats
//   const std::string& error() const;
// kSkipInvalidLines: one pass; bad lines are counted and skipped.
// kRejectRequest: a checking pass first; the first bad line fails the call
// with InvalidArgument and nothing is emitted. Either way, more than
// max_samples (0 = no limit) samples is ResourceExhausted; under
// kRejectRequest that is found before anything is emitted.
template <typename Parser>
Status DriveLines(std::string_view body, const LineFormat& format, LineErrorPolicy policy, size_t max_samples,
                  Parser* parser, RowSink* sink, IngestStats* stats) {
  // "" when the line parsed, else the message for it.
  auto parse = [&](std::string_view line, size_t line_no) -> std::string {
    if (line.size() > format.max_line_bytes) {
      return fmt::format("{} line {} has {} bytes, more than {}={}", format.name, line_no, line.size(),
                         format.max_line_name, format.max_line_bytes);
    }
    if (parser->ParseLine(line)) return {};
    return fmt::format("cannot parse {} line {}: {}; line: {}", format.name, line_no, parser->error(),
                       LineExcerpt(line));
  };
  auto too_many = [&](size_t samples) {
    return Status::ResourceExhausted(
        fmt::format("{} request has more than max_samples_per_request={} samples (at least {})", format.name,
                    max_samples, samples));
  };

  if (policy == LineErrorPolicy::kRejectRequest) {
    size_t samples = 0;
    std::string error;
    ForEachContentLine(body, format.comments, [&](std::string_view line, size_t line_no) {
      error = parse(line, line_no);
      if (!error.empty()) return false;
      samples += parser->line_samples();
      return max_samples == 0 || samples <= max_samples;
    });
    if (!error.empty()) {
      ++stats->invalid_lines;
      stats->NoteProblem(error);
      return Status::InvalidArgument(std::move(error));
    }
    if (max_samples != 0 && samples > max_samples) return too_many(samples);
  }

  size_t samples = 0;
  Status status;
  ForEachContentLine(body, format.comments, [&](std::string_view line, size_t line_no) {
    std::string error = parse(line, line_no);
    if (!error.empty()) {
      ++stats->invalid_lines;
      stats->NoteProblem(error);
      return true;
    }
    samples += parser->line_samples();
    if (max_samples != 0 && samples > max_samples) {
      status = too_many(samples);
      return false;
    }
    parser->EmitLine(sink);
    return true;
  });
  return status;
}

}  // namespace vigil::ingest
