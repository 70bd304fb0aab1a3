// Sessions, cookies and CSRF, API tokens and their scopes, second factors,
// invitations, throttling and disabled accounts, over HTTP against a real server.
#include <gtest/gtest.h>

#include <chrono>

#include "aaa/totp.hh"
#include "support/test_server.hh"

namespace fedihost {
namespace {

namespace json = boost::json;
using testing::TestServer;

json::object body(const client::HttpResponse& r) {
  auto v = json::parse(r.body);
  return v.is_object() ? v.as_object() : json::object{};
}
std::string str(const json::object& o, const char* k) { return std::string(o.at(k).as_string()); }

std::string totpNow(const std::string& secret) {
  auto key = aaa::totp::base32Decode(secret);
  auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  return aaa::totp::code(*key, static_cast<std::uint64_t>(now.count()));
}

class Sessions : public ::testing::Test {
 protected:
  TestServer server_;
  std::string org_ = server_.state().createOrganisation("riverside", "Riverside School").orThrow().id;

  /// A customer with a password (hashed once per test), a role in org_, signed in.
  std::unique_ptr<client::Client> customer(const std::string& email, Role role) {
    return server_.customerClient(email, org_, role);
  }
  client::HttpResponse login(const std::string& email, const std::string& password, const std::string& totp = {}) {
    client::Client c(server_.url());
    json::object b{{"email", email}, {"password", password}};
    if (!totp.empty()) b["totp"] = totp;
    return c.post("/api/v1/auth/login", json::serialize(b));
  }
};

TEST_F(Sessions, LoginSetsAStrictHttpOnlyCookieAndMutationsByCookieNeedTheCsrfToken) {
  auto r = login(testing::kOperatorEmail, testing::kOperatorPassword);
  ASSERT_EQ(r.status, 200) << r.body;
  auto cookie = r.headers["set-cookie"];
  EXPECT_NE(cookie.find("fedihost_session="), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos) << cookie;
  EXPECT_EQ(cookie.find("Secure"), std::string::npos) << "plain HTTP on loopback: " << cookie;
  auto token = str(body(r), "token");
  auto csrf = str(body(r), "csrfToken");
  std::map<std::string, std::string> byCookie{{"cookie", "theme=dark; fedihost_session=" + token}};

  client::Client c(server_.url());
  auto me = c.request("GET", "/api/v1/auth/me", "", byCookie);
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(str(body(me), "csrfToken"), csrf);

  const std::string create = R"({"name":"other","displayName":"Other"})";
  EXPECT_EQ(c.request("POST", "/api/v1/organisations", create, byCookie).status, 403);
  auto wrong = byCookie;
  wrong["x-csrf-token"] = csrf.substr(1) + "0";
  EXPECT_EQ(c.request("POST", "/api/v1/organisations", create, wrong).status, 403);
  auto right = byCookie;
  right["x-csrf-token"] = csrf;
  EXPECT_EQ(c.request("POST", "/api/v1/organisations", create, right).status, 201);
  // A bearer token is not sent by a browser on its own: no CSRF token needed.
  c.setToken(token);
  EXPECT_EQ(c.post("/api/v1/organisations", R"({"name":"third"})").status, 201);
}

TEST_F(Sessions, LogoutRevokesAtOnceAndLogoutAllKeepsApiTokens) {
  auto a = server_.operatorClient();
  auto b = server_.operatorClient();
  auto tok = a->post("/api/v1/tokens", R"({"name":"ci","scopes":["read"]})");
  ASSERT_EQ(tok.status, 201) << tok.body;
  client::Client api(server_.url(), str(body(tok), "token"));

  EXPECT_EQ(a->post("/api/v1/auth/logout", "").status, 204);
  EXPECT_EQ(a->get("/api/v1/auth/me").status, 401);
  EXPECT_EQ(b->get("/api/v1/auth/me").status, 200);
  auto c = server_.operatorClient();
  EXPECT_EQ(c->post("/api/v1/auth/logout-all", "").status, 204);
  EXPECT_EQ(b->get("/api/v1/auth/me").status, 401);
  EXPECT_EQ(c->get("/api/v1/auth/me").status, 401);
  EXPECT_EQ(api.get("/api/v1/auth/me").status, 200);  // API tokens are revoked one by one
}

TEST_F(Sessions, IdleAndAbsoluteExpiryEndASession) {
  auto idle = customer("idle@example.test", Role::Viewer);
  auto old = customer("old@example.test", Role::Viewer);
  ASSERT_EQ(idle->get("/api/v1/auth/me").status, 200);
  auto& db = server_.state().connection();
  db.execute("UPDATE sessions SET last_used_at = '2020-01-01T00:00:00.000Z' WHERE user_id = "
             "(SELECT id FROM users WHERE email = 'idle@example.test')");
  db.execute("UPDATE sessions SET expires_at = '2020-01-01T00:00:00.000Z' WHERE user_id = "
             "(SELECT id FROM users WHERE email = 'old@example.test')");
  auto r = idle->get("/api/v1/auth/me");
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("without use"), std::string::npos) << r.body;
  r = old->get("/api/v1/auth/me");
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("expired"), std::string::npos) << r.body;
}

TEST_F(Sessions, TokensHaveScopesAnExpiryAndAnOrganisation) {
  auto admin = customer("admin@example.test", Role::OrgAdmin);
  auto other = server_.state().createOrganisation("elsewhere", "Elsewhere").orThrow().id;
  server_.accounts().setGrant(server_.accounts().findUserByEmail("admin@example.test")->first.id, other, Role::OrgAdmin);

  auto r = admin->post("/api/v1/tokens",
                       json::serialize(json::object{{"name", "reader"}, {"scopes", {"read"}}, {"organisation", org_}}));
  ASSERT_EQ(r.status, 201) << r.body;
  auto created = body(r);
  EXPECT_TRUE(created.contains("token"));
  client::Client reader(server_.url(), str(created, "token"));
  auto orgs = body(reader.get("/api/v1/organisations"));
  ASSERT_EQ(orgs.at("items").as_array().size(), 1u) << json::serialize(orgs);
  EXPECT_EQ(str(orgs.at("items").at(0).as_object(), "id"), org_);
  EXPECT_EQ(reader.get("/api/v1/organisations/" + other).status, 404);
  EXPECT_EQ(reader.post("/api/v1/organisations/" + org_ + "/deployments", "{}").status, 403);

  // Listed without the secret, with when it was last used; revoked by its owner.
  auto list = body(admin->get("/api/v1/tokens"));
  ASSERT_EQ(list.at("items").as_array().size(), 1u);
  EXPECT_FALSE(list.at("items").at(0).as_object().contains("token"));
  EXPECT_FALSE(list.at("items").at(0).at("lastUsedAt").is_null());
  EXPECT_EQ(admin->request("DELETE", "/api/v1/tokens/" + str(created, "id")).status, 204);
  EXPECT_EQ(reader.get("/api/v1/organisations").status, 401);

  // Bad input names its field; an expired token is refused.
  auto bad = admin->post("/api/v1/tokens", R"({"name":"x","scopes":["root"]})");
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(str(body(bad), "field"), "scopes[0]");
  auto past = admin->post("/api/v1/tokens", R"({"name":"x","scopes":["read"],"expiresAt":"2020-01-01T00:00:00Z"})");
  EXPECT_EQ(past.status, 422);
  auto soon = body(admin->post("/api/v1/tokens", R"({"name":"x","scopes":["read"],"expiresAt":"2099-01-01T00:00:00Z"})"));
  server_.state().connection().execute("UPDATE sessions SET expires_at = '2020-01-01T00:00:00Z' WHERE id = ?1",
                                        {str(soon, "id")});
  EXPECT_EQ(client::Client(server_.url(), str(soon, "token")).get("/api/v1/auth/me").status, 401);
}

TEST_F(Sessions, SecondFactorWithTotpAndRecoveryCodes) {
  auto op = server_.operatorClient();
  auto setup = body(op->post("/api/v1/auth/totp", ""));
  auto secret = str(setup, "secret");
  EXPECT_EQ(str(setup, "uri").rfind("otpauth://totp/", 0), 0u);
  EXPECT_EQ(op->post("/api/v1/auth/totp/confirm", R"({"code":"000000"})").status, 422);
  auto used = totpNow(secret);
  auto confirmed = op->post("/api/v1/auth/totp/confirm", json::serialize(json::object{{"code", used}}));
  ASSERT_EQ(confirmed.status, 200) << confirmed.body;
  auto codes = body(confirmed).at("recoveryCodes").as_array();
  ASSERT_EQ(codes.size(), 10u);

  auto r = login(testing::kOperatorEmail, testing::kOperatorPassword);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(str(body(r), "totp"), "required");
  r = login(testing::kOperatorEmail, testing::kOperatorPassword, "123456");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(str(body(r), "totp"), "invalid");
  // The code was used when confirming: the same code is refused (no replay).
  r = login(testing::kOperatorEmail, testing::kOperatorPassword, used);
  EXPECT_EQ(r.status, 401) << r.body;
  std::string code(codes.at(0).as_string());
  EXPECT_EQ(login(testing::kOperatorEmail, testing::kOperatorPassword, code).status, 200);
  EXPECT_EQ(login(testing::kOperatorEmail, testing::kOperatorPassword, code).status, 401);  // each code once
  EXPECT_EQ(body(op->get("/api/v1/auth/me")).at("recoveryCodesLeft").as_int64(), 9);
}

TEST_F(Sessions, AnOrganisationCanRequireASecondFactorOfItsMembers) {
  auto member = customer("member@example.test", Role::Member);
  ASSERT_EQ(member->get("/api/v1/organisations/" + org_).status, 200);
  server_.state().updateOrganisation(org_, std::nullopt, true).orThrow();
  auto r = member->get("/api/v1/organisations/" + org_);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(str(body(r), "totp"), "setup-required");
  EXPECT_EQ(member->get("/api/v1/auth/me").status, 200);  // she can still set it up
}

TEST_F(Sessions, ThrottlingAnswers429WithRetryAfter) {
  for (int i = 0; i < 6; ++i) EXPECT_EQ(login("nobody@example.test", "wrong password " + std::to_string(i)).status, 401);
  auto r = login("nobody@example.test", "another wrong one");
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_FALSE(r.headers["retry-after"].empty());
  // Another account from the same address is not throttled yet (the address allows more failures).
  EXPECT_EQ(login(testing::kOperatorEmail, testing::kOperatorPassword).status, 200);
}

TEST_F(Sessions, UnknownAndKnownAddressesGetTheSameAnswer) {
  auto a = login("nobody@example.test", "some password");
  auto b = login(testing::kOperatorEmail, "some password");
  EXPECT_EQ(a.status, 401);
  EXPECT_EQ(a.body, b.body);
}

TEST_F(Sessions, DisablingAnAccountStopsItsSessionsAndTokensAtOnce) {
  auto viewer = customer("viewer@example.test", Role::Viewer);
  auto id = server_.accounts().findUserByEmail("viewer@example.test")->first.id;
  ASSERT_EQ(viewer->get("/api/v1/auth/me").status, 200);
  auto op = server_.operatorClient();
  EXPECT_EQ(op->post("/api/v1/users/" + id + "/disable", "").status, 200);
  EXPECT_EQ(viewer->get("/api/v1/auth/me").status, 401);
  EXPECT_EQ(login("viewer@example.test", testing::kOperatorPassword).status, 401);
  EXPECT_EQ(op->post("/api/v1/users/" + id + "/enable", "").status, 200);
  EXPECT_EQ(login("viewer@example.test", testing::kOperatorPassword).status, 200);
}

TEST_F(Sessions, PasswordChangeNeedsTheCurrentOneAndSignsOutOtherSessions) {
  auto a = customer("pw@example.test", Role::Viewer);
  auto b = customer("pw@example.test", Role::Viewer);
  auto r = a->post("/api/v1/auth/password", R"({"currentPassword":"not it at all","newPassword":"a new long password"})");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(str(body(r), "field"), "currentPassword");
  r = a->post("/api/v1/auth/password",
              json::serialize(json::object{{"currentPassword", testing::kOperatorPassword},
                                           {"newPassword", "a new long password"}}));
  ASSERT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(a->get("/api/v1/auth/me").status, 200);
  EXPECT_EQ(b->get("/api/v1/auth/me").status, 401);
  EXPECT_EQ(login("pw@example.test", "a new long password").status, 200);
}

TEST_F(Sessions, InvitationsAreSingleUseAndExpire) {
  auto admin = customer("admin@example.test", Role::OrgAdmin);
  auto invite = [&](const std::string& email) {
    auto r = admin->post("/api/v1/organisations/" + org_ + "/invitations",
                         json::serialize(json::object{{"email", email}, {"role", "viewer"}}));
    EXPECT_EQ(r.status, 201) << r.body;
    return body(r);
  };
  auto inv = invite("new@example.test");
  EXPECT_NE(str(inv, "url").find("/invite#token="), std::string::npos);
  EXPECT_FALSE(inv.at("mailed").as_bool());  // no relay configured: the link is shown to the inviter
  client::Client anonymous(server_.url());
  auto seen = body(anonymous.post("/api/v1/invitations/inspect", json::serialize(json::object{{"token", inv.at("token")}})));
  EXPECT_EQ(str(seen.at("organisation").as_object(), "displayName"), "Riverside School");
  EXPECT_FALSE(seen.at("accountExists").as_bool());

  auto accept = json::serialize(json::object{{"token", inv.at("token")}, {"password", "her own long password"}});
  auto r = anonymous.post("/api/v1/invitations/accept", accept);
  ASSERT_EQ(r.status, 200) << r.body;
  client::Client her(server_.url(), str(body(r), "token"));
  auto me = body(her.get("/api/v1/auth/me"));
  ASSERT_EQ(me.at("organisations").as_array().size(), 1u);
  EXPECT_EQ(str(me.at("organisations").at(0).as_object(), "role"), "viewer");
  EXPECT_EQ(anonymous.post("/api/v1/invitations/accept", accept).status, 422);  // single use

  auto late = invite("late@example.test");
  server_.state().connection().execute("UPDATE invitations SET expires_at = '2020-01-01T00:00:00.000Z' WHERE id = ?1",
                                       {str(late, "id")});
  EXPECT_EQ(anonymous.post("/api/v1/invitations/accept",
                           json::serialize(json::object{{"token", late.at("token")}, {"password", "long enough pw"}}))
                .status,
            422);
  auto revoked = invite("revoked@example.test");
  EXPECT_EQ(admin->request("DELETE", "/api/v1/organisations/" + org_ + "/invitations/" + str(revoked, "id")).status, 204);
  EXPECT_EQ(anonymous.post("/api/v1/invitations/accept",
                           json::serialize(json::object{{"token", revoked.at("token")}, {"password", "long enough pw"}}))
                .status,
            422);
  // The last org-admin cannot leave.
  auto adminId = server_.accounts().findUserByEmail("admin@example.test")->first.id;
  EXPECT_EQ(admin->request("DELETE", "/api/v1/organisations/" + org_ + "/members/" + adminId).status, 409);
}

TEST_F(Sessions, UnauthenticatedRequestsWriteNothing) {
  client::Client anonymous(server_.url());
  for (int i = 0; i < 20; ++i) EXPECT_EQ(anonymous.post("/api/v1/organisations", R"({"name":"x"})").status, 401);
  auto rows = store::connect(server_.dataDir().accountingUrl())->queryOne("SELECT count(*) FROM audit_log");
  EXPECT_EQ(rows->integer(0), 0);
  EXPECT_GE(server_.dispatcher().refusedUnauthenticated(), 20u);
}

}  // namespace
}  // namespace fedihost
