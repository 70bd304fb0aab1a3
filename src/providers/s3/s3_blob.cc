// The "s3" bucket provider and the "swift-tempauth" access-key provider (s3.hh).
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "core/fd.hh"
#include "core/naming.hh"
#include "providers/attributes.hh"
#include "providers/file/file_store.hh"
#include "providers/s3/s3.hh"
#include "providers/s3/s3_client.hh"

namespace fedihost::providers::s3 {

namespace fs = std::filesystem;

/// The tag that holds a bucket's identity key, where the server has bucket tagging.
constexpr std::string_view kKeyTag = "fedihost-key";

std::string bucketKeyFromName(std::string_view deployment, std::string_view bucket) {
  const std::string prefix = std::string(naming::idSuffix(deployment)) + "-";
  if (!bucket.starts_with(prefix) || bucket.size() == prefix.size()) return {};
  return resourceKey(deployment, ResourceKind::Bucket, bucket.substr(prefix.size()));
}

Result<void> checkBucketName(std::string_view name, const std::string& field) {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  bool ok = name.size() >= 3 && name.size() <= 63 && alnum(name.front()) && alnum(name.back());
  for (char c : name) ok = ok && (alnum(c) || c == '-' || c == '.');
  if (!ok)
    return Error::invalid(field, "\"" + std::string(name) +
                                     "\" is not a valid bucket name (3 to 63 of a-z, 0-9, \"-\" and \".\", starting "
                                     "and ending with a letter or digit)");
  return {};
}

namespace {

json::object endpointOutputs(const S3Settings& s) { return {{"endpoint", s.endpoint}, {"region", s.region}}; }

// ---------------------------------------------------------------- buckets

struct BucketSpec {
  std::string name;
  std::optional<bool> versioning;
};

Result<BucketSpec> parseBucket(const Resource& r) {
  BucketSpec spec;
  auto name = stringAttribute(r.attributes, "name");
  if (!name) return name.error();
  spec.name = *name;
  if (auto ok = checkBucketName(spec.name, "attributes.name"); !ok) return ok.error();
  if (bucketKeyFromName(r.deployment, spec.name).empty())
    return Error::invalid("attributes.name", "\"" + spec.name + "\" must start with \"" +
                                                 std::string(naming::idSuffix(r.deployment)) +
                                                 "-\" (the deployment's id suffix, as naming::bucketName makes it): "
                                                 "that is how the bucket is known as the deployment's");
  if (auto* p = r.attributes.if_contains("purpose"); p && !p->is_string())
    return Error::invalid("attributes.purpose", "must be a string");
  if (auto* v = r.attributes.if_contains("versioning")) {
    if (!v->is_bool()) return Error::invalid("attributes.versioning", "must be true or false");
    spec.versioning = v->get_bool();
  }
  return spec;
}

class S3BlobProvider final : public BlobProvider {
 public:
  explicit S3BlobProvider(S3Settings settings) : client_(std::move(settings)) {}

  std::string implementation() const override { return "s3"; }
  Capabilities capabilities() const override { return {true, true, true}; }

  /// The client for object calls: the app's own access key when the orchestrator gives one
  /// ("dataAccess": {"accessKeyId", "secretAccessKey"}, the secret sealed): with S3 ACLs, objects
  /// belong to the identity that wrote them, and the bucket's owner (our admin) may not read them,
  /// nor may the app read objects the admin put back. Otherwise the admin's.
  Result<S3Client> dataClient(const ResolvedResource& rr) const {
    auto* access = rr.resource.attributes.if_contains("dataAccess");
    if (!access) return client_;
    auto id = stringAttribute(access->as_object(), "accessKeyId");
    if (!id) return id.error();
    ResolvedResource inner{rr.resource, rr.box};
    inner.resource.attributes = access->as_object();
    auto secret = openSecret(inner, "secretAccessKey");
    if (!secret) return secret.error();
    S3Settings settings = client_.settings();
    settings.accessKeyId = *id;
    settings.secretAccessKey = *secret;
    return S3Client(std::move(settings));
  }

  /// Every object (its current version) as dir/objects/<n>, and dir/index.json listing
  /// each object's key, file, size, Content-Type, user metadata and other stored headers.
  Result<void> exportData(const ResolvedResource& rr, const std::filesystem::path& dir) override {
    auto spec = parseBucket(rr.resource);
    if (!spec) return spec.error();
    auto client = dataClient(rr);
    if (!client) return client.error();
    auto keys = client->listObjects(spec->name);
    if (!keys) return keys.error();
    std::filesystem::create_directories(dir / "objects");
    json::array index;
    int n = 0;
    for (auto& key : *keys) {
      auto got = client->getObjectWithHeaders(spec->name, key);
      if (!got) return got.error();
      char file[16];
      std::snprintf(file, sizeof file, "%08d", ++n);
      std::ofstream out(dir / "objects" / file, std::ios::binary);
      out << got->body;
      out.close();
      if (!out) return Error{ErrorKind::Internal, "cannot write " + (dir / "objects" / file).string(), {}};
      json::object meta, headers;
      for (auto& [h, v] : got->headers) {
        if (h.starts_with("x-amz-meta-")) meta[h.substr(11)] = v;
        else if (h == "cache-control" || h == "content-disposition" || h == "content-encoding" ||
                 h == "content-language" || h == "expires")
          headers[h] = v;
      }
      auto ct = got->headers.find("content-type");
      index.push_back(json::object{{"key", key},
                                   {"file", std::string("objects/") + file},
                                   {"size", got->body.size()},
                                   {"contentType", ct == got->headers.end() ? "application/octet-stream" : ct->second},
                                   {"metadata", std::move(meta)},
                                   {"headers", std::move(headers)}});
    }
    std::ofstream(dir / "index.json") << json::serialize(index);
    return {};
  }

  /// Puts back every object of index.json with its Content-Type, metadata and headers.
  Result<void> importData(const ResolvedResource& rr, const std::filesystem::path& dir) override {
    auto spec = parseBucket(rr.resource);
    if (!spec) return spec.error();
    auto client = dataClient(rr);
    if (!client) return client.error();
    std::ifstream in(dir / "index.json");
    if (!in) return Error::invalid("index.json", "the bucket's part has no index.json");
    std::stringstream ss;
    ss << in.rdbuf();
    boost::system::error_code ec;
    auto index = json::parse(ss.str(), ec);
    if (ec || !index.is_array()) return Error::invalid("index.json", "index.json is not a JSON array");
    for (auto& e : index.get_array()) {
      const auto* o = e.if_object();
      if (!o || !o->contains("key") || !o->at("key").is_string() || !o->contains("file") || !o->at("file").is_string())
        return Error::invalid("index.json", "an entry of index.json has no key or file");
      std::string file(o->at("file").get_string());
      if (file.find("..") != std::string::npos || file.starts_with("/"))
        return Error::invalid("index.json", "unsafe file name " + file);
      std::ifstream body(dir / file, std::ios::binary);
      if (!body) return Error::invalid(file, "the object file " + file + " is missing");
      std::stringstream bs;
      bs << body.rdbuf();
      std::vector<std::pair<std::string, std::string>> headers;
      if (auto* m = o->if_contains("metadata"); m && m->is_object())
        for (auto& [k, v] : m->get_object())
          if (v.is_string()) headers.emplace_back("x-amz-meta-" + std::string(k), std::string(v.get_string()));
      if (auto* h = o->if_contains("headers"); h && h->is_object())
        for (auto& [k, v] : h->get_object())
          if (v.is_string()) headers.emplace_back(std::string(k), std::string(v.get_string()));
      std::string ct = "application/octet-stream";
      if (auto* c = o->if_contains("contentType"); c && c->is_string()) ct = std::string(c->get_string());
      auto put = client->putObject(spec->name, std::string(o->at("key").get_string()), bs.str(), ct, headers);
      if (!put) return put.error();
    }
    return {};
  }

  /// Deletes every object, so that the bucket can be deleted.
  Result<void> discardData(const ResolvedResource& rr) override {
    auto spec = parseBucket(rr.resource);
    if (!spec) return spec.error();
    auto client = dataClient(rr);
    if (!client) return client.error();
    auto keys = client->listObjects(spec->name);
    if (!keys) return keys.error();
    for (auto& key : *keys)
      if (auto ok = client->deleteObject(spec->name, key); !ok) return ok;
    return {};
  }

  Result<Observed> create(const ResolvedResource& rr) override {
    const auto& r = rr.resource;
    auto spec = parseBucket(r);
    if (!spec) return spec.error();
    auto exists = client_.bucketExists(spec->name);
    if (!exists) return exists.error();
    if (!*exists) {
      auto made = client_.createBucket(spec->name);
      if (!made) return made.error();
    }
    if (auto ok = claim(spec->name, r.key); !ok) return ok.error();
    if (auto ok = applyVersioning(*spec); !ok) return ok.error();
    return observe(spec->name);
  }

  Result<Observed> read(const ResolvedResource& rr) override {
    auto spec = parseBucket(rr.resource);
    if (!spec) return spec.error();
    return observe(spec->name);
  }

  /// ListObjectsV2 of the bucket, every page, sizes summed (as the identity that can read it).
  Result<StoredSize> storedSize(const ResolvedResource& rr) override {
    auto name = stringAttribute(rr.resource.attributes, "name");
    if (!name) return name.error();
    auto client = dataClient(rr);
    if (!client) return client.error();
    return client->storedSize(*name);
  }

  Result<Observed> update(const ResolvedResource& rr) override {
    auto spec = parseBucket(rr.resource);
    if (!spec) return spec.error();
    auto exists = client_.bucketExists(spec->name);
    if (!exists) return exists.error();
    if (!*exists) return missing(spec->name);
    if (auto ok = applyVersioning(*spec); !ok) return ok.error();
    return observe(spec->name);
  }

  Result<void> remove(const ResolvedResource& rr) override {
    auto name = stringAttribute(rr.resource.attributes, "name");
    if (!name) return name.error();
    return client_.deleteBucket(*name);
  }

  Result<std::vector<std::string>> list(std::string_view deployment) override {
    auto names = client_.listBuckets();
    if (!names) return names.error();
    std::vector<std::string> keys;
    for (auto& name : *names) {
      auto key = bucketKeyFromName(deployment, name);
      if (key.empty()) continue;
      if (taggingSupported() != std::optional<bool>(false)) {
        auto tags = client_.bucketTagging(name);
        if (!tags) return tags.error();
        auto it = tags->find(std::string(kKeyTag));
        if (it != tags->end() && it->second.starts_with(std::string(deployment) + "/")) key = it->second;
      }
      keys.push_back(std::move(key));
    }
    std::sort(keys.begin(), keys.end());
    return keys;
  }

 private:
  Error missing(const std::string& name) const {
    return Error::notFound("bucket \"" + name + "\" does not exist at " + client_.settings().endpoint);
  }

  std::optional<bool> taggingSupported() const {
    std::lock_guard lock(mu_);
    return tagging_;
  }

  /// Tags the bucket with its identity key where the server can; a bucket
  /// tagged with another key is not ours (Conflict).
  Result<void> claim(const std::string& name, const std::string& key) {
    if (taggingSupported() == std::optional<bool>(false)) return {};
    auto tags = client_.bucketTagging(name);
    if (!tags) return tags.error();
    auto it = tags->find(std::string(kKeyTag));
    if (it != tags->end()) {
      if (it->second != key)
        return Error::conflict("bucket \"" + name + "\" belongs to " + it->second + ", not to " + key,
                               "attributes.name");
      return {};
    }
    (*tags)[std::string(kKeyTag)] = key;
    auto tagged = client_.setBucketTagging(name, *tags);
    if (!tagged) return tagged.error();
    std::lock_guard lock(mu_);
    tagging_ = *tagged;
    return {};
  }

  Result<void> applyVersioning(const BucketSpec& spec) {
    if (!spec.versioning) return {};
    auto status = client_.bucketVersioning(spec.name);
    if (!status) return status.error();
    const bool enabled = *status == "Enabled";
    if (*spec.versioning == enabled) return {};
    if (!*spec.versioning && status->empty()) return {};  // never enabled: nothing to suspend
    return client_.setBucketVersioning(spec.name, *spec.versioning);
  }

  Result<Observed> observe(const std::string& name) {
    auto exists = client_.bucketExists(name);
    if (!exists) return exists.error();
    if (!*exists) return missing(name);
    auto status = client_.bucketVersioning(name);
    if (!status) return status.error();
    return Observed{{{"name", name}, {"versioning", *status == "Enabled"}}, endpointOutputs(client_.settings())};
  }

  S3Client client_;
  mutable std::mutex mu_;
  std::optional<bool> tagging_;  ///< unknown until the first PutBucketTagging
};

// ---------------------------------------------------------------- swift-tempauth access keys

constexpr std::string_view kKeyComment = "# fedihost-key: ";

/// One tempauth user of the users file.
struct TempauthUser {
  std::string key;  ///< identity key
  std::string user;
  std::string secret;
};

/// The users file: the tempauth users this provider made, with their identity keys.
class UsersFile {
 public:
  UsersFile(fs::path path, std::string account) : path_(std::move(path)), account_(std::move(account)) {}

  Result<void> load() {
    users_.clear();
    std::error_code ec;
    if (!fs::exists(path_, ec)) return {};
    std::ifstream in(path_);
    if (!in) return Error{ErrorKind::Provider, "cannot read " + path_.string() + ": " + std::strerror(errno), {}};
    const std::string prefix = "user_" + account_ + "_";
    std::string line, pendingKey;
    while (std::getline(in, line)) {
      if (line.starts_with(kKeyComment)) {
        pendingKey = line.substr(kKeyComment.size());
        continue;
      }
      if (!line.starts_with(prefix)) continue;
      auto eq = line.find(" = ");
      if (eq == std::string::npos || pendingKey.empty()) continue;
      users_.push_back({pendingKey, line.substr(prefix.size(), eq - prefix.size()), line.substr(eq + 3)});
      pendingKey.clear();
    }
    return {};
  }

  /// Written atomically (a temporary file renamed over it), mode 0600.
  Result<void> save() const {
    std::string text =
        "# Written by fedihost (access-key provider \"swift-tempauth\"): the tempauth users of\n"
        "# fedihost's access keys, each after the identity key it belongs to. Do not edit.\n"
        "[filter:tempauth]\n";
    for (auto& u : users_)
      text += std::string(kKeyComment) + u.key + "\nuser_" + account_ + "_" + u.user + " = " + u.secret + "\n";
    // A name starting with "." and not ending in ".conf" is never read by Swift.
    const fs::path tmp = path_.parent_path() / ("." + path_.filename().string() + ".tmp");
    {
      Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
      if (fd.get() < 0) return Error{ErrorKind::Provider, "cannot write " + tmp.string() + ": " + std::strerror(errno), {}};
      ::fchmod(fd.get(), 0600);
      std::size_t done = 0;
      while (done < text.size()) {
        auto n = ::write(fd.get(), text.data() + done, text.size() - done);
        if (n < 0) {
          if (errno == EINTR) continue;
          return Error{ErrorKind::Provider, "cannot write " + tmp.string() + ": " + std::strerror(errno), {}};
        }
        done += static_cast<std::size_t>(n);
      }
      if (::fsync(fd.get()) != 0 || !fd.close())
        return Error{ErrorKind::Provider, "cannot write " + tmp.string() + ": " + std::strerror(errno), {}};
    }
    std::error_code ec;
    fs::rename(tmp, path_, ec);
    if (ec) return Error{ErrorKind::Provider, "cannot replace " + path_.string() + ": " + ec.message(), {}};
    return {};
  }

  const TempauthUser* find(std::string_view user) const {
    for (auto& u : users_)
      if (u.user == user) return &u;
    return nullptr;
  }
  /// Adds or replaces; true if the file's content changed.
  bool put(TempauthUser u) {
    for (auto& x : users_)
      if (x.user == u.user) {
        if (x.key == u.key && x.secret == u.secret) return false;
        x = std::move(u);
        return true;
      }
    users_.push_back(std::move(u));
    return true;
  }
  bool erase(std::string_view user) {
    return std::erase_if(users_, [&](const TempauthUser& u) { return u.user == user; }) > 0;
  }
  const std::vector<TempauthUser>& users() const { return users_; }

 private:
  fs::path path_;
  std::string account_;
  std::vector<TempauthUser> users_;
};

struct AccessKeySpec {
  std::string name;                  ///< the "name" attribute (else the resource's name)
  std::string user;                  ///< tempauth user name: "<suffix>-<name>"
  std::vector<std::string> buckets;  ///< sorted, unique
};

class SwiftTempauthAccessKeyProvider final : public AccessKeyProvider {
 public:
  SwiftTempauthAccessKeyProvider(S3Settings admin, std::string account, fs::path configDir, fs::path pidFile,
                                 std::string usersFile, std::chrono::milliseconds reloadTimeout)
      : admin_(std::move(admin)),
        account_(std::move(account)),
        configDir_(std::move(configDir)),
        pidFile_(std::move(pidFile)),
        usersFile_(configDir_ / usersFile),
        lockFile_(configDir_ / ("." + usersFile + ".lock")),
        reloadTimeout_(reloadTimeout) {}

  std::string implementation() const override { return "swift-tempauth"; }

  Result<Observed> create(const ResolvedResource& rr) override {
    auto spec = parse(rr.resource);
    if (!spec) return spec.error();
    auto secret = checkedSecret(rr);
    if (!secret) return secret.error();
    if (auto ok = ensureUser(rr.resource.key, spec->user, *secret, /*mustExist=*/false); !ok) return ok.error();
    if (auto ok = grantBuckets(spec->user, spec->buckets); !ok) return ok.error();
    return observe(*spec);
  }

  Result<Observed> read(const ResolvedResource& rr) override {
    auto spec = parse(rr.resource);
    if (!spec) return spec.error();
    return observe(*spec);
  }

  Result<Observed> update(const ResolvedResource& rr) override {
    auto spec = parse(rr.resource);
    if (!spec) return spec.error();
    auto secret = checkedSecret(rr);
    if (!secret) return secret.error();
    if (auto ok = ensureUser(rr.resource.key, spec->user, *secret, /*mustExist=*/true); !ok) return ok.error();
    if (auto ok = grantBuckets(spec->user, spec->buckets); !ok) return ok.error();
    if (auto ok = revokeOthers(rr.resource.deployment, spec->user, spec->buckets); !ok) return ok.error();
    return observe(*spec);
  }

  Result<void> remove(const ResolvedResource& rr) override {
    auto spec = parse(rr.resource);
    if (!spec) return spec.error();
    if (auto ok = revokeOthers(rr.resource.deployment, spec->user, {}); !ok) return ok.error();
    file::FileLock lock(lockFile_);
    UsersFile users(usersFile_, account_);
    if (auto ok = users.load(); !ok) return ok.error();
    std::string secret;
    if (auto* u = users.find(spec->user)) {
      if (u->key != rr.resource.key) return {};  // another resource's user: not ours to remove
      secret = u->secret;
      users.erase(spec->user);
      if (auto ok = users.save(); !ok) return ok.error();
    } else if (auto s = openSecret(rr, "secretKey")) {
      secret = *s;  // gone from the file; the proxy may not have reloaded since
    } else {
      return {};
    }
    return reloadUntil(spec->user, secret, /*accepted=*/false);
  }

  Result<std::vector<std::string>> list(std::string_view deployment) override {
    file::FileLock lock(lockFile_);
    UsersFile users(usersFile_, account_);
    if (auto ok = users.load(); !ok) return ok.error();
    std::vector<std::string> keys;
    const std::string prefix = std::string(deployment) + "/";
    for (auto& u : users.users())
      if (u.key.starts_with(prefix)) keys.push_back(u.key);
    std::sort(keys.begin(), keys.end());
    return keys;
  }

 private:
  Result<AccessKeySpec> parse(const Resource& r) const {
    AccessKeySpec spec;
    std::string name = r.name;
    if (auto* n = r.attributes.if_contains("name")) {
      if (!n->is_string()) return Error::invalid("attributes.name", "must be a string");
      name = std::string(n->get_string());
    }
    spec.name = name;
    spec.user = std::string(naming::idSuffix(r.deployment)) + "-" + name;
    bool ok = !name.empty() && spec.user.size() <= 64;
    for (char c : spec.user) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
    if (!ok)
      return Error::invalid("attributes.name", "\"" + name +
                                                   "\" cannot name a tempauth user: use a-z, 0-9 and \"-\" (the user "
                                                   "is \"<deployment id suffix>-<name>\", at most 64 characters)");
    if (auto* b = r.attributes.if_contains("buckets")) {
      const auto* arr = b->if_array();
      if (!arr) return Error::invalid("attributes.buckets", "must be an array of bucket names");
      for (std::size_t i = 0; i < arr->size(); ++i) {
        const std::string field = "attributes.buckets[" + std::to_string(i) + "]";
        if (!(*arr)[i].is_string()) return Error::invalid(field, "must be a bucket name");
        std::string bucket((*arr)[i].get_string());
        if (auto ok2 = checkBucketName(bucket, field); !ok2) return ok2.error();
        spec.buckets.push_back(std::move(bucket));
      }
    }
    std::sort(spec.buckets.begin(), spec.buckets.end());
    spec.buckets.erase(std::unique(spec.buckets.begin(), spec.buckets.end()), spec.buckets.end());
    return spec;
  }

  /// The clear secret; tempauth reads it from an INI file, so it must be one token.
  Result<std::string> checkedSecret(const ResolvedResource& rr) const {
    auto secret = openSecret(rr, "secretKey");
    if (!secret) return secret.error();
    bool ok = !secret->empty();
    for (unsigned char c : *secret) ok = ok && c > 0x20 && c < 0x7f;
    if (!ok)
      return Error::invalid("attributes.secretKey",
                            "tempauth takes a secret of printable ASCII without spaces (it is written to its "
                            "configuration file)");
    return secret;
  }

  std::string userId(const std::string& user) const { return account_ + ":" + user; }

  /// Writes the user (unless it is there as asked) and reloads the proxy until it takes the user.
  Result<void> ensureUser(const std::string& key, const std::string& user, const std::string& secret, bool mustExist) {
    file::FileLock lock(lockFile_);
    UsersFile users(usersFile_, account_);
    if (auto ok = users.load(); !ok) return ok.error();
    if (auto* u = users.find(user)) {
      if (u->key != key)
        return Error::conflict("tempauth user \"" + userId(user) + "\" belongs to " + u->key + ", not to " + key,
                               "attributes.name");
    } else if (mustExist) {
      return Error::notFound("no tempauth user \"" + userId(user) + "\" in " + usersFile_.string());
    }
    if (users.put({key, user, secret}))
      if (auto ok = users.save(); !ok) return ok.error();
    return reloadUntil(user, secret, /*accepted=*/true);
  }

  /// Whether the proxy takes the user's signature now: true (accepted), false (refused).
  Result<bool> accepts(const std::string& user, const std::string& secret) const {
    S3Settings s = admin_;
    s.accessKeyId = userId(user);
    s.secretAccessKey = secret;
    auto r = S3Client(s).send("GET", "", {}, {}, {}, {}, /*closeConnection=*/true);
    if (!r) return r.error();
    if (net::ok(*r)) return true;
    if (r->status == 403) return false;
    return S3Client(s).error(*r);
  }

  /// Signals the proxy (SIGUSR1: re-exec with the configuration read anew)
  /// unless it already answers as wanted, then waits until it does. Called
  /// with the lock held: a second SIGUSR1 while the proxy re-executes itself
  /// (before it has set its handler) would kill it.
  Result<void> reloadUntil(const std::string& user, const std::string& secret, bool accepted) {
    auto now = accepts(user, secret);
    if (now && *now == accepted) return {};
    std::ifstream in(pidFile_);
    long pid = 0;
    if (!(in >> pid) || pid <= 1)
      return Error{ErrorKind::Unavailable, "no swift-proxy-server PID in " + pidFile_.string(), {}};
    // A stale PID file must not make us signal whatever process has that PID now.
    std::ifstream cmdline("/proc/" + std::to_string(pid) + "/cmdline");
    std::string command((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
    if (command.find("swift-proxy-server") == std::string::npos)
      return Error{ErrorKind::Unavailable,
                   "PID " + std::to_string(pid) + " from " + pidFile_.string() + " is not a running swift-proxy-server",
                   {}};
    if (::kill(static_cast<pid_t>(pid), SIGUSR1) != 0)
      return Error{ErrorKind::Unavailable,
                   "cannot signal swift-proxy-server (PID " + std::to_string(pid) + " from " + pidFile_.string() +
                       "): " + std::strerror(errno),
                   {}};
    const auto deadline = std::chrono::steady_clock::now() + reloadTimeout_;
    Error last{ErrorKind::Unavailable, "", {}};
    while (std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      auto r = accepts(user, secret);
      if (r && *r == accepted) return {};
      if (!r) last = r.error();
    }
    return Error{ErrorKind::Unavailable,
                 "swift-proxy-server (PID " + std::to_string(pid) + ") did not " +
                     (accepted ? "take" : "drop") + " tempauth user \"" + userId(user) + "\" within " +
                     std::to_string(reloadTimeout_.count()) + " ms of SIGUSR1" +
                     (last.message.empty() ? "" : " (last: " + last.message + ")"),
                 {}};
  }

  Result<void> grantBuckets(const std::string& user, const std::vector<std::string>& buckets) const {
    S3Client client(admin_);
    for (auto& bucket : buckets) {
      auto acl = client.bucketAcl(bucket);
      if (!acl) {
        if (acl.error().kind == ErrorKind::NotFound)
          return Error{ErrorKind::Provider,
                       "bucket \"" + bucket + "\" of attributes.buckets does not exist at " + admin_.endpoint, {}};
        return acl.error();
      }
      bool changed = acl->grant(userId(user), "READ");
      changed = acl->grant(userId(user), "WRITE") || changed;
      if (changed)
        if (auto ok = client.setBucketAcl(bucket, *acl); !ok) return ok.error();
    }
    return {};
  }

  /// Takes the user's grants off the deployment's buckets other than `keep`.
  Result<void> revokeOthers(std::string_view deployment, const std::string& user,
                            const std::vector<std::string>& keep) const {
    S3Client client(admin_);
    auto names = client.listBuckets();
    if (!names) return names.error();
    for (auto& bucket : *names) {
      if (bucketKeyFromName(deployment, bucket).empty()) continue;
      if (std::binary_search(keep.begin(), keep.end(), bucket)) continue;
      auto acl = client.bucketAcl(bucket);
      if (!acl) {
        if (acl.error().kind == ErrorKind::NotFound) continue;
        return acl.error();
      }
      if (acl->revokeAll(userId(user)))
        if (auto ok = client.setBucketAcl(bucket, *acl); !ok) return ok.error();
    }
    return {};
  }

  Result<Observed> observe(const AccessKeySpec& spec) {
    {
      file::FileLock lock(lockFile_);
      UsersFile users(usersFile_, account_);
      if (auto ok = users.load(); !ok) return ok.error();
      if (!users.find(spec.user))
        return Error::notFound("no tempauth user \"" + userId(spec.user) + "\" in " + usersFile_.string());
    }
    S3Client client(admin_);
    json::array held;
    for (auto& bucket : spec.buckets) {
      auto acl = client.bucketAcl(bucket);
      if (!acl) {
        if (acl.error().kind == ErrorKind::NotFound) continue;
        return acl.error();
      }
      if (acl->has(userId(spec.user), "READ") && acl->has(userId(spec.user), "WRITE")) held.emplace_back(bucket);
    }
    json::object outputs = endpointOutputs(admin_);
    outputs["accessKeyId"] = userId(spec.user);
    return Observed{{{"name", spec.name}, {"buckets", std::move(held)}}, outputs};
  }

  S3Settings admin_;
  std::string account_;
  fs::path configDir_;
  fs::path pidFile_;
  fs::path usersFile_;
  fs::path lockFile_;
  std::chrono::milliseconds reloadTimeout_;
};

}  // namespace

std::unique_ptr<BlobProvider> makeBlobProvider(const ProviderConfig& config) {
  return std::make_unique<S3BlobProvider>(S3Settings::fromSettings(config.settings));
}

std::unique_ptr<AccessKeyProvider> makeSwiftTempauthAccessKeyProvider(const ProviderConfig& config) {
  auto admin = S3Settings::fromSettings(config.settings);
  Settings s(config.settings);
  auto account = s.string("account");
  if (account.find_first_of("_: ") != std::string::npos)
    throw AbortError(Error::invalid("settings.account", "a tempauth account name has no \"_\", \":\" or space"));
  if (!admin.accessKeyId.starts_with(account + ":"))
    throw AbortError(Error::invalid("settings.account",
                                    "must be the account of settings.accessKeyId (\"" + account +
                                        ":<user>\"): the apps' users reach the buckets the admin makes there"));
  fs::path dir = s.string("proxyConfigDir");
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw AbortError(Error::invalid("settings.proxyConfigDir",
                                    "\"" + dir.string() + "\" is not a directory (the proxy's proxy-server.conf.d)"));
  auto usersFile = s.string("usersFile", "90-fedihost-access-keys.conf");
  if (usersFile.find('/') != std::string::npos || !usersFile.ends_with(".conf") || usersFile.starts_with("."))
    throw AbortError(Error::invalid("settings.usersFile", "must be a file name ending in \".conf\" (Swift reads only those)"));
  auto reload = std::chrono::milliseconds(s.integer("reloadTimeoutMs", 30000));
  return std::make_unique<SwiftTempauthAccessKeyProvider>(std::move(admin), std::move(account), std::move(dir),
                                                          s.string("proxyPidFile"), std::move(usersFile), reload);
}

}  // namespace fedihost::providers::s3
