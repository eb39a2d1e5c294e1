// API keys: created once with their secret, kept only as a hash, durable, revoked at once in
// every process that shares the root.
#include "auth/keys.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace lakehouse::auth {
namespace {

using testing::TempDir;

TEST(ApiKeys, ScopesParseFromTextOrJsonAndNameTheUnknownOne) {
  EXPECT_EQ(*ParseScopes("read,write"), kRead | kWrite);
  EXPECT_EQ(*ParseScopes(" admin "), kAdmin);
  EXPECT_EQ(*ParseScopesJson(Json::array({"read", "admin"})), kRead | kAdmin);
  auto bad = ParseScopes("read,delete");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'delete'"), std::string::npos);
  EXPECT_FALSE(ParseScopes("").ok());
  EXPECT_EQ(ScopesJson(kRead | kAdmin), Json::array({"read", "admin"}));
}

TEST(ApiKeys, CreatedKeyAuthenticatesAndOnlyItsHashIsStored) {
  TempDir dir;
  auto store = KeyStore::Open(dir.str());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto k = (*store)->Create("console", kRead | kWrite, 5, 2);
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(k->secret.size(), 64u);
  EXPECT_TRUE(k->secret.starts_with("lh_" + k->key.id + "_"));
  EXPECT_EQ(k->ToJson()["key"], k->secret);
  EXPECT_FALSE(k->key.ToJson().contains("key"));
  EXPECT_FALSE(k->key.ToJson().contains("sha256"));

  AuthFailure why{};
  auto got = (*store)->Authenticate(k->secret, &why);
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->id, k->key.id);
  EXPECT_EQ(got->scopes, kRead | kWrite);
  EXPECT_EQ(got->rate, 5);
  EXPECT_EQ(got->concurrency, 2);

  // The file holds the hash, never the secret, and only its owner may read it.
  const auto path = dir.path() / "auth" / "keys.log";
  const std::string raw = testing::ReadFile(path);
  EXPECT_EQ(raw.find(k->secret), std::string::npos);
  EXPECT_EQ(raw.find(k->secret.substr(16)), std::string::npos);
  EXPECT_NE(raw.find(k->key.sha256), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(ApiKeys, WrongSecretsAreRefusedWithTheirReason) {
  TempDir dir;
  auto store = std::move(KeyStore::Open(dir.str()).value());
  auto k = store->Create("svc", kRead).value();
  AuthFailure why{};
  EXPECT_EQ(store->Authenticate("", &why), nullptr);
  EXPECT_EQ(why, AuthFailure::kMissing);
  EXPECT_EQ(store->Authenticate("sk-not-ours", &why), nullptr);
  EXPECT_EQ(why, AuthFailure::kMalformed);
  std::string forged = k.secret;
  forged.back() = forged.back() == '0' ? '1' : '0';  // right id, wrong secret
  EXPECT_EQ(store->Authenticate(forged, &why), nullptr);
  EXPECT_EQ(why, AuthFailure::kUnknown);
  EXPECT_EQ(KeyIdOf(forged), k.key.id);
  EXPECT_EQ(KeyIdOf("lh_short"), "");
}

TEST(ApiKeys, KeysAndRevocationsSurviveReopen) {
  TempDir dir;
  std::string keep, gone, gone_id;
  {
    auto store = std::move(KeyStore::Open(dir.str()).value());
    keep = store->Create("keep", kRead).value().secret;
    auto g = store->Create("gone", kRead | kAdmin).value();
    gone = g.secret;
    gone_id = g.key.id;
    auto revoked = store->Revoke(gone_id);
    ASSERT_TRUE(revoked.ok());
    EXPECT_FALSE(revoked->active());
    EXPECT_FALSE(revoked->ToJson()["revoked_at"].is_null());
    // Revoking again answers the same key; an unknown id is NotFound.
    EXPECT_TRUE(store->Revoke(gone_id).ok());
    EXPECT_EQ(store->Revoke("000000000000").status().code(), ErrorCode::kNotFound);
  }
  auto store = std::move(KeyStore::Open(dir.str()).value());
  AuthFailure why{};
  EXPECT_NE(store->Authenticate(keep, &why), nullptr);
  EXPECT_EQ(store->Authenticate(gone, &why), nullptr);
  EXPECT_EQ(why, AuthFailure::kRevoked);
  const auto list = store->List();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].name, "keep");
  EXPECT_EQ(list[1].name, "gone");
  EXPECT_EQ(store->ActiveCount(), 1u);
}

TEST(ApiKeys, ARevocationByAnotherProcessIsSeenByTheNextCheck) {
  TempDir dir;
  auto server = std::move(KeyStore::Open(dir.str()).value());  // a running server
  auto cli = std::move(KeyStore::Open(dir.str()).value());     // `lakehouse keys` beside it
  auto k = cli->Create("ops", kRead).value();
  AuthFailure why{};
  EXPECT_NE(server->Authenticate(k.secret, &why), nullptr);  // created elsewhere: seen
  ASSERT_TRUE(cli->Revoke(k.key.id).ok());
  EXPECT_EQ(server->Authenticate(k.secret, &why), nullptr);  // revoked elsewhere: refused
  EXPECT_EQ(why, AuthFailure::kRevoked);
}

TEST(ApiKeys, BadCreationsAreRefused) {
  TempDir dir;
  auto store = std::move(KeyStore::Open(dir.str()).value());
  EXPECT_FALSE(store->Create("", kRead).ok());
  EXPECT_FALSE(store->Create(std::string(65, 'x'), kRead).ok());
  EXPECT_FALSE(store->Create("x\n", kRead).ok());
  EXPECT_FALSE(store->Create("x", 0).ok());
  EXPECT_FALSE(store->Create("x", kRead, -1).ok());
  EXPECT_FALSE(store->Create("x", kRead, 0, -1).ok());
  EXPECT_TRUE(store->List().empty());
}

}  // namespace
}  // namespace lakehouse::auth
