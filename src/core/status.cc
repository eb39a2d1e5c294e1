#include "core/status.h"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace lakehouse {

Status StatusFromErrno(int err, std::string_view what) {
  std::string message = fmt::format("{}: {}", what, std::strerror(err));
  if (err == ENOSPC || err == EDQUOT || err == EFBIG)
    return Status::InsufficientStorage(std::move(message));
  return Status::IOError(std::move(message));
}

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
#define LAKEHOUSE_NAME_ENTRY(name, wire, http) \
  case ErrorCode::name:                        \
    return wire;
    LAKEHOUSE_ERROR_CODES(LAKEHOUSE_NAME_ENTRY)
#undef LAKEHOUSE_NAME_ENTRY
  }
  return "internal";
}

int ErrorCodeHttpStatus(ErrorCode code) {
  switch (code) {
#define LAKEHOUSE_HTTP_ENTRY(name, wire, http) \
  case ErrorCode::name:                        \
    return http;
    LAKEHOUSE_ERROR_CODES(LAKEHOUSE_HTTP_ENTRY)
#undef LAKEHOUSE_HTTP_ENTRY
  }
  return 500;
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string out(ErrorCodeName(code_));
  out += ": ";
  out += message_;
  return out;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  std::string m(context);
  m += ": ";
  m += message_;
  return Status(code_, std::move(m));
}

}  // namespace lakehouse
