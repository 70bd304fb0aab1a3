// The S3 backup target: bundles uploaded to "s3://BUCKET/PREFIX/<deployment>/<backup>.fhb"
// at a third party, by multipart upload in parts of a bounded size, fetched back by
// ranged GETs of that size (backup_target.hh). Memory holds one part at a time.
#include <fstream>
#include <system_error>

#include "backup_target/implementations.hh"
#include "providers/s3/s3_client.hh"

namespace fedihost::backup_target {
namespace {

namespace s3 = providers::s3;

/// The smallest part S3 accepts (but for the last one).
constexpr std::int64_t kMinPartSize = 5 << 20;

class S3Target final : public BackupTarget {
 public:
  S3Target(S3Url url, s3::S3Settings settings, std::int64_t partSize)
      : url_(std::move(url)), client_(std::move(settings)), partSize_(partSize) {}

  std::string implementation() const override { return "s3"; }
  std::string describe() const override {
    return "s3://" + url_.bucket + (url_.prefix.empty() ? "" : "/" + url_.prefix) + " at " + client_.settings().endpoint;
  }
  bool holds(std::string_view location) const override { return location.starts_with("s3://" + url_.bucket + "/"); }
  std::string locationOf(const std::string& name) const override {
    return "s3://" + url_.bucket + "/" + objectKey(url_, name);
  }

  Result<StoredBundle> store(const fs::path& file, const std::string& name) override {
    const auto key = objectKey(url_, name);
    std::error_code ec;
    const auto size = static_cast<std::int64_t>(fs::file_size(file, ec));
    if (ec) return Error{ErrorKind::Internal, "the bundle to upload is not at " + file.string() + ": " + ec.message(), {}};
    std::ifstream in(file, std::ios::binary);
    if (!in) return Error{ErrorKind::Internal, "cannot read " + file.string(), {}};

    auto uploadId = client_.createMultipartUpload(url_.bucket, key);
    if (!uploadId) return fail("CreateMultipartUpload of " + key, uploadId.error());
    std::vector<std::pair<int, std::string>> parts;
    auto abort = [&](const std::string& what, const Error& e) -> Error {
      auto error = fail(what, e);
      if (auto aborted = client_.abortMultipartUpload(url_.bucket, key, *uploadId); !aborted)
        error.message += "; aborting the upload failed too (" + aborted.error().message + ")";
      return error;
    };
    std::int64_t sent = 0;
    do {
      const auto n = std::min(partSize_, size - sent);
      std::string body(static_cast<std::size_t>(n), '\0');
      if (n > 0 && !in.read(body.data(), n))
        return abort("reading " + file.string(), {ErrorKind::Internal, "the file ended early", {}});
      const int number = static_cast<int>(parts.size()) + 1;
      auto etag = client_.uploadPart(url_.bucket, key, *uploadId, number, std::move(body));
      if (!etag) return abort("UploadPart " + std::to_string(number) + " of " + key, etag.error());
      parts.emplace_back(number, *etag);
      sent += n;
    } while (sent < size);
    if (auto done = client_.completeMultipartUpload(url_.bucket, key, *uploadId, parts); !done)
      return abort("CompleteMultipartUpload of " + key, done.error());

    // Confirmed only once the server says it holds every byte.
    auto head = client_.headObject(url_.bucket, key);
    if (!head) {
      (void)client_.deleteObject(url_.bucket, key);  // unconfirmed: not kept as if it were a bundle
      return fail("HeadObject of " + key + " after its upload", head.error());
    }
    if (head->size != size) {
      (void)client_.deleteObject(url_.bucket, key);
      return Error{ErrorKind::Provider, "S3 backup target " + describe() + ": " + key + " holds " +
                                            std::to_string(head->size) + " bytes after its upload, not " +
                                            std::to_string(size) + ": removed", {}};
    }
    in.close();
    fs::remove(file, ec);  // the spool copy: the object is the bundle now
    return StoredBundle{locationOf(name), size};
  }

  Result<LocalBundle> fetch(const std::string& location, const fs::path& spoolFile, std::int64_t maxBytes) override {
    auto key = keyOf(location);
    if (!key) return key.error();
    auto head = client_.headObject(url_.bucket, *key);
    if (!head) {
      if (head.error().kind == ErrorKind::NotFound) return Error::notFound("the bundle is missing at " + location);
      return fail("HeadObject of " + *key, head.error());
    }
    const auto want = maxBytes >= 0 ? std::min(maxBytes, head->size) : head->size;
    std::error_code ec;
    fs::create_directories(spoolFile.parent_path(), ec);
    const fs::path partial = spoolFile.string() + ".partial";
    LocalBundle guard(partial, true);  // removed unless renamed below
    {
      std::ofstream out(partial, std::ios::binary | std::ios::trunc);
      if (!out) return Error{ErrorKind::Internal, "cannot write " + partial.string(), {}};
      for (std::int64_t at = 0; at < want; at += partSize_) {
        const auto last = std::min(at + partSize_, want) - 1;
        auto bytes = client_.getObjectRange(url_.bucket, *key, at, last);
        if (!bytes) return fail("GetObject of " + *key, bytes.error());
        if (!out.write(bytes->data(), static_cast<std::streamsize>(bytes->size())))
          return Error{ErrorKind::Internal, "cannot write " + partial.string(), {}};
      }
      out.flush();
      if (!out) return Error{ErrorKind::Internal, "cannot write " + partial.string(), {}};
    }
    fs::rename(partial, spoolFile, ec);
    if (ec) return Error{ErrorKind::Internal, "cannot rename " + partial.string() + ": " + ec.message(), {}};
    return LocalBundle(spoolFile, true);
  }

  Result<void> remove(const std::string& location) override {
    auto key = keyOf(location);
    if (!key) return key.error();
    if (auto ok = client_.deleteObject(url_.bucket, *key); !ok) return fail("DeleteObject of " + *key, ok.error());
    return {};
  }

  Result<std::vector<StoredBundle>> list() override {
    auto objects = client_.listObjectsV2(url_.bucket, url_.prefix.empty() ? "" : url_.prefix + "/");
    if (!objects) return fail("ListObjectsV2", objects.error());
    std::vector<StoredBundle> out;
    for (auto& o : *objects)
      if (o.key.ends_with(".fhb")) out.push_back({"s3://" + url_.bucket + "/" + o.key, o.size});
    return out;
  }

  Result<int> sweep() override {
    auto uploads = client_.listMultipartUploads(url_.bucket, url_.prefix.empty() ? "" : url_.prefix + "/");
    if (!uploads) return fail("ListMultipartUploads", uploads.error());
    int n = 0;
    for (auto& u : *uploads) {
      if (auto ok = client_.abortMultipartUpload(url_.bucket, u.key, u.uploadId); !ok)
        return fail("AbortMultipartUpload of " + u.key, ok.error());
      ++n;
    }
    return n;
  }

 private:
  /// The target's error: what was asked, and the server's own message.
  Error fail(const std::string& what, const Error& e) const {
    return {e.kind, "S3 backup target " + describe() + ": " + what + ": " + e.message, e.field};
  }
  Result<std::string> keyOf(const std::string& location) const {
    if (!holds(location))
      return Error{ErrorKind::Conflict, "the bundle at " + location + " is not in the configured backup target " +
                                            describe(), {}};
    return location.substr(std::string("s3://").size() + url_.bucket.size() + 1);
  }

  S3Url url_;
  s3::S3Client client_;
  std::int64_t partSize_;
};

}  // namespace

std::unique_ptr<BackupTarget> makeS3Target(const TargetConfig& c) {
  const std::string field = "orchestrator.backup_target";
  auto url = parseS3Url(c.url, field);
  if (!url) throw AbortError(url.error());
  auto need = [](const std::string& value, const std::string& option, const std::string& what) {
    if (value.empty())
      throw AbortError(Error::invalid(option, "an S3 backup target needs " + option + " (" + what + ")"));
  };
  need(c.endpoint, "orchestrator.backup_s3_endpoint", "the S3 service's URL, e.g. https://s3.example.net");
  if (!c.endpoint.starts_with("http://") && !c.endpoint.starts_with("https://"))
    throw AbortError(Error::invalid("orchestrator.backup_s3_endpoint",
                                    "orchestrator.backup_s3_endpoint must be an http:// or https:// URL"));
  need(c.accessKeyId, "orchestrator.backup_s3_access_key_id", "a secret: FEDIHOST_BACKUP_S3_ACCESS_KEY_ID_FILE");
  need(c.secretAccessKey, "orchestrator.backup_s3_secret_access_key",
       "a secret: FEDIHOST_BACKUP_S3_SECRET_ACCESS_KEY_FILE");
  if (c.partSize < kMinPartSize)
    throw AbortError(Error::invalid("orchestrator.backup_s3_part_size",
                                    "parts must be 5 MiB at least (S3's smallest part)"));
  s3::S3Settings s;
  s.endpoint = c.endpoint;
  while (s.endpoint.ends_with('/')) s.endpoint.pop_back();
  s.region = c.region.empty() ? "us-east-1" : c.region;
  s.accessKeyId = c.accessKeyId;
  s.secretAccessKey = c.secretAccessKey;
  s.pathStyle = c.pathStyle;
  s.timeout = c.timeout;
  return std::make_unique<S3Target>(std::move(*url), std::move(s), c.partSize);
}

}  // namespace fedihost::backup_target
