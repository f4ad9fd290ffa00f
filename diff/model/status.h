// Status and Result<T>: errors as values.
//
// A Status is either OK or carries a code from a small closed set and a message that reads as
// "<what failed>: <cause>". Callers branch on the code, people read the message. Result<T> holds a
// value or a non-OK Status (std::expected is C++23; this is the C++20 stand-in).
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace warren {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // the input is unusable (bad YAML, a List that is not a list, ...)
  kNotFound,
  kLimitExceeded,  // a size, depth or expansion limit was hit
  kIoError,
  kConflict,
  kExpired,          // a resourceVersion or continue token too old (HTTP 410): relist
  kUnauthenticated,  // credentials missing or refused (HTTP 401)
  kForbidden,
  kUnavailable,
  kInternal,
  kCancelled,  // stopped on request (shutdown, lost leadership) before it finished
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status Invalid(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status Limit(std::string m) { return {StatusCode::kLimitExceeded, std::move(m)}; }
  static Status Io(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status Cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message is "<context>: <message>".
  Status WithContext(const std::string& context) const {
    if (ok()) return *this;
    return Status(code_, context + ": " + message_);
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT: REQUIRES: !status.ok()

  bool ok() const { return std::holds_alternative<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace warren

// Evaluates a Status expression and returns it from the calling function when it is not OK.
#define WARREN_RETURN_IF_ERROR(expr)       \
  do {                                     \
    ::warren::Status warren_s_ = (expr);   \
    if (!warren_s_.ok()) return warren_s_; \
  } while (0)

// Evaluates an expression giving a Result<T>; returns its Status from the calling function when it
// is not OK, else declares `lhs` (e.g. `auto x`) and moves the value into it:
//   WARREN_ASSIGN_OR_RETURN(auto docs, DecodeYaml(text, file));
#define WARREN_ASSIGN_OR_RETURN(lhs, expr) \
  WARREN_ASSIGN_OR_RETURN_IMPL_(WARREN_STATUS_CONCAT_(warren_r_, __LINE__), lhs, expr)
#define WARREN_ASSIGN_OR_RETURN_IMPL_(result, lhs, expr) \
  auto result = (expr);                                  \
  if (!result.ok()) return result.status();              \
  lhs = std::move(result).value()
#define WARREN_STATUS_CONCAT_INNER_(a, b) a##b
#define WARREN_STATUS_CONCAT_(a, b) WARREN_STATUS_CONCAT_INNER_(a, b)
