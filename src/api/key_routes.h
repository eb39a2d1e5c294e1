// src/api/key_routes.h: /v1/admin/keys: API keys, for a key with the admin scope.
//
//   GET    /v1/admin/keys        every key (never a secret nor a hash), oldest first
//   POST   /v1/admin/keys        {"name", "scopes": ["read", "write"] | "read,write",
//                                 "rate"?, "concurrency"?} -> 201 with "key", shown only then
//   DELETE /v1/admin/keys/{id}   revokes it: refused from the next request on, in every
//                                process of the root
// The same store as `lakehouse keys` (auth/keys.h). Every process serves these routes itself
// (a gateway does not forward them): each reads the root's one key store.
#pragma once

#include <memory>

#include "api/module.h"

namespace lakehouse {

namespace auth {
class KeyStore;
}

struct KeysDeps {
  auth::KeyStore* keys = nullptr;
};

std::unique_ptr<Module> NewKeysModule(KeysDeps deps);

}  // namespace lakehouse
