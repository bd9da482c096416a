#pragma once
// The values the Alertmanager pipeline passes around: label sets, alerts and
// their fingerprints, and the RFC 3339 timestamps of the API and payloads.
// Times are Unix milliseconds; 0 is Go's zero time ("0001-01-01T00:00:00Z").
// Pure values and functions; safe to use from any thread.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "base/status.h"

namespace vigil::alertmanager {

// Labels or annotations, sorted by name (the order fingerprints hash in).
using LabelSet = std::map<std::string, std::string>;

// Prometheus' model.LabelSet.Fingerprint: FNV-1a 64 over name 0xff value 0xff
// for every pair in name order, so fingerprints equal Alertmanager's.
uint64_t Fingerprint(const LabelSet& labels);
// The fingerprint as Alertmanager prints it: 16 lowercase hex digits.
std::string FingerprintHex(uint64_t fp);

// Formats `ms` as RFC 3339 in UTC with milliseconds ("2023-04-10T12:00:00.000Z");
// 0 becomes "0001-01-01T00:00:00Z".
std::string FormatTime(int64_t ms);
// Parses RFC 3339 ("2023-04-10T12:00:00Z", fractions, "+02:00" offsets).
// "0001-01-01T00:00:00Z" yields 0. InvalidArgument on anything else.
Result<int64_t> ParseTime(std::string_view s);

// Wall-clock now in Unix milliseconds.
int64_t NowMs();

// `{a="x", b="y"}` as Go's model.LabelSet.String() prints it.
std::string LabelSetString(const LabelSet& labels);

// True when `name` is a valid Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*).
bool ValidLabelName(std::string_view name);

// One alert as stored. An alert is resolved once ends_at is in the past.
struct Alert {
  LabelSet labels;
  LabelSet annotations;
  int64_t starts_at = 0;
  int64_t ends_at = 0;
  int64_t updated_at = 0;
  std::string generator_url;
  // ends_at was filled in from resolve_timeout, not sent by the client.
  bool timeout = false;
  uint64_t fingerprint = 0;

  bool Resolved(int64_t now) const { return ends_at != 0 && ends_at <= now; }
};

// Alertmanager's Alert.Merge: combines an update `b` into the stored `a`;
// the younger (by updated_at) wins, keeping the earliest start and the
// latest explicit end.
Alert MergeAlerts(const Alert& a, const Alert& b);

}  // namespace vigil::alertmanager
