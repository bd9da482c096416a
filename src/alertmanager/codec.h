#pragma once
// JSON codecs of Alertmanager's API v2 models (api/v2/openapi.yaml of
// 0.25): postableAlert and postableSilence in, gettableAlert and
// gettableSilence out. Decoders take untrusted bytes: they never throw,
// bound nothing themselves (the HTTP layer bounds the body) and report
// problems the way Alertmanager words them.
//
// Thread-safety: pure functions.

#include <string>
#include <string_view>
#include <vector>

#include "alertmanager/model.h"
#include "alertmanager/silences.h"
#include "base/status.h"

namespace vigil::alertmanager {

// A body that is not the expected JSON shape: Alertmanager (go-swagger)
// answers 400 with {"code":400,"message":...}.
struct DecodeError {
  std::string message;
};

// Decodes a postableAlert list. Alerts are not validated here (see
// ValidateAlert); missing times are 0. Fails on malformed JSON or wrong types.
Result<std::vector<Alert>> DecodePostableAlerts(std::string_view body);
// Alertmanager's Alert.Validate: InvalidArgument when labels are empty or
// invalid, annotations invalid, or the end is before the start.
Status ValidateAlert(const Alert& a);

// Decodes a postableSilence ({id?, matchers:[{name,value,isRegex,isEqual}],
// startsAt, endsAt, createdBy, comment}).
Result<Silence> DecodePostableSilence(std::string_view body);

// Appends a gettableSilence object.
void AppendGettableSilence(std::string* out, const Silence& s, int64_t now);
// Appends a JSON object of string pairs.
void AppendLabelObject(std::string* out, const LabelSet& ls);

}  // namespace vigil::alertmanager
