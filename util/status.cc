#include "util/status.h"

namespace regsweep {

Status::Status(Code code, std::string_view what, std::string_view why)
    : code_(code), message_(what) {
  if (!why.empty()) {
    message_.append(": ");
    reason_at_ = message_.size();
    message_.append(why);
  }
}

std::string Status::ToString() const {
  const char* name = "OK";
  switch (code_) {
    case Code::kOk:
      return "OK";
    case Code::kNotFound:
      name = "not found";
      break;
    case Code::kCorruption:
      name = "corruption";
      break;
    case Code::kInvalidArgument:
      name = "invalid argument";
      break;
    case Code::kIOError:
      name = "I/O error";
      break;
    case Code::kNotSupported:
      name = "not supported";
      break;
    case Code::kBusy:
      name = "busy";
      break;
    case Code::kAlreadyExists:
      name = "already exists";
      break;
  }
  return std::string(name) + ": " + message_;
}

}  // namespace regsweep
