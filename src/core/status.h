// src/core/status.h: errors as values.
//
// A Status is the result of an operation that can fail: OK, or an error code with a
// message a person can act on. Result<T> is a T or a non-OK Status. Exceptions never
// cross a subsystem boundary: third-party exceptions (DuckDB, JSON parsers, hnswlib) are
// caught in their adapter and become a Status.
//
// Every error the system can answer is listed once, in LAKEHOUSE_ERROR_CODES below:
// code -> wire name -> HTTP status. The gateway maps a Status to an HTTP answer with that
// table and nothing else, so the JSON error `{"error":{"code","message"}}` is uniform.
//
// Thread-safety: Status and Result are values; const methods may be called concurrently.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace lakehouse {

// X(enum name, wire name, HTTP status)
#define LAKEHOUSE_ERROR_CODES(X)                  \
  X(kOk, "ok", 200)                               \
  X(kInvalidArgument, "invalid_argument", 400)    \
  X(kUnauthenticated, "unauthenticated", 401)     \
  X(kPermissionDenied, "permission_denied", 403)  \
  X(kNotFound, "not_found", 404)                  \
  X(kMethodNotAllowed, "method_not_allowed", 405) \
  X(kAlreadyExists, "already_exists", 409)        \
  X(kConflict, "conflict", 409)                   \
  X(kPayloadTooLarge, "payload_too_large", 413)   \
  X(kUnsupportedMedia, "unsupported_media", 415)  \
  X(kUnprocessable, "unprocessable", 422)         \
  X(kRateLimited, "rate_limited", 429)            \
  X(kInternal, "internal", 500)                   \
  X(kIOError, "io_error", 500)                    \
  X(kCorruption, "corruption", 500)               \
  X(kBadGateway, "bad_gateway", 502)              \
  X(kUnavailable, "unavailable", 503)             \
  X(kDeadlineExceeded, "deadline_exceeded", 504)  \
  X(kInsufficientStorage, "insufficient_storage", 507)

enum class ErrorCode {
#define LAKEHOUSE_ENUM_ENTRY(name, wire, http) name,
  LAKEHOUSE_ERROR_CODES(LAKEHOUSE_ENUM_ENTRY)
#undef LAKEHOUSE_ENUM_ENTRY
};

//! The wire name of a code ("invalid_argument").
std::string_view ErrorCodeName(ErrorCode code);
//! The HTTP status a code answers with (400).
int ErrorCodeHttpStatus(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string m) {
    return {ErrorCode::kInvalidArgument, std::move(m)};
  }
  static Status NotFound(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {ErrorCode::kAlreadyExists, std::move(m)}; }
  static Status Conflict(std::string m) { return {ErrorCode::kConflict, std::move(m)}; }
  static Status PermissionDenied(std::string m) {
    return {ErrorCode::kPermissionDenied, std::move(m)};
  }
  static Status Unprocessable(std::string m) { return {ErrorCode::kUnprocessable, std::move(m)}; }
  static Status Internal(std::string m) { return {ErrorCode::kInternal, std::move(m)}; }
  static Status IOError(std::string m) { return {ErrorCode::kIOError, std::move(m)}; }
  static Status Corruption(std::string m) { return {ErrorCode::kCorruption, std::move(m)}; }
  static Status Unavailable(std::string m) { return {ErrorCode::kUnavailable, std::move(m)}; }
  static Status BadGateway(std::string m) { return {ErrorCode::kBadGateway, std::move(m)}; }
  static Status DeadlineExceeded(std::string m) {
    return {ErrorCode::kDeadlineExceeded, std::move(m)};
  }
  static Status PayloadTooLarge(std::string m) {
    return {ErrorCode::kPayloadTooLarge, std::move(m)};
  }
  static Status UnsupportedMedia(std::string m) {
    return {ErrorCode::kUnsupportedMedia, std::move(m)};
  }
  static Status InsufficientStorage(std::string m) {
    return {ErrorCode::kInsufficientStorage, std::move(m)};
  }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  int http_status() const { return ErrorCodeHttpStatus(code_); }
  //! "invalid_argument: dataset name must match [a-z][a-z0-9_]*"
  std::string ToString() const;

  //! A copy with `context` prepended to the message ("ingest workers: ...").
  Status WithContext(std::string_view context) const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

//! An operating-system error as a Status: a full disk, a quota or a file-size limit
//! (ENOSPC, EDQUOT, EFBIG) is insufficient_storage (507), anything else io_error (500).
//! The message is "<what>: <strerror>".
Status StatusFromErrno(int err, std::string_view what);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit on purpose
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok() && "Result needs a value or an error");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace lakehouse

#define LH_CONCAT_INNER(a, b) a##b
#define LH_CONCAT(a, b) LH_CONCAT_INNER(a, b)

//! Returns the Status from the enclosing function when `expr` is not OK.
#define LH_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::lakehouse::Status lh_status_ = (expr); \
    if (!lh_status_.ok()) return lh_status_; \
  } while (0)

//! `LH_ASSIGN_OR_RETURN(auto x, MakeX());` binds the value or returns the error.
#define LH_ASSIGN_OR_RETURN(lhs, expr) \
  LH_ASSIGN_OR_RETURN_IMPL(LH_CONCAT(lh_result_, __LINE__), lhs, expr)
#define LH_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()
