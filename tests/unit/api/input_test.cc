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

}  // namespace
}  // namespace fedihost::api
