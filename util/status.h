// Status: the outcome of an operation, as a value. Errors carry a code and a
// message that names what failed (usually a path) and why, so callers can
// report them without rebuilding context. Modeled on leveldb::Status.
//
// Thread safety: a Status is a plain value; distinct objects may be used from
// different threads freely.
#ifndef REGSWEEP_UTIL_STATUS_H_
#define REGSWEEP_UTIL_STATUS_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace regsweep {

class Status {
 public:
  enum class Code {
    kOk = 0,
    kNotFound,         // the file or directory does not exist
    kCorruption,       // content is not what the format requires
    kInvalidArgument,  // the caller asked for something malformed
    kIOError,          // the operating system failed (EIO, EACCES, ...)
    kNotSupported,
    kBusy,             // held by another process (an index in use)
    kAlreadyExists,    // a create found its key taken
  };

  Status() = default;  // OK

  static Status OK() { return Status(); }
  static Status NotFound(std::string_view what, std::string_view why = {}) {
    return Status(Code::kNotFound, what, why);
  }
  static Status Corruption(std::string_view what, std::string_view why = {}) {
    return Status(Code::kCorruption, what, why);
  }
  static Status InvalidArgument(std::string_view what,
                                std::string_view why = {}) {
    return Status(Code::kInvalidArgument, what, why);
  }
  static Status IOError(std::string_view what, std::string_view why = {}) {
    return Status(Code::kIOError, what, why);
  }
  // An IOError that a rerun will not mend: permission denied, a read-only
  // filesystem, an access policy that refuses. IsIOError() and IsLasting()
  // are both true.
  static Status PermissionDenied(std::string_view what,
                                 std::string_view why = {}) {
    Status s(Code::kIOError, what, why);
    s.lasting_ = true;
    return s;
  }
  static Status Busy(std::string_view what, std::string_view why = {}) {
    return Status(Code::kBusy, what, why);
  }
  static Status AlreadyExists(std::string_view what,
                              std::string_view why = {}) {
    return Status(Code::kAlreadyExists, what, why);
  }
  static Status NotSupported(std::string_view what,
                             std::string_view why = {}) {
    return Status(Code::kNotSupported, what, why);
  }

  bool ok() const { return code_ == Code::kOk; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsIOError() const { return code_ == Code::kIOError; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsBusy() const { return code_ == Code::kBusy; }
  bool IsAlreadyExists() const { return code_ == Code::kAlreadyExists; }
  // The failure will be the same on a rerun (see PermissionDenied).
  bool IsLasting() const { return lasting_; }
  Code code() const { return code_; }

  // The message without the code's name: "<what>: <why>".
  const std::string& message() const { return message_; }
  // The <why> alone, for a message that names <what> already (a problem
  // printed with its path); the whole message when there is no <why>.
  std::string_view reason() const {
    return std::string_view(message_).substr(reason_at_);
  }
  // "IO error: <what>: <why>", or "OK".
  std::string ToString() const;

 private:
  Status(Code code, std::string_view what, std::string_view why);

  Code code_ = Code::kOk;
  std::string message_;
  size_t reason_at_ = 0;  // where <why> starts in message_
  bool lasting_ = false;
};

}  // namespace regsweep

#endif  // REGSWEEP_UTIL_STATUS_H_
