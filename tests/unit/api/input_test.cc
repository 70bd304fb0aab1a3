#include "api/input.hh"

#include <gtest/gtest.h>

#include "api/problem.hh"

namespace fedihost::api {
namespace {

TEST(InputTest, DomainsFollowDnsRules) {
  for (auto ok : {"social.example.test", "a.b.c.example.org", "xn--bcher-kva.example", "a-b.example.org"})
    EXPECT_TRUE(input::checkDomain(ok, "domain").ok()) << ok;
  for (auto bad : {"", "localhost", "Social.example.test", "social..example.test", ".example.test", "example.test.",
                   "-a.example.test", "a-.example.test", "a_b.example.test", "example.123", "sp ace.example.test"}) {
    auto r = input::checkDomain(bad, "domain");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().field, "domain");
    EXPECT_EQ(r.error().kind, ErrorKind::Invalid);
  }
  EXPECT_FALSE(input::checkDomain(std::string(64, 'a') + ".example.test", "domain").ok());
}

TEST(InputTest, DeploymentNamesAreShortLabels) {
  EXPECT_TRUE(input::checkDeploymentName("social", "name").ok());
  EXPECT_TRUE(input::checkDeploymentName("a", "name").ok());
  for (auto bad : {"", "Social", "-social", "social-", "so cial", "sòcial"})
    EXPECT_FALSE(input::checkDeploymentName(bad, "name").ok()) << bad;
  EXPECT_FALSE(input::checkDeploymentName(std::string(33, 'a'), "name").ok());
}

TEST(InputTest, OrganisationNamesCountCharactersNotBytes) {
  std::string hundredEacute;
  for (int i = 0; i < 100; ++i) hundredEacute += "\xc3\xa9";
  EXPECT_TRUE(input::checkOrganisationName(hundredEacute, "name").ok());
  EXPECT_FALSE(input::checkOrganisationName(hundredEacute + "e", "name").ok());
  EXPECT_FALSE(input::checkOrganisationName("   ", "name").ok());
  EXPECT_FALSE(input::checkOrganisationName("tab\there", "name").ok());
}

TEST(InputTest, BodiesMustBeJsonObjects) {
  Request r;
  r.headers["content-type"] = "application/json";
  r.body = "[1]";
  EXPECT_EQ(input::jsonBody(r).error().kind, ErrorKind::Malformed);
  r.body = "{\"a\":1}";
  EXPECT_TRUE(input::jsonBody(r).ok());
  r.headers["content-type"] = "text/plain";
  EXPECT_EQ(input::jsonBody(r).error().kind, ErrorKind::UnsupportedMediaType);
}

Request jsonRequest(std::string body) {
  Request r;
  r.headers["content-type"] = "application/json";
  r.body = std::move(body);
  return r;
}

TEST(InputTest, DuplicateMembersAreRefusedAnywhereNamingTheirPath) {
  auto duplicate = [](const std::string& body) {
    auto r = input::jsonBody(jsonRequest(body));
    EXPECT_FALSE(r.ok()) << body;
    if (r.ok()) return std::string();
    EXPECT_EQ(r.error().kind, ErrorKind::Invalid) << body;
    EXPECT_EQ(httpStatus(r.error().kind), 422);
    return r.error().field;
  };
  EXPECT_EQ(duplicate(R"({"name":"a","name":"b"})"), "name");
  EXPECT_EQ(duplicate(R"({"name":"a","\u006eame":"b"})"), "name");  // the same name, escaped
  EXPECT_EQ(duplicate(R"({"":1,"":2})"), "");
  EXPECT_EQ(duplicate(R"({"apps":[{"app":"x"},[1,{"a":1}],{"app":"y","settings":{"s":1,"s":2}}]})"),
            "apps[2].settings.s");
  EXPECT_EQ(duplicate(R"({"a":{"b":{"c":1}},"a":2})"), "a");
  auto message = input::jsonBody(jsonRequest(R"({"x":[{"k":1,"k":1}]})")).error().message;
  EXPECT_NE(message.find("\"k\""), std::string::npos) << message;

  // The same name in different objects, or as a value, is fine.
  for (auto ok : {R"({"a":{"a":1},"b":{"a":1},"c":["a","a"],"d":[{"a":1},{"a":2}]})", R"({"a":"a"})", "{}"})
    EXPECT_TRUE(input::jsonBody(jsonRequest(ok)).ok()) << ok;
  // A name split by the parser (long, with escapes) is still compared whole.
  std::string longName(10000, 'n');
  EXPECT_EQ(duplicate("{\"" + longName + "\\n\":1,\"" + longName + "\\n\":2}"), longName + "\n");
  EXPECT_TRUE(input::jsonBody(jsonRequest("{\"" + longName + "\\n\":1,\"" + longName + "\\t\":2}")).ok());
  // Syntax errors stay Malformed.
  EXPECT_EQ(input::jsonBody(jsonRequest(R"({"a":1,"a")")).error().kind, ErrorKind::Malformed);
}

TEST(InputTest, JsonObjectsRefuseUnknownMembers) {
  auto r = input::jsonObject(jsonRequest(R"({"name":"a","colour":"red"})"), {"name", "domain"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Invalid);
  EXPECT_EQ(r.error().field, "colour");
  EXPECT_EQ(r.error().message, "unknown member \"colour\"");
  EXPECT_TRUE(input::jsonObject(jsonRequest(R"({"name":"a"})"), {"name", "domain"}).ok());
  EXPECT_EQ(input::jsonObject(jsonRequest(""), {"name"}).error().kind, ErrorKind::Malformed);
  EXPECT_EQ(input::jsonObject(jsonRequest(R"({"name":1,"name":2})"), {"name"}).error().kind, ErrorKind::Invalid);

  auto empty = input::optionalJsonObject(jsonRequest(""), {"save"});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  EXPECT_EQ(input::optionalJsonObject(jsonRequest(R"({"save":true})"), {"save"})->at("save").as_bool(), true);
  EXPECT_EQ(input::optionalJsonObject(jsonRequest(R"({"plan":"p"})"), {"save"}).error().field, "plan");
  EXPECT_EQ(input::optionalJsonObject(jsonRequest("[]"), {"save"}).error().kind, ErrorKind::Malformed);

  boost::json::object nested{{"first", "192.0.2.1"}, {"lst", "192.0.2.9"}};
  auto checked = input::knownMembers(nested, {"first", "last"}, "reserved[0]");
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.error().field, "reserved[0].lst");
}

TEST(InputTest, IfMatchAndPaging) {
  Request r;
  EXPECT_EQ(input::ifMatchVersion(r).error().kind, ErrorKind::PreconditionRequired);
  r.headers["if-match"] = "\"3\"";
  EXPECT_EQ(input::ifMatchVersion(r).value(), 3);
  r.headers["if-match"] = "W/\"3\"";
  EXPECT_EQ(input::ifMatchVersion(r).error().kind, ErrorKind::Malformed);
  r.query["limit"] = "201";
  EXPECT_EQ(input::paging(r).error().field, "limit");
  r.query["limit"] = "20";
  EXPECT_EQ(input::paging(r).value().limit, 20);
}

TEST(ProblemTest, EveryErrorKindMapsToOneStatusWithAProblemBody) {
  EXPECT_EQ(httpStatus(ErrorKind::Invalid), 422);
  EXPECT_EQ(httpStatus(ErrorKind::Malformed), 400);
  EXPECT_EQ(httpStatus(ErrorKind::Conflict), 409);
  EXPECT_EQ(httpStatus(ErrorKind::PreconditionFailed), 412);
  EXPECT_EQ(httpStatus(ErrorKind::TooLarge), 413);
  auto r = problem(Error::invalid("domain", "bad"));
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.headers.at("content-type"), "application/problem+json");
  auto body = boost::json::parse(r.body).as_object();
  EXPECT_EQ(body.at("field").as_string(), "domain");
  EXPECT_EQ(body.at("detail").as_string(), "bad");
  EXPECT_EQ(body.at("title").as_string(), "Invalid input");
  EXPECT_FALSE(boost::json::parse(problem(Error::notFound("x")).body).as_object().contains("field"));
}

TEST(InputTest, EveryFieldErrorOfTheAppsAtOnce) {
  auto v = boost::json::parse(
      R"([{"app": "mastodon", "settings": {"maxTootChars": 5, "defaultLocale": "English"}},
          {"app": "nosuchapp"}, {"app": "mastodon"}])");
  input::FieldErrors errors;
  auto apps = input::apps(&v, "social.example.test", errors);
  EXPECT_FALSE(apps);
  ASSERT_FALSE(errors.empty());
  auto e = errors.combined();
  EXPECT_EQ(e.field, "apps[0].settings.maxTootChars");
  auto all = fieldErrorsOf(e);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[1].first, "apps[0].settings.defaultLocale");
  EXPECT_EQ(all[2].first, "apps[1].app");
  EXPECT_EQ(all[3].first, "apps[2].app");  // listed twice
  // The problem document lists them all, the first also as field/detail.
  auto body = boost::json::parse(problem(e).body).as_object();
  EXPECT_EQ(body.at("field"), "apps[0].settings.maxTootChars");
  ASSERT_EQ(body.at("errors").as_array().size(), 4u);
  EXPECT_EQ(body.at("errors").as_array()[2].at("field"), "apps[1].app");
  EXPECT_FALSE(body.contains("extra"));
  // The Result form still answers the first error.
  auto first = input::apps(&v, "social.example.test");
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().field, "apps[0].settings.maxTootChars");
}

TEST(InputTest, AOneFieldProblemListsItsFieldToo) {
  auto body = boost::json::parse(problem(Error::invalid("domain", "bad")).body).as_object();
  ASSERT_EQ(body.at("errors").as_array().size(), 1u);
  EXPECT_EQ(body.at("errors").as_array()[0].at("detail"), "bad");
  auto none = boost::json::parse(problem(Error::notFound("gone")).body).as_object();
  EXPECT_FALSE(none.contains("errors"));
}

}  // namespace
}  // namespace fedihost::api
