#include "base/status.h"

namespace vigil {

std::string Status::ToString() const {
  const char* name = "OK";
  switch (code_) {
    case Code::kOk: return "OK";
    case Code::kInvalidArgument: name = "invalid argument"; break;
    case Code::kNotFound: name = "not found"; break;
    case Code::kCorruption: name = "corruption"; break;
    case Code::kIOError: name = "io error"; break;
    case Code::kResourceExhausted: name = "resource exhausted"; break;
    case Code::kUnavailable: name = "unavailable"; break;
    case Code::kInternal: name = "internal"; break;
  }
  return std::string(name) + ": " + message_;
}

}  // namespace vigil
