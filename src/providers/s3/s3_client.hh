#pragma once
// A small S3 client for the blob providers: the few bucket and object calls
// they need, signed with our SigV4 signer (sigv4.hh) and sent with net::send
// (a timeout on every call; an unreachable server is Unavailable; a refusal is
// the error net::statusError makes of it, with S3's <Code> and <Message>).
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hh"
#include "net/http.hh"
#include "providers/provider.hh"

namespace fedihost::providers::s3 {

/// Where and as whom the client talks S3.
struct S3Settings {
  std::string endpoint;  ///< "http://127.0.0.1:8080" (may carry a path prefix)
  std::string region = "us-east-1";
  std::string accessKeyId;
  std::string secretAccessKey;
  bool pathStyle = true;  ///< "/bucket/key" rather than "bucket.host/key"
  std::chrono::milliseconds timeout{10000};
  int listMaxKeys = 1000;  ///< objects per page of a ListObjectsV2 (1 to 1000)

  /// Reads {endpoint, region, accessKeyId, secretAccessKey, pathStyle, timeoutMs, listMaxKeys};
  /// throws AbortError(Invalid "settings.<name>") when one is missing or wrong.
  static S3Settings fromSettings(const json::object& settings);
};

/// One grant of an access control list. `granteeXml` is the <Grantee> element
/// as the server wrote it, sent back unchanged (groups, e-mail grantees...).
struct AclGrant {
  std::string granteeXml;
  std::string id;  ///< the canonical user id, "" for other grantees
  std::string permission;  ///< FULL_CONTROL, READ, WRITE, READ_ACP, WRITE_ACP
};

/// A bucket's access control policy.
struct BucketAcl {
  std::string ownerId;
  std::string ownerDisplayName;
  std::vector<AclGrant> grants;

  /// Parses a GetBucketAcl answer; Provider error if it is not one.
  static Result<BucketAcl> parse(std::string_view xml);
  /// The AccessControlPolicy document PutBucketAcl takes.
  std::string toXml() const;
  /// True if the canonical user `id` holds `permission`.
  bool has(std::string_view id, std::string_view permission) const;
  /// Adds a canonical-user grant unless it is there; true if it added one.
  bool grant(const std::string& id, const std::string& permission);
  /// Removes every grant to the canonical user `id`; true if it removed one.
  bool revokeAll(std::string_view id);
};

/// What HeadObject says of an object.
struct ObjectInfo {
  std::int64_t size = 0;
  std::string etag;  ///< as the server wrote it, quotes included
};

/// One object of a listing.
struct ListedObject {
  std::string key;
  std::int64_t size = 0;
  std::string etag;
};

/// One multipart upload in progress (ListMultipartUploads).
struct PendingUpload {
  std::string key;
  std::string uploadId;
};

/// The bucket and object calls, as one identity.
class S3Client {
 public:
  explicit S3Client(S3Settings settings);

  const S3Settings& settings() const { return settings_; }

  /// One signed request to `bucket` ("" for the service) and `key` ("" for the
  /// bucket); the answer whatever its status. `closeConnection` asks for a
  /// connection of its own (after a server reload, to reach a new worker).
  Result<net::HttpResponse> send(std::string_view method, std::string_view bucket, std::string_view key = {},
                                 std::vector<std::pair<std::string, std::string>> query = {}, std::string body = {},
                                 std::vector<std::pair<std::string, std::string>> headers = {},
                                 bool closeConnection = false) const;
  /// The error a non-2xx answer means (net::statusError naming this endpoint).
  Error error(const net::HttpResponse& response) const;

  /// HeadBucket: true if it exists (and is ours to see), false on 404.
  Result<bool> bucketExists(std::string_view bucket) const;
  /// CreateBucket; true if made now, false if we owned it already
  /// (BucketAlreadyOwnedByYou). Another owner's bucket is a Conflict.
  Result<bool> createBucket(std::string_view bucket) const;
  /// DeleteBucket; an absent bucket is success.
  Result<void> deleteBucket(std::string_view bucket) const;
  /// ListBuckets: the names.
  Result<std::vector<std::string>> listBuckets() const;
  /// GetBucketVersioning: "Enabled", "Suspended", or "" (never enabled).
  Result<std::string> bucketVersioning(std::string_view bucket) const;
  /// PutBucketVersioning: Enabled or Suspended.
  Result<void> setBucketVersioning(std::string_view bucket, bool enabled) const;
  /// GetBucketTagging; empty when the bucket has no tags (NoSuchTagSet).
  Result<std::map<std::string, std::string>> bucketTagging(std::string_view bucket) const;
  /// PutBucketTagging; false if the server has no bucket tagging (NotImplemented).
  Result<bool> setBucketTagging(std::string_view bucket, const std::map<std::string, std::string>& tags) const;
  /// GetBucketAcl / PutBucketAcl.
  Result<BucketAcl> bucketAcl(std::string_view bucket) const;
  Result<void> setBucketAcl(std::string_view bucket, const BucketAcl& acl) const;
  /// PutObject / GetObject (NotFound if absent).
  Result<void> putObject(std::string_view bucket, std::string_view key, std::string body,
                         std::string contentType = "application/octet-stream") const;
  Result<std::string> getObject(std::string_view bucket, std::string_view key) const;
  /// PutObject with further headers (x-amz-meta-*, Cache-Control, ...).
  Result<void> putObject(std::string_view bucket, std::string_view key, std::string body, std::string contentType,
                         const std::vector<std::pair<std::string, std::string>>& headers) const;
  /// GetObject, the whole answer (body and headers, names in lower case); NotFound if absent.
  Result<net::HttpResponse> getObjectWithHeaders(std::string_view bucket, std::string_view key) const;
  /// DeleteObject; an absent object is success.
  Result<void> deleteObject(std::string_view bucket, std::string_view key) const;
  /// ListObjects (version 1): every key of the bucket, in the server's (lexicographic) order.
  Result<std::vector<std::string>> listObjects(std::string_view bucket) const;
  /// ListObjectsV2, page by page (settings' listMaxKeys objects a page, continuation tokens):
  /// the sum of the objects' sizes and their count. Current versions only.
  Result<StoredSize> storedSize(std::string_view bucket) const;
  /// ListObjectsV2 of the keys starting with `prefix`, page by page: each key, size and ETag.
  Result<std::vector<ListedObject>> listObjectsV2(std::string_view bucket, std::string_view prefix) const;

  /// HeadObject: its size and ETag; NotFound if absent.
  Result<ObjectInfo> headObject(std::string_view bucket, std::string_view key) const;
  /// GetObject of the bytes [first, last] (a Range request); the answer must be those bytes
  /// exactly (206, or 200 when they are the whole object), else a Provider error.
  Result<std::string> getObjectRange(std::string_view bucket, std::string_view key, std::int64_t first,
                                     std::int64_t last) const;

  /// CreateMultipartUpload: the upload's id.
  Result<std::string> createMultipartUpload(std::string_view bucket, std::string_view key,
                                            std::string contentType = "application/octet-stream") const;
  /// UploadPart (numbers from 1): the part's ETag as the server wrote it. An ETag other than the
  /// MD5 of `body` (the bytes arrived otherwise than sent) is a Provider error.
  Result<std::string> uploadPart(std::string_view bucket, std::string_view key, std::string_view uploadId,
                                 int partNumber, std::string body) const;
  /// CompleteMultipartUpload of (part number, ETag), in order: the object's ETag. An <Error> in a
  /// 200 answer (S3 may fail a completion after it started answering) is an error.
  Result<std::string> completeMultipartUpload(std::string_view bucket, std::string_view key,
                                              std::string_view uploadId,
                                              const std::vector<std::pair<int, std::string>>& parts) const;
  /// AbortMultipartUpload; an upload that is gone already (NoSuchUpload) is success.
  Result<void> abortMultipartUpload(std::string_view bucket, std::string_view key, std::string_view uploadId) const;
  /// ListMultipartUploads of the keys starting with `prefix` (every page).
  Result<std::vector<PendingUpload>> listMultipartUploads(std::string_view bucket, std::string_view prefix) const;

 private:
  /// ListObjectsV2 of the keys starting with `prefix` ("" for all), page by page, each object to `each`.
  Result<void> forEachObject(std::string_view bucket, std::string_view prefix,
                             const std::function<void(ListedObject&&)>& each) const;

  S3Settings settings_;
  std::string scheme_;    ///< "http"
  std::string hostPort_;  ///< "127.0.0.1:8080"
  std::string basePath_;  ///< "" or "/prefix"
};

/// The S3 error code of an answer's body (<Code>…</Code>), "" if none.
std::string errorCode(const net::HttpResponse& response);

/// The text of every <tag>…</tag> (or <tag attr…>…</tag>) in `xml`, in order, unescaped.
std::vector<std::string> xmlElements(std::string_view xml, std::string_view tag);
/// Every whole <tag …>…</tag> element of `xml`, in order, as written.
std::vector<std::string> xmlRawElements(std::string_view xml, std::string_view tag);
std::string xmlEscape(std::string_view text);
/// MD5 of `bytes`, lower-case hex: what S3 answers as the ETag of a part or a single-part object.
std::string md5Hex(std::string_view bytes);
std::string xmlUnescape(std::string_view text);

}  // namespace fedihost::providers::s3
