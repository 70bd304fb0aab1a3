// The bundle format (see bundle.hh): libarchive for tar + zstd, libsodium for
// checksums (BLAKE2b) and the sealed secrets (secretbox).
#include "bundle/bundle.hh"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <set>

#include "core/fd.hh"
#include "core/json_util.hh"

namespace fedihost::bundle {
namespace {

constexpr std::size_t kHashBytes = 32;
constexpr std::size_t kBlock = 1 << 16;
constexpr std::string_view kKeyPrefix = "fhbk1:";

struct ArchiveReadCloser {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct ArchiveWriteCloser {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using ReadHandle = std::unique_ptr<archive, ArchiveReadCloser>;
using WriteHandle = std::unique_ptr<archive, ArchiveWriteCloser>;
using EntryHandle = std::unique_ptr<archive_entry, EntryFree>;

Error bad(const std::string& part, std::string message) { return Error::invalid(part, part + ": " + message); }
Error internal(std::string message) { return {ErrorKind::Internal, std::move(message), {}}; }

std::string hex(const unsigned char* p, std::size_t n) {
  std::string out(2 * n + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), p, n);
  out.pop_back();
  return out;
}

class Hasher {
 public:
  Hasher() { crypto_generichash_init(&st_, nullptr, 0, kHashBytes); }
  void update(const void* p, std::size_t n) {
    crypto_generichash_update(&st_, static_cast<const unsigned char*>(p), n);
  }
  std::string final() {
    unsigned char out[kHashBytes];
    crypto_generichash_final(&st_, out, kHashBytes);
    return hex(out, kHashBytes);
  }

 private:
  crypto_generichash_state st_{};
};

std::string checksumOf(std::string_view bytes) {
  Hasher h;
  h.update(bytes.data(), bytes.size());
  return h.final();
}

/// A part name is a relative path of [A-Za-z0-9._@+-] components, none "." or "..".
bool safeName(std::string_view name) {
  if (name.empty() || name.size() > 1000 || name.front() == '/' || name.back() == '/') return false;
  std::size_t start = 0;
  while (start <= name.size()) {
    auto end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    auto comp = name.substr(start, end - start);
    if (comp.empty() || comp == "." || comp == "..") return false;
    for (char c : comp)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-' && c != '@' && c != '+')
        return false;
    start = end + 1;
  }
  return true;
}

std::string str(const json::object& o, const char* k) {
  auto* v = o.if_contains(k);
  if (!v || !v->is_string()) throw AbortError(Error::invalid(kManifestName, std::string("\"") + k + "\" must be a string"));
  return std::string(v->get_string());
}

void syncDirOf(const fs::path& p) {
  int fd = ::open(p.parent_path().empty() ? "." : p.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

// ---------------------------------------------------------------- manifest

json::object Manifest::toJson() const {
  json::array ps;
  for (auto& p : parts)
    ps.push_back(json::object{{"name", p.name},
                              {"kind", p.kind},
                              {"resource", p.resource},
                              {"size", p.size},
                              {"blake2b", p.blake2b}});
  return {{"format", "fedihost-bundle"},
          {"formatVersion", formatVersion},
          {"createdAt", createdAt},
          {"keyId", keyId},
          {"deployment", deployment},
          {"resources", resources},
          {"parts", std::move(ps)}};
}

Result<Manifest> Manifest::fromJson(const json::value& v) {
  try {
    if (!v.is_object()) return Error::invalid(kManifestName, "manifest.json: not a JSON object");
    const auto& o = v.get_object();
    if (str(o, "format") != "fedihost-bundle") return bad(kManifestName, "not a fedihost bundle");
    Manifest m;
    auto* fv = o.if_contains("formatVersion");
    if (!fv || !fv->is_int64()) return bad(kManifestName, "\"formatVersion\" must be an integer");
    m.formatVersion = static_cast<int>(fv->get_int64());
    if (m.formatVersion != kFormatVersion)
      return bad(kManifestName, "format version " + std::to_string(m.formatVersion) + " is not known here (this "
                                "fedihost reads version " + std::to_string(kFormatVersion) + ")");
    m.createdAt = str(o, "createdAt");
    m.keyId = str(o, "keyId");
    auto* d = o.if_contains("deployment");
    auto* r = o.if_contains("resources");
    auto* ps = o.if_contains("parts");
    if (!d || !d->is_object()) return bad(kManifestName, "\"deployment\" must be an object");
    if (!r || !r->is_array()) return bad(kManifestName, "\"resources\" must be an array");
    if (!ps || !ps->is_array()) return bad(kManifestName, "\"parts\" must be an array");
    m.deployment = d->get_object();
    m.resources = r->get_array();
    std::set<std::string> names;
    for (auto& pv : ps->get_array()) {
      if (!pv.is_object()) return bad(kManifestName, "every part must be an object");
      const auto& po = pv.get_object();
      Part p;
      p.name = str(po, "name");
      p.kind = str(po, "kind");
      p.resource = str(po, "resource");
      p.blake2b = str(po, "blake2b");
      auto* size = po.if_contains("size");
      if (!size || !(size->is_int64() || size->is_uint64()) || (size->is_int64() && size->get_int64() < 0))
        return bad(kManifestName, "part " + p.name + ": \"size\" must be a non-negative integer");
      p.size = size->is_uint64() ? size->get_uint64() : static_cast<std::uint64_t>(size->get_int64());
      if (!safeName(p.name) || p.name == kManifestName)
        return bad(kManifestName, "part name \"" + p.name + "\" is not a safe relative path");
      if (!names.insert(p.name).second) return bad(kManifestName, "part " + p.name + " is listed twice");
      m.parts.push_back(std::move(p));
    }
    if (m.parts.empty() || m.parts.front().name != kSecretsName)
      return bad(kManifestName, "the first part must be " + std::string(kSecretsName));
    return m;
  } catch (const AbortError& e) {
    return e.error();
  }
}

std::vector<const Part*> Manifest::partsOf(std::string_view kind, std::string_view resource) const {
  std::vector<const Part*> out;
  for (auto& p : parts)
    if (p.kind == kind && p.resource == resource) out.push_back(&p);
  return out;
}

// ---------------------------------------------------------------- key

BundleKey BundleKey::openOrCreate(const fs::path& path) {
  (void)secrets::SecretBox::openOrCreate(path);  // creates it (0600, whole) and checks mode and size
  std::ifstream in(path, std::ios::binary);
  std::array<unsigned char, secrets::SecretBox::kKeySize> key{};
  in.read(reinterpret_cast<char*>(key.data()), key.size());
  if (in.gcount() != static_cast<std::streamsize>(key.size()))
    throw AbortError(internal("cannot read the bundle key " + path.string()));
  BundleKey k(key);
  sodium_memzero(key.data(), key.size());
  return k;
}

Result<BundleKey> BundleKey::fromExport(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
  if (!text.starts_with(kKeyPrefix))
    return Error::invalid("key", "not an exported bundle key (it starts with \"" + std::string(kKeyPrefix) + "\")");
  text.remove_prefix(kKeyPrefix.size());
  std::array<unsigned char, secrets::SecretBox::kKeySize> key{};
  std::size_t len = 0;
  if (sodium_base642bin(key.data(), key.size(), text.data(), text.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      len != key.size())
    return Error::invalid("key", "the exported bundle key is damaged (not 32 bytes of base64)");
  BundleKey k(key);
  sodium_memzero(key.data(), key.size());
  return k;
}

Result<void> BundleKey::save(const fs::path& path) const {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return Error::conflict("a key file exists already at " + path.string(), "key");
    return internal("cannot create " + path.string() + ": " + std::strerror(errno));
  }
  Fd f(fd);
  if (::write(fd, key_.data(), key_.size()) != static_cast<ssize_t>(key_.size()) || ::fsync(fd) != 0)
    return internal("cannot write " + path.string() + ": " + std::strerror(errno));
  return {};
}

std::string BundleKey::exportText() const {
  std::string out(sodium_base64_encoded_len(key_.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), key_.data(), key_.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return std::string(kKeyPrefix) + out;
}

std::string BundleKey::id() const {
  unsigned char out[8];
  static const char ctx[] = "fedihost bundle key id";
  crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(ctx), sizeof ctx - 1, key_.data(),
                     key_.size());
  return hex(out, sizeof out);
}

// ---------------------------------------------------------------- checksums

Result<std::string> fileChecksum(const fs::path& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return internal("cannot open " + file.string() + ": " + std::strerror(errno));
  Fd f(fd);
  Hasher h;
  std::vector<char> buf(kBlock);
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return internal("cannot read " + file.string() + ": " + std::strerror(errno));
    if (n == 0) break;
    h.update(buf.data(), static_cast<std::size_t>(n));
  }
  return h.final();
}

// ---------------------------------------------------------------- writing

namespace {

class Writer {
 public:
  Writer(const fs::path& path, int level) : a_(archive_write_new()) {
    if (!a_) throw AbortError(internal("libarchive: out of memory"));
    check(archive_write_add_filter_zstd(a_.get()), "zstd");
    auto lvl = std::to_string(level);
    check(archive_write_set_filter_option(a_.get(), "zstd", "compression-level", lvl.c_str()), "zstd level");
    check(archive_write_set_format_pax_restricted(a_.get()), "pax");
    check(archive_write_set_bytes_in_last_block(a_.get(), 1), "last block");
    check(archive_write_open_filename(a_.get(), path.c_str()), "open " + path.string());
  }

  void add(const std::string& name, std::uint64_t size, const std::function<void()>& body) {
    EntryHandle e(archive_entry_new());
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(size));
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0600);
    archive_entry_set_mtime(e.get(), 0, 0);
    check(archive_write_header(a_.get(), e.get()), "header of " + name);
    body();
    check(archive_write_finish_entry(a_.get()), "end of " + name);
  }
  void write(const void* p, std::size_t n) {
    if (archive_write_data(a_.get(), p, n) != static_cast<la_ssize_t>(n))
      throw AbortError(internal(std::string("writing the bundle: ") + archive_error_string(a_.get())));
  }
  void close() { check(archive_write_close(a_.get()), "close"); }

 private:
  void check(int rc, const std::string& what) {
    if (rc != ARCHIVE_OK)
      throw AbortError(internal("writing the bundle (" + what + "): " +
                                (archive_error_string(a_.get()) ? archive_error_string(a_.get()) : "failed")));
  }
  WriteHandle a_;
};

}  // namespace

Result<WrittenBundle> writeBundle(const fs::path& out, Manifest manifest,
                                  const std::map<std::string, std::string>& secrets, const BundleKey& key,
                                  const std::vector<PartSource>& parts, int zstdLevel) {
  const fs::path tmp = out.string() + ".partial";
  try {
    // The parts' sizes and checksums first: the manifest goes first in the bundle.
    manifest.formatVersion = kFormatVersion;
    manifest.keyId = key.id();
    manifest.parts.clear();
    manifest.parts.push_back({kSecretsName, "secrets", "", 0, ""});
    for (auto& src : parts) {
      Part p = src.part;
      if (!safeName(p.name) || p.name == kManifestName || p.name == kSecretsName)
        return internal("part name \"" + p.name + "\" is not a safe relative path");
      std::error_code ec;
      p.size = fs::file_size(src.file, ec);
      if (ec) return internal("cannot read " + src.file.string() + ": " + ec.message());
      auto sum = fileChecksum(src.file);
      if (!sum) return sum.error();
      p.blake2b = *sum;
      manifest.parts.push_back(std::move(p));
    }
    // The secrets part seals the manifest's checksum without its own entry (which it cannot know).
    auto manifestFor = [&] { return json::serialize(manifest.toJson()); };
    json::object secretsDoc;
    for (auto& [k, v] : secrets) secretsDoc[k] = v;
    std::string sealedSecrets;
    {
      // Seal over the manifest as it will be written: the secrets entry's size and checksum
      // depend on the sealed text, so the sealed text names the manifest with those two blank.
      sealedSecrets = key.box().seal(json::serialize(
          json::object{{"manifest", checksumOf(manifestFor())}, {"secrets", std::move(secretsDoc)}}));
    }
    manifest.parts.front().size = sealedSecrets.size();
    manifest.parts.front().blake2b = checksumOf(sealedSecrets);
    const std::string manifestText = json::serialize(manifest.toJson());

    fs::create_directories(out.parent_path().empty() ? fs::path(".") : out.parent_path());
    fs::remove(tmp);
    {
      Writer w(tmp, zstdLevel);
      w.add(kManifestName, manifestText.size(), [&] { w.write(manifestText.data(), manifestText.size()); });
      w.add(kSecretsName, sealedSecrets.size(), [&] { w.write(sealedSecrets.data(), sealedSecrets.size()); });
      std::vector<char> buf(kBlock);
      for (std::size_t i = 0; i < parts.size(); ++i) {
        const auto& p = manifest.parts[i + 1];
        w.add(p.name, p.size, [&] {
          int fd = ::open(parts[i].file.c_str(), O_RDONLY | O_CLOEXEC);
          if (fd < 0) throw AbortError(internal("cannot open " + parts[i].file.string() + ": " + std::strerror(errno)));
          Fd f(fd);
          std::uint64_t left = p.size;
          while (left > 0) {
            ssize_t n = ::read(fd, buf.data(), std::min<std::uint64_t>(buf.size(), left));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) throw AbortError(internal(parts[i].file.string() + " changed while being written"));
            w.write(buf.data(), static_cast<std::size_t>(n));
            left -= static_cast<std::uint64_t>(n);
          }
        });
      }
      w.close();
    }
    {
      int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0 || ::fsync(fd) != 0) {
        if (fd >= 0) ::close(fd);
        throw AbortError(internal("cannot sync " + tmp.string() + ": " + std::strerror(errno)));
      }
      ::close(fd);
    }
    WrittenBundle w;
    w.path = out;
    w.size = fs::file_size(tmp);
    auto sum = fileChecksum(tmp);
    if (!sum) throw AbortError(sum.error());
    w.blake2b = *sum;
    fs::rename(tmp, out);
    syncDirOf(out);
    w.manifest = std::move(manifest);
    return w;
  } catch (const AbortError& e) {
    std::error_code ec;
    fs::remove(tmp, ec);
    return e.error();
  } catch (const std::exception& e) {
    std::error_code ec;
    fs::remove(tmp, ec);
    return internal(std::string("writing the bundle: ") + e.what());
  }
}

// ---------------------------------------------------------------- reading

namespace {

ReadHandle openArchive(const fs::path& file, Error& err) {
  ReadHandle a(archive_read_new());
  archive_read_support_filter_zstd(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), file.c_str(), kBlock) != ARCHIVE_OK) {
    err = bad("bundle", std::string("cannot be opened: ") +
                            (archive_error_string(a.get()) ? archive_error_string(a.get()) : "unknown error"));
    return nullptr;
  }
  return a;
}

std::string archiveError(archive* a) {
  const char* s = archive_error_string(a);
  return s ? s : "unreadable";
}

/// Reads the current entry whole into memory (the manifest and the secrets are small).
Result<std::string> readSmall(archive* a, const std::string& name, std::size_t limit) {
  std::string out;
  char buf[8192];
  for (;;) {
    la_ssize_t n = archive_read_data(a, buf, sizeof buf);
    if (n < 0) return bad(name, "damaged or truncated (" + archiveError(a) + ")");
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > limit) return bad(name, "larger than " + std::to_string(limit) + " bytes");
  }
  return out;
}

Result<Manifest> manifestFrom(archive* a, std::string& text) {
  archive_entry* e = nullptr;
  int rc = archive_read_next_header(a, &e);
  if (rc == ARCHIVE_EOF) return bad(kManifestName, "missing (the bundle is empty)");
  if (rc != ARCHIVE_OK) return bad(kManifestName, "missing or damaged (" + archiveError(a) + ")");
  if (std::string(archive_entry_pathname(e)) != kManifestName)
    return bad(kManifestName, "missing (the first entry is " + std::string(archive_entry_pathname(e)) + ")");
  auto t = readSmall(a, kManifestName, 64u << 20);
  if (!t) return t.error();
  text = std::move(*t);
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec) return bad(kManifestName, "not valid JSON (" + ec.message() + ")");
  return Manifest::fromJson(v);
}

}  // namespace

Result<Manifest> readManifest(const fs::path& file) {
  if (!fs::exists(file)) return Error::notFound("no bundle at " + file.string());
  Error err;
  auto a = openArchive(file, err);
  if (!a) return err;
  std::string text;
  return manifestFrom(a.get(), text);
}

Result<OpenedBundle> readBundle(const fs::path& file, const BundleKey& key, const std::optional<fs::path>& extractTo) {
  if (!fs::exists(file)) return Error::notFound("no bundle at " + file.string());
  Error err;
  auto a = openArchive(file, err);
  if (!a) return err;
  std::string manifestText;
  auto m = manifestFrom(a.get(), manifestText);
  if (!m) return m.error();
  OpenedBundle out;
  out.manifest = std::move(*m);
  const auto& parts = out.manifest.parts;

  std::size_t next = 0;  // parts come in the manifest's order
  std::vector<char> buf(kBlock);
  for (;;) {
    archive_entry* e = nullptr;
    int rc = archive_read_next_header(a.get(), &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
      auto name = next < parts.size() ? parts[next].name : std::string("bundle");
      return bad(name, "missing or damaged: the bundle ends or breaks before it (" + archiveError(a.get()) + ")");
    }
    std::string name = archive_entry_pathname(e);
    if (next >= parts.size()) return bad(name, "not listed in the manifest");
    const Part& p = parts[next];
    if (name != p.name) {
      bool listed = false;
      for (auto& q : parts) listed = listed || q.name == name;
      if (!listed) return bad(name, "not listed in the manifest");
      return bad(p.name, "missing (found " + name + " in its place)");
    }
    ++next;

    if (p.name == kSecretsName) {
      auto sealed = readSmall(a.get(), p.name, 16u << 20);
      if (!sealed) return sealed.error();
      if (sealed->size() != p.size) return bad(p.name, "has " + std::to_string(sealed->size()) + " bytes, the manifest says " + std::to_string(p.size));
      if (checksumOf(*sealed) != p.blake2b) return bad(p.name, "its checksum does not match the manifest");
      auto clear = key.box().open(*sealed);
      if (!clear)
        return bad(p.name, "does not decrypt with this bundle key (key " + key.id() + "; the bundle was sealed with key " +
                               out.manifest.keyId + ")");
      boost::system::error_code ec;
      auto doc = json::parse(*clear, ec);
      if (ec || !doc.is_object() || !doc.get_object().contains("secrets") ||
          !doc.at("secrets").is_object() || !doc.get_object().contains("manifest"))
        return bad(p.name, "decrypts to something that is not a secrets document");
      // The sealed checksum is of the manifest with the secrets entry's size and checksum blank.
      Manifest blank = out.manifest;
      blank.parts.front().size = 0;
      blank.parts.front().blake2b = "";
      if (doc.at("manifest") != json::value(checksumOf(json::serialize(blank.toJson()))))
        return bad(kManifestName, "altered: it is not the manifest the secrets were sealed with");
      for (auto& [k, v] : doc.at("secrets").get_object()) {
        if (!v.is_string()) return bad(p.name, "secret " + std::string(k) + " is not a string");
        out.secrets[std::string(k)] = std::string(v.get_string());
      }
      continue;
    }
    if (next == 1) return bad(kSecretsName, "missing");

    std::unique_ptr<std::ofstream> sink;
    fs::path target;
    if (extractTo) {
      target = *extractTo / p.name;
      fs::create_directories(target.parent_path());
      sink = std::make_unique<std::ofstream>(target, std::ios::binary | std::ios::trunc);
      if (!*sink) return internal("cannot write " + target.string());
    }
    auto fail = [&](Error er) -> Error {
      if (sink) {
        sink.reset();
        std::error_code ec;
        fs::remove(target, ec);
      }
      return er;
    };
    Hasher h;
    std::uint64_t size = 0;
    for (;;) {
      la_ssize_t n = archive_read_data(a.get(), buf.data(), buf.size());
      if (n < 0) return fail(bad(p.name, "damaged or truncated (" + archiveError(a.get()) + ")"));
      if (n == 0) break;
      h.update(buf.data(), static_cast<std::size_t>(n));
      size += static_cast<std::uint64_t>(n);
      if (sink) sink->write(buf.data(), n);
    }
    if (size != p.size)
      return fail(bad(p.name, "has " + std::to_string(size) + " bytes, the manifest says " + std::to_string(p.size)));
    if (h.final() != p.blake2b) return fail(bad(p.name, "its checksum does not match the manifest (altered)"));
    if (sink) {
      sink->close();
      if (!*sink) return fail(internal("cannot write " + target.string()));
    }
  }
  if (next < parts.size())
    return bad(parts[next].name, "missing: the bundle ends before it (truncated, or the part was removed)");
  return out;
}

}  // namespace fedihost::bundle
