// api::parseRequest: the server's reading of a request from raw bytes.
#include <gtest/gtest.h>

#include "api/server.hh"

namespace fedihost::api {
namespace {

TEST(RequestParsingTest, AWellFramedRequestBecomesOurRequest) {
  auto r = parseRequest(
      "POST /api/v1/deployments/dep_1/plan?limit=5&cursor=a%20b HTTP/1.1\r\nHost: x\r\n"
      "Content-Type: application/json\r\nX-Mixed-Case: v\r\nContent-Length: 2\r\n\r\n{}");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->method, "POST");
  EXPECT_EQ(r->path, "/api/v1/deployments/dep_1/plan");
  EXPECT_EQ(r->query.at("limit"), "5");
  EXPECT_EQ(r->query.at("cursor"), "a b");
  EXPECT_EQ(r->header("x-mixed-case"), "v");
  EXPECT_EQ(r->body, "{}");

  auto chunked = parseRequest("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
  ASSERT_TRUE(chunked.ok()) << chunked.error().message;
  EXPECT_EQ(chunked->body, "{}");
}

TEST(RequestParsingTest, AmbiguousFramingIsMalformed) {
  for (std::string framing : {"Transfer-Encoding: chunked, identity\r\n", "Transfer-Encoding: gzip\r\n",
                              "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n",
                              "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
                              "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
                              "Transfer-Encoding: identity\r\nContent-Length: 5\r\n",
                              "Transfer-Encoding: chunked, chunked\r\n", "Transfer-Encoding: ,\r\n"}) {
    auto r = parseRequest("POST /x HTTP/1.1\r\nHost: x\r\n" + framing + "\r\n0\r\n\r\n");
    ASSERT_FALSE(r.ok()) << framing;
    EXPECT_EQ(r.error().kind, ErrorKind::Malformed) << framing;
  }
  auto http10 = parseRequest("POST /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  ASSERT_FALSE(http10.ok());
  EXPECT_EQ(http10.error().field, "Transfer-Encoding");
}

TEST(RequestParsingTest, LimitsGiveTheirOwnErrors) {
  ServerOptions o;
  o.headerLimit = 1024;
  o.bodyLimit = 10;
  auto big = parseRequest("GET / HTTP/1.1\r\nX: " + std::string(2000, 'a') + "\r\n\r\n", o);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().kind, ErrorKind::HeadersTooLarge);
  EXPECT_NE(big.error().message.find("1 KiB"), std::string::npos);
  auto body = parseRequest("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n01234567890", o);
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.error().kind, ErrorKind::TooLarge);
  EXPECT_EQ(parseRequest("GET / HTTP/1.1\r\nHost: x\r\n", o).error().kind, ErrorKind::Malformed);  // incomplete
  EXPECT_EQ(parseRequest("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab", o).error().kind, ErrorKind::Malformed);
  EXPECT_EQ(parseRequest("", o).error().kind, ErrorKind::Malformed);
  EXPECT_EQ(parseRequest("NOT HTTP\r\n\r\n", o).error().kind, ErrorKind::Malformed);
}

}  // namespace
}  // namespace fedihost::api
