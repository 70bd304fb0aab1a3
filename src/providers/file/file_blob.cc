// The file blob provider: buckets/<name>.json.
#include "providers/file/file_providers.hh"
#include "providers/file/file_store.hh"

namespace fedihost::providers::file {
namespace {

class FileBlobProvider final : public ManifestProvider<BlobProvider> {
 public:
  using ManifestProvider::ManifestProvider;

 protected:
  Result<fs::path> manifestPath(const Resource& r) const override {
    auto name = stringAttribute(r.attributes, "name");
    if (!name) return name.error();
    return fs::path("buckets") / (*name + ".json");
  }

  Result<std::vector<fs::path>> manifests(const fs::path& deploymentDir) const override {
    return store_.filesIn(deploymentDir / "buckets", ".json");
  }

  /// Bucket names as S3 accepts them: 3 to 63 of [a-z0-9.-], starting and ending with a letter or digit.
  Result<void> validate(const Resource& r) const override {
    auto name = stringAttribute(r.attributes, "name");
    if (!name) return name.error();
    auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    bool ok = name->size() >= 3 && name->size() <= 63 && alnum(name->front()) && alnum(name->back());
    for (char c : *name) ok = ok && (alnum(c) || c == '-' || c == '.');
    if (!ok)
      return Error::invalid("attributes.name", "\"" + *name +
                                                   "\" is not a valid bucket name (3 to 63 of a-z, 0-9, \"-\" and "
                                                   "\".\", starting and ending with a letter or digit)");
    if (auto* p = r.attributes.if_contains("purpose"); p && !p->is_string())
      return Error::invalid("attributes.purpose", "must be a string");
    return {};
  }

  Result<json::object> outputs(const ResolvedResource&, const json::object*) override { return json::object{}; }

 public:
  /// The bucket's objects are the files under buckets/<name>/ beside its manifest (every
  /// regular file, recursively; none while the directory does not exist): their sizes summed.
  Result<StoredSize> storedSize(const ResolvedResource& r) override {
    auto found = read(r);  // NotFound when the bucket's manifest is not there
    if (!found) return found.error();
    auto dir = store_.deploymentDir(r.resource.deployment);
    if (!dir) return dir.error();
    auto name = stringAttribute(r.resource.attributes, "name");
    if (!name) return name.error();
    const auto objects = *dir / "buckets" / *name;
    StoredSize size;
    std::error_code ec;
    if (!fs::exists(objects, ec)) {
      if (ec) return Error{ErrorKind::Internal, "cannot read " + objects.string() + ": " + ec.message(), {}};
      return size;
    }
    fs::recursive_directory_iterator it(objects, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      std::error_code fec;
      if (!it->is_regular_file(fec)) {
        if (fec) return Error{ErrorKind::Internal, "cannot read " + it->path().string() + ": " + fec.message(), {}};
        continue;
      }
      auto bytes = it->file_size(fec);
      if (fec) return Error{ErrorKind::Internal, "cannot read the size of " + it->path().string() + ": " + fec.message(), {}};
      size.bytes += static_cast<std::int64_t>(bytes);
      ++size.objects;
    }
    if (ec) return Error{ErrorKind::Internal, "cannot list " + objects.string() + ": " + ec.message(), {}};
    return size;
  }
};

}  // namespace

std::unique_ptr<BlobProvider> makeBlobProvider(const ProviderConfig& config) {
  return std::make_unique<FileBlobProvider>(config);
}

}  // namespace fedihost::providers::file
