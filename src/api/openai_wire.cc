#include "api/openai_wire.h"

namespace lakehouse {

HttpResponse OpenAiError(const Status& status) {
  const char* type = "api_error";
  switch (status.code()) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kUnprocessable:
    case ErrorCode::kPayloadTooLarge:
    case ErrorCode::kUnsupportedMedia:
    case ErrorCode::kConflict:
    case ErrorCode::kAlreadyExists:
      type = "invalid_request_error";
      break;
    case ErrorCode::kUnauthenticated:
      type = "authentication_error";
      break;
    case ErrorCode::kPermissionDenied:
      type = "permission_error";
      break;
    case ErrorCode::kNotFound:
      type = "not_found_error";
      break;
    case ErrorCode::kRateLimited:
      type = "rate_limit_error";
      break;
    default:
      break;
  }
  // Our envelope's code and message, in OpenAI's envelope (Retry-After kept).
  HttpResponse r = HttpResponse::Error(status);
  const Json ours = ErrorJson(status)["error"];
  r.body = DumpJson(Json{{"error",
                          {{"message", ours["message"]},
                           {"type", type},
                           {"param", nullptr},
                           {"code", ours["code"]}}}}) +
           "\n";
  return r;
}

Json OpenAiModel(const std::string& id, const std::string& owned_by) {
  return Json{{"id", id}, {"object", "model"}, {"created", 0}, {"owned_by", owned_by}};
}

}  // namespace lakehouse
