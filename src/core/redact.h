// src/core/redact.h: secrets out of what is shown (config listings, logs, errors).
#pragma once

#include <string>
#include <string_view>

namespace lakehouse {

//! A URI without the password of its user info:
//! "postgresql://user:secret@host:5432/db" -> "postgresql://user@host:5432/db".
std::string RedactUriPassword(std::string_view uri);

}  // namespace lakehouse
