#include "providers/s3/s3_client.hh"

#include <openssl/evp.h>

#include <charconv>

#include "providers/attributes.hh"
#include "providers/s3/sigv4.hh"

namespace fedihost::providers::s3 {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

/// One element found in a document: the whole of it and what is between its tags.
struct Element {
  std::string_view outer;
  std::string_view inner;
};

std::vector<Element> findElements(std::string_view xml, std::string_view tag) {
  std::vector<Element> out;
  const std::string open = "<" + std::string(tag);
  const std::string close = "</" + std::string(tag) + ">";
  std::size_t pos = 0;
  while ((pos = xml.find(open, pos)) != std::string_view::npos) {
    const std::size_t after = pos + open.size();
    if (after >= xml.size()) break;
    const char c = xml[after];
    if (c != '>' && c != '/' && c != ' ' && c != '\t' && c != '\n' && c != '\r') {  // <Grant> is not <Grantee>
      pos = after;
      continue;
    }
    const auto gt = xml.find('>', after);
    if (gt == std::string_view::npos) break;
    if (xml[gt - 1] == '/') {  // <tag/>
      out.push_back({xml.substr(pos, gt + 1 - pos), {}});
      pos = gt + 1;
      continue;
    }
    const auto end = xml.find(close, gt + 1);
    if (end == std::string_view::npos) break;
    out.push_back({xml.substr(pos, end + close.size() - pos), xml.substr(gt + 1, end - gt - 1)});
    pos = end + close.size();
  }
  return out;
}

std::string firstElement(std::string_view xml, std::string_view tag) {
  auto all = xmlElements(xml, tag);
  return all.empty() ? std::string{} : all.front();
}

/// A whole non-negative decimal number, or nothing.
std::optional<std::int64_t> parseSize(std::string_view text) {
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || n < 0) return std::nullopt;
  return n;
}

std::string unquote(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return std::string(etag);
}

}  // namespace

// ---- XML ----

std::vector<std::string> xmlElements(std::string_view xml, std::string_view tag) {
  std::vector<std::string> out;
  for (auto& e : findElements(xml, tag)) out.push_back(xmlUnescape(e.inner));
  return out;
}

std::vector<std::string> xmlRawElements(std::string_view xml, std::string_view tag) {
  std::vector<std::string> out;
  for (auto& e : findElements(xml, tag)) out.emplace_back(e.outer);
  return out;
}

std::string xmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string xmlUnescape(std::string_view text) {
  static const std::pair<std::string_view, char> entities[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    bool done = false;
    if (text[i] == '&') {
      for (auto& [e, c] : entities)
        if (text.substr(i, e.size()) == e) {
          out += c;
          i += e.size();
          done = true;
          break;
        }
    }
    if (!done) out += text[i++];
  }
  return out;
}

std::string md5Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &n, EVP_md5(), nullptr) != 1)
    throw AbortError({ErrorKind::Internal, "MD5 is not available from OpenSSL", {}});
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

std::string errorCode(const net::HttpResponse& response) { return firstElement(response.body, "Code"); }

// ---- ACL ----

Result<BucketAcl> BucketAcl::parse(std::string_view xml) {
  auto owners = findElements(xml, "Owner");
  if (owners.empty()) return Error{ErrorKind::Provider, "GetBucketAcl answered without an <Owner>", {}};
  BucketAcl acl;
  acl.ownerId = firstElement(owners.front().inner, "ID");
  acl.ownerDisplayName = firstElement(owners.front().inner, "DisplayName");
  for (auto& g : findElements(xml, "Grant")) {
    auto grantees = findElements(g.inner, "Grantee");
    if (grantees.empty()) continue;
    AclGrant grant;
    grant.granteeXml = std::string(grantees.front().outer);
    const bool canonical = grant.granteeXml.find("\"CanonicalUser\"") != std::string::npos;
    if (canonical) grant.id = firstElement(grantees.front().inner, "ID");
    grant.permission = firstElement(g.inner, "Permission");
    acl.grants.push_back(std::move(grant));
  }
  return acl;
}

std::string BucketAcl::toXml() const {
  std::string x = "<AccessControlPolicy xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Owner><ID>" +
                  xmlEscape(ownerId) + "</ID>";
  if (!ownerDisplayName.empty()) x += "<DisplayName>" + xmlEscape(ownerDisplayName) + "</DisplayName>";
  x += "</Owner><AccessControlList>";
  for (auto& g : grants) x += "<Grant>" + g.granteeXml + "<Permission>" + xmlEscape(g.permission) + "</Permission></Grant>";
  x += "</AccessControlList></AccessControlPolicy>";
  return x;
}

bool BucketAcl::has(std::string_view id, std::string_view permission) const {
  for (auto& g : grants)
    if (g.id == id && g.permission == permission) return true;
  return false;
}

bool BucketAcl::grant(const std::string& id, const std::string& permission) {
  if (has(id, permission)) return false;
  grants.push_back({"<Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\"><ID>" +
                        xmlEscape(id) + "</ID></Grantee>",
                    id, permission});
  return true;
}

bool BucketAcl::revokeAll(std::string_view id) {
  auto before = grants.size();
  std::erase_if(grants, [&](const AclGrant& g) { return g.id == id; });
  return grants.size() != before;
}

// ---- settings ----

S3Settings S3Settings::fromSettings(const json::object& settings) {
  Settings s(settings);
  S3Settings out;
  out.endpoint = s.string("endpoint");
  if (!out.endpoint.starts_with("http://") && !out.endpoint.starts_with("https://"))
    throw AbortError(Error::invalid("settings.endpoint", "must be an http:// or https:// URL, e.g. http://127.0.0.1:8080"));
  while (out.endpoint.ends_with("/")) out.endpoint.pop_back();
  out.region = s.string("region", "us-east-1");
  out.accessKeyId = s.string("accessKeyId");
  out.secretAccessKey = s.string("secretAccessKey");
  out.pathStyle = s.boolean("pathStyle", true);
  out.timeout = s.timeout();
  out.listMaxKeys = static_cast<int>(s.integer("listMaxKeys", 1000));
  if (out.listMaxKeys < 1 || out.listMaxKeys > 1000)
    throw AbortError(Error::invalid("settings.listMaxKeys", "must be 1 to 1000 (objects per page of a listing)"));
  return out;
}

// ---- client ----

S3Client::S3Client(S3Settings settings) : settings_(std::move(settings)) {
  auto schemeEnd = settings_.endpoint.find("://");
  scheme_ = settings_.endpoint.substr(0, schemeEnd);
  auto rest = settings_.endpoint.substr(schemeEnd + 3);
  auto slash = rest.find('/');
  hostPort_ = rest.substr(0, slash);
  basePath_ = slash == std::string::npos ? "" : rest.substr(slash);
}

Result<net::HttpResponse> S3Client::send(std::string_view method, std::string_view bucket, std::string_view key,
                                         Pairs query, std::string body, Pairs headers, bool closeConnection) const {
  std::string host = hostPort_;
  std::string path = basePath_;
  if (!bucket.empty()) {
    if (settings_.pathStyle)
      path += "/" + std::string(bucket);
    else
      host = std::string(bucket) + "." + hostPort_;
  }
  path += "/" + std::string(key);
  if (!bucket.empty() && key.empty() && settings_.pathStyle) path.pop_back();  // "/bucket", not "/bucket/"

  const auto now = sigv4::amzDate(std::chrono::system_clock::now());
  const auto payloadHash = sigv4::sha256Hex(body);
  headers.emplace_back("Host", host);
  headers.emplace_back("x-amz-date", now);
  headers.emplace_back("x-amz-content-sha256", payloadHash);
  sigv4::Request toSign{std::string(method), path, query, headers, payloadHash};
  auto sig = sigv4::sign(toSign, {settings_.accessKeyId, settings_.secretAccessKey},
                         {now, settings_.region, "s3", /*normalizePath=*/false});

  net::HttpRequest req;
  req.method = std::string(method);
  req.url = scheme_ + "://" + host + sigv4::canonicalUri(path, false);
  if (!query.empty()) req.url += "?" + sigv4::canonicalQuery(query);
  req.headers = std::move(headers);
  req.headers.emplace_back("Authorization", sig.authorization);
  if (closeConnection) req.headers.emplace_back("Connection", "close");
  req.body = std::move(body);
  req.timeout = settings_.timeout;
  return net::send(req);
}

Error S3Client::error(const net::HttpResponse& response) const {
  return net::statusError("S3 at " + settings_.endpoint, response);
}

Result<bool> S3Client::bucketExists(std::string_view bucket) const {
  auto r = send("HEAD", bucket);
  if (!r) return r.error();
  if (r->status == 404) return false;
  if (!net::ok(*r)) return error(*r);
  return true;
}

Result<bool> S3Client::createBucket(std::string_view bucket) const {
  std::string body;
  Pairs headers;
  if (settings_.region != "us-east-1") {
    body = "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>" +
           xmlEscape(settings_.region) + "</LocationConstraint></CreateBucketConfiguration>";
    headers.emplace_back("Content-Type", "application/xml");
  }
  auto r = send("PUT", bucket, {}, {}, std::move(body), std::move(headers));
  if (!r) return r.error();
  if (net::ok(*r)) return true;
  const auto code = errorCode(*r);
  if (code == "BucketAlreadyOwnedByYou") return false;
  if (code == "BucketAlreadyExists")
    return Error::conflict("bucket \"" + std::string(bucket) + "\" exists at " + settings_.endpoint +
                           " and belongs to someone else");
  return error(*r);
}

Result<void> S3Client::deleteBucket(std::string_view bucket) const {
  auto r = send("DELETE", bucket);
  if (!r) return r.error();
  if (net::ok(*r) || r->status == 404) return {};
  return error(*r);
}

Result<std::vector<std::string>> S3Client::listBuckets() const {
  auto r = send("GET", "");
  if (!r) return r.error();
  if (!net::ok(*r)) return error(*r);
  std::vector<std::string> names;
  for (auto& b : findElements(r->body, "Bucket")) names.push_back(firstElement(b.inner, "Name"));
  return names;
}

Result<std::string> S3Client::bucketVersioning(std::string_view bucket) const {
  auto r = send("GET", bucket, {}, {{"versioning", ""}});
  if (!r) return r.error();
  if (!net::ok(*r)) return error(*r);
  return firstElement(r->body, "Status");
}

Result<void> S3Client::setBucketVersioning(std::string_view bucket, bool enabled) const {
  std::string body = std::string("<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Status>") +
                     (enabled ? "Enabled" : "Suspended") + "</Status></VersioningConfiguration>";
  auto r = send("PUT", bucket, {}, {{"versioning", ""}}, std::move(body), {{"Content-Type", "application/xml"}});
  if (!r) return r.error();
  if (!net::ok(*r)) return error(*r);
  return {};
}

Result<std::map<std::string, std::string>> S3Client::bucketTagging(std::string_view bucket) const {
  auto r = send("GET", bucket, {}, {{"tagging", ""}});
  if (!r) return r.error();
  std::map<std::string, std::string> tags;
  if (r->status == 404 && errorCode(*r) == "NoSuchTagSet") return tags;
  if (!net::ok(*r)) return error(*r);
  for (auto& t : findElements(r->body, "Tag")) tags[firstElement(t.inner, "Key")] = firstElement(t.inner, "Value");
  return tags;
}

Result<bool> S3Client::setBucketTagging(std::string_view bucket, const std::map<std::string, std::string>& tags) const {
  std::string body = "<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet>";
  for (auto& [k, v] : tags) body += "<Tag><Key>" + xmlEscape(k) + "</Key><Value>" + xmlEscape(v) + "</Value></Tag>";
  body += "</TagSet></Tagging>";
  auto r = send("PUT", bucket, {}, {{"tagging", ""}}, std::move(body), {{"Content-Type", "application/xml"}});
  if (!r) return r.error();
  if (r->status == 501 || errorCode(*r) == "NotImplemented") return false;
  if (!net::ok(*r)) return error(*r);
  return true;
}

Result<BucketAcl> S3Client::bucketAcl(std::string_view bucket) const {
  auto r = send("GET", bucket, {}, {{"acl", ""}});
  if (!r) return r.error();
  if (!net::ok(*r)) return error(*r);
  return BucketAcl::parse(r->body);
}

Result<void> S3Client::setBucketAcl(std::string_view bucket, const BucketAcl& acl) const {
  auto r = send("PUT", bucket, {}, {{"acl", ""}}, acl.toXml(), {{"Content-Type", "application/xml"}});
  if (!r) return r.error();
  if (!net::ok(*r)) return error(*r);
  return {};
}

Result<void> S3Client::putObject(std::string_view bucket, std::string_view key, std::string body,
                                 std::string contentType) const {
  auto r = send("PUT", bucket, key, {}, std::move(body), {{"Content-Type", std::move(contentType)}});
  if (!r) return r.error();
  if (!net::ok(*r)) return error(*r);
  return {};
}

Result<std::string> S3Client::getObject(std::string_view bucket, std::string_view key) const {
  auto r = send("GET", bucket, key);
  if (!r) return r.error();
  if (!net::ok(*r)) return error(*r);
  return std::move(r->body);
}

Result<void> S3Client::putObject(std::string_view bucket, std::string_view key, std::string body,
                                 std::string contentType,
                                 const std::vector<std::pair<std::string, std::string>>& headers) const {
  Pairs all{{"Content-Type", std::move(contentType)}};
  for (auto& h : headers) all.push_back(h);
  auto r = send("PUT", bucket, key, {}, std::move(body), std::move(all));
  if (!r) return r.error();
  if (!net::ok(*r)) return error(*r);
  return {};
}

Result<net::HttpResponse> S3Client::getObjectWithHeaders(std::string_view bucket, std::string_view key) const {
  auto r = send("GET", bucket, key);
  if (!r) return r.error();
  if (!net::ok(*r)) return error(*r);
  return std::move(*r);
}

Result<void> S3Client::deleteObject(std::string_view bucket, std::string_view key) const {
  auto r = send("DELETE", bucket, key);
  if (!r) return r.error();
  if (r->status == 404) return {};
  if (!net::ok(*r)) return error(*r);
  return {};
}

Result<std::vector<std::string>> S3Client::listObjects(std::string_view bucket) const {
  std::vector<std::string> keys;
  std::string marker;
  for (;;) {
    Pairs query{{"max-keys", "1000"}};
    if (!marker.empty()) query.emplace_back("marker", marker);
    auto r = send("GET", bucket, "", query);
    if (!r) return r.error();
    if (!net::ok(*r)) return error(*r);
    auto contents = xmlRawElements(r->body, "Contents");
    for (auto& c : contents) {
      auto k = xmlElements(c, "Key");
      if (k.size() != 1) return Error{ErrorKind::Provider, "S3 at " + settings_.endpoint + ": a listed object has no key", {}};
      keys.push_back(std::move(k.front()));
    }
    auto truncated = xmlElements(r->body, "IsTruncated");
    if (truncated.empty() || truncated.front() != "true") break;
    if (contents.empty())
      return Error{ErrorKind::Provider, "S3 at " + settings_.endpoint + ": a truncated listing without objects", {}};
    auto next = xmlElements(r->body, "NextMarker");
    marker = next.empty() ? keys.back() : next.front();
  }
  return keys;
}

Result<void> S3Client::forEachObject(std::string_view bucket, std::string_view prefix,
                                     const std::function<void(ListedObject&&)>& each) const {
  std::string token;
  auto bad = [&](const std::string& what) {
    return Error{ErrorKind::Provider, "S3 at " + settings_.endpoint + ": ListObjectsV2 of " + std::string(bucket) + ": " + what, {}};
  };
  for (;;) {
    Pairs query{{"list-type", "2"}, {"max-keys", std::to_string(settings_.listMaxKeys)}};
    if (!prefix.empty()) query.emplace_back("prefix", std::string(prefix));
    if (!token.empty()) query.emplace_back("continuation-token", token);
    auto r = send("GET", bucket, "", query);
    if (!r) return r.error();
    if (!net::ok(*r)) return error(*r);
    if (xmlElements(r->body, "ListBucketResult").empty()) return bad("the answer is not a ListBucketResult");
    for (auto& c : xmlRawElements(r->body, "Contents")) {
      auto sizes = xmlElements(c, "Size");
      if (sizes.size() != 1) return bad("a listed object has no size");
      auto n = parseSize(sizes.front());
      if (!n) return bad("a listed object's size is not a number: " + sizes.front());
      each({firstElement(c, "Key"), *n, firstElement(c, "ETag")});
    }
    auto truncated = xmlElements(r->body, "IsTruncated");
    if (truncated.empty() || truncated.front() != "true") break;
    auto next = xmlElements(r->body, "NextContinuationToken");
    if (next.empty() || next.front().empty()) return bad("a truncated page without a NextContinuationToken");
    if (next.front() == token) return bad("the same continuation token twice");
    token = next.front();
  }
  return {};
}

Result<StoredSize> S3Client::storedSize(std::string_view bucket) const {
  StoredSize size;
  auto ok = forEachObject(bucket, "", [&](ListedObject&& o) {
    size.bytes += o.size;
    ++size.objects;
  });
  if (!ok) return ok.error();
  return size;
}

Result<std::vector<ListedObject>> S3Client::listObjectsV2(std::string_view bucket, std::string_view prefix) const {
  std::vector<ListedObject> out;
  auto ok = forEachObject(bucket, prefix, [&](ListedObject&& o) { out.push_back(std::move(o)); });
  if (!ok) return ok.error();
  return out;
}

Result<ObjectInfo> S3Client::headObject(std::string_view bucket, std::string_view key) const {
  auto r = send("HEAD", bucket, key);
  if (!r) return r.error();
  if (r->status == 404)
    return Error::notFound("no object " + std::string(key) + " in bucket " + std::string(bucket) + " at " + settings_.endpoint);
  if (!net::ok(*r)) return error(*r);
  auto length = r->headers.find("content-length");
  auto n = length == r->headers.end() ? std::nullopt : parseSize(length->second);
  if (!n)
    return Error{ErrorKind::Provider, "S3 at " + settings_.endpoint + ": HeadObject of " + std::string(key) +
                                          " answered without a Content-Length", {}};
  auto etag = r->headers.find("etag");
  return ObjectInfo{*n, etag == r->headers.end() ? std::string() : etag->second};
}

Result<std::string> S3Client::getObjectRange(std::string_view bucket, std::string_view key, std::int64_t first,
                                             std::int64_t last) const {
  auto r = send("GET", bucket, key, {}, {}, {{"Range", "bytes=" + std::to_string(first) + "-" + std::to_string(last)}});
  if (!r) return r.error();
  if (!net::ok(*r)) return error(*r);
  const auto want = static_cast<std::size_t>(last - first + 1);
  if ((r->status != 206 && !(r->status == 200 && first == 0)) || r->body.size() != want)
    return Error{ErrorKind::Provider, "S3 at " + settings_.endpoint + ": GetObject of " + std::string(key) + " bytes " +
                                          std::to_string(first) + "-" + std::to_string(last) + " answered " +
                                          std::to_string(r->status) + " with " + std::to_string(r->body.size()) +
                                          " bytes", {}};
  return std::move(r->body);
}

Result<std::string> S3Client::createMultipartUpload(std::string_view bucket, std::string_view key,
                                                    std::string contentType) const {
  auto r = send("POST", bucket, key, {{"uploads", ""}}, {}, {{"Content-Type", std::move(contentType)}});
  if (!r) return r.error();
  if (!net::ok(*r)) return error(*r);
  auto id = firstElement(r->body, "UploadId");
  if (id.empty())
    return Error{ErrorKind::Provider, "S3 at " + settings_.endpoint + ": CreateMultipartUpload of " + std::string(key) +
                                          " answered without an UploadId", {}};
  return id;
}

Result<std::string> S3Client::uploadPart(std::string_view bucket, std::string_view key, std::string_view uploadId,
                                         int partNumber, std::string body) const {
  const auto md5 = md5Hex(body);
  auto r = send("PUT", bucket, key, {{"partNumber", std::to_string(partNumber)}, {"uploadId", std::string(uploadId)}},
                std::move(body));
  if (!r) return r.error();
  if (!net::ok(*r)) return error(*r);
  auto etag = r->headers.find("etag");
  if (etag == r->headers.end() || unquote(etag->second) != md5)
    return Error{ErrorKind::Provider, "S3 at " + settings_.endpoint + ": UploadPart " + std::to_string(partNumber) +
                                          " of " + std::string(key) + " answered ETag " +
                                          (etag == r->headers.end() ? "(none)" : etag->second) +
                                          ", not the MD5 of the bytes sent (" + md5 + ")", {}};
  return etag->second;
}

Result<std::string> S3Client::completeMultipartUpload(std::string_view bucket, std::string_view key,
                                                      std::string_view uploadId,
                                                      const std::vector<std::pair<int, std::string>>& parts) const {
  std::string body = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (auto& [n, etag] : parts)
    body += "<Part><PartNumber>" + std::to_string(n) + "</PartNumber><ETag>" + xmlEscape(etag) + "</ETag></Part>";
  body += "</CompleteMultipartUpload>";
  auto r = send("POST", bucket, key, {{"uploadId", std::string(uploadId)}}, std::move(body),
                {{"Content-Type", "application/xml"}});
  if (!r) return r.error();
  if (!net::ok(*r) || !xmlElements(r->body, "Error").empty()) {
    if (net::ok(*r)) r->status = 500;  // an error document in a 200: the completion failed
    return error(*r);
  }
  auto etag = firstElement(r->body, "ETag");
  if (etag.empty())
    return Error{ErrorKind::Provider, "S3 at " + settings_.endpoint + ": CompleteMultipartUpload of " +
                                          std::string(key) + " answered without an ETag", {}};
  return etag;
}

Result<void> S3Client::abortMultipartUpload(std::string_view bucket, std::string_view key,
                                            std::string_view uploadId) const {
  auto r = send("DELETE", bucket, key, {{"uploadId", std::string(uploadId)}});
  if (!r) return r.error();
  if (net::ok(*r) || errorCode(*r) == "NoSuchUpload") return {};
  return error(*r);
}

Result<std::vector<PendingUpload>> S3Client::listMultipartUploads(std::string_view bucket,
                                                                  std::string_view prefix) const {
  std::vector<PendingUpload> out;
  std::string keyMarker, idMarker;
  for (;;) {
    Pairs query{{"uploads", ""}, {"prefix", std::string(prefix)}};
    if (!keyMarker.empty()) query.emplace_back("key-marker", keyMarker);
    if (!idMarker.empty()) query.emplace_back("upload-id-marker", idMarker);
    auto r = send("GET", bucket, "", query);
    if (!r) return r.error();
    if (!net::ok(*r)) return error(*r);
    for (auto& u : findElements(r->body, "Upload"))
      out.push_back({firstElement(u.inner, "Key"), firstElement(u.inner, "UploadId")});
    auto truncated = xmlElements(r->body, "IsTruncated");
    if (truncated.empty() || truncated.front() != "true") break;
    auto nextKey = firstElement(r->body, "NextKeyMarker");
    auto nextId = firstElement(r->body, "NextUploadIdMarker");
    if (nextKey == keyMarker && nextId == idMarker)
      return Error{ErrorKind::Provider, "S3 at " + settings_.endpoint + ": ListMultipartUploads repeated its markers", {}};
    keyMarker = nextKey;
    idMarker = nextId;
  }
  return out;
}

}  // namespace fedihost::providers::s3
