#include "orchestrator/key_rotation.hh"

#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <boost/json.hpp>
#include <map>
#include <set>

#include "core/private_file.hh"
#include "store/sql.hh"

namespace fedihost::orchestrator {
namespace {

namespace fs = std::filesystem;

/// Columns of the state database that hold sealed values: whole values, or JSON
/// documents with {"sealed": "sb…"} inside (resolved attributes, journal entries).
struct Column {
  const char* table;
  const char* column;
  bool json;
};
constexpr Column kColumns[] = {
    {"secrets", "sealed", false},         {"users", "totp_secret", false}, {"users", "totp_pending", false},
    {"resources", "attributes", true},    {"resources", "outputs", true},  {"run_steps", "resource", true},
    {"saved_plans", "actions", true},
    {"acme_accounts", "key_sealed", false},  {"acme_certificates", "key_sealed", false},  // the ACME keys
};

/// The sealed strings inside a JSON value.
void collectSealed(const boost::json::value& v, std::vector<std::string>& out) {
  if (auto* s = v.if_string()) {
    if (secrets::SecretBox::looksSealed(*s)) out.emplace_back(*s);
  } else if (auto* a = v.if_array()) {
    for (auto& e : *a) collectSealed(e, out);
  } else if (auto* o = v.if_object()) {
    for (auto& kv : *o) collectSealed(kv.value(), out);
  }
}

/// The sealed strings in a text: the text itself, or inside it if it is JSON.
std::vector<std::string> sealedIn(const std::string& text, bool json) {
  std::vector<std::string> out;
  if (!json) {
    if (secrets::SecretBox::looksSealed(text)) out.push_back(text);
    return out;
  }
  if (text.find("sb1:") == std::string::npos && text.find("sb2:") == std::string::npos) return out;
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (!ec) collectSealed(v, out);
  return out;
}

void replaceAll(std::string& text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

/// Files of the data directory that may hold sealed values: target configurations and
/// the file targets' records (JSON).
std::vector<fs::path> candidateFiles(const DataDir& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  auto base = dir.targetConfigDir();
  if (!fs::is_directory(base, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(base, fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->is_regular_file(ec) && it->path().extension() == ".json" && !it->path().filename().string().starts_with("."))
      out.push_back(it->path());
  }
  return out;
}

struct Place {
  std::string name;
  std::function<std::vector<std::string>()> read;
};

}  // namespace

std::vector<SealedValue> findSealedValues(const DataDir& dir) {
  std::vector<SealedValue> out;
  auto conn = store::connect(dir.stateUrl());
  for (auto& c : kColumns)
    for (auto& row : conn->query(std::string("SELECT ") + c.column + " FROM " + c.table))
      for (auto& s : sealedIn(row.text(0), c.json)) out.push_back({std::string(c.table) + "." + c.column, s});
  for (auto& f : candidateFiles(dir)) {
    auto text = files::readFile(f);
    if (!text || !*text) continue;
    for (auto& s : sealedIn(**text, true)) out.push_back({f.string(), s});
  }
  return out;
}

Result<RotationReport> rotateMasterKey(const DataDir& dir, const RotationHook& hook) {
  const fs::path keyFile = dir.secretKey();
  const fs::path nextFile = keyFile.string() + ".next";
  std::error_code ec;
  if (!fs::exists(keyFile, ec))
    return Error::invalid("master_key_file", "there is no master key at " + keyFile.string() + " to rotate");
  if (const char* creds = std::getenv("CREDENTIALS_DIRECTORY"); creds && *creds && keyFile.string().starts_with(creds))
    return Error::invalid("master_key_file", "the master key is a systemd credential (" + keyFile.string() +
                                                 "), which fedihost cannot replace: rotate the key file the "
                                                 "credential is loaded from (--master-key-file FILE)");

  RotationReport report;
  auto oldKey = secrets::SecretBox::readKeyFile(keyFile);
  report.oldKeyId = secrets::keyIdOf(oldKey);
  // 1. The next key, whole or not at all; a previous interrupted rotation's is reused.
  report.resumed = !secrets::SecretBox::createKeyFile(nextFile);
  auto newKey = secrets::SecretBox::readKeyFile(nextFile);
  report.newKeyId = secrets::keyIdOf(newKey);
  secrets::SecretBox box(newKey);  // seals under the new key, opens under either
  box.addOpeningKey(oldKey);
  sodium_memzero(oldKey.data(), oldKey.size());
  sodium_memzero(newKey.data(), newKey.size());

  if (report.oldKeyId == report.newKeyId) {  // the key file was already promoted; nothing to do but clean up
    ::unlink(nextFile.c_str());
    return report;
  }
  auto underNew = [&](const std::string& s) { return secrets::SecretBox::keyIdOf(s) == report.newKeyId; };
  auto reseal = [&](const std::string& sealed, const std::string& where) -> Result<std::string> {
    auto clear = box.open(sealed);
    if (!clear) return Error::invalid(where, where + ": a sealed value cannot be opened: " + clear.error().message);
    auto s = box.seal(*clear);
    sodium_memzero(clear->data(), clear->size());
    return s;
  };
  int count = 0;
  auto done = [&] {
    ++count;
    ++report.resealed;
    if (hook) hook(count);
  };

  // 2. The state database, row by row, each in its own transaction (compare-and-set on the old text).
  auto conn = store::connect(dir.stateUrl());
  for (auto& c : kColumns) {
    const std::string where = std::string("state.db ") + c.table + "." + c.column;
    // Rows are found again by their old text (the compare-and-set): no column every table and
    // both databases share identifies a row (SQLite's rowid is not PostgreSQL's). Rows with the
    // same text (a resource copied into several run steps) are re-sealed together, once.
    auto rows = conn->query(std::string("SELECT ") + c.column + " FROM " + c.table);
    std::set<std::string> seen;
    bool found = false;
    for (auto& row : rows) {
      std::string text = row.text(0);
      if (!seen.insert(text).second) continue;
      auto sealed = sealedIn(text, c.json);
      if (sealed.empty()) continue;
      found = true;
      std::string updated = text;
      bool changed = false;
      for (auto& s : sealed) {
        if (underNew(s)) {
          ++report.alreadyNew;
          continue;
        }
        auto n = reseal(s, where);
        if (!n) return n.error();
        replaceAll(updated, s, *n);
        changed = true;
      }
      if (!changed) continue;
      store::Transaction tx(*conn, true);
      auto n = conn->execute(std::string("UPDATE ") + c.table + " SET " + c.column + " = ?1 WHERE " + c.column + " = ?2",
                             {updated, text});
      if (n < 1) return Error::conflict(where + " changed during the rotation; is a server running on this data directory?");
      tx.commit();
      done();
    }
    if (found) report.places.push_back(where);
  }

  // 3. Files: target configurations ({"sealed": …} credentials) and the file targets' records, each replaced whole.
  for (auto& f : candidateFiles(dir)) {
    auto text = files::readFile(f);
    if (!text) return text.error();
    if (!*text) continue;
    auto sealed = sealedIn(**text, true);
    if (sealed.empty()) continue;
    report.places.push_back(f.string());
    std::string updated = **text;
    bool changed = false;
    for (auto& s : sealed) {
      if (underNew(s)) {
        ++report.alreadyNew;
        continue;
      }
      auto n = reseal(s, f.string());
      if (!n) return n.error();
      replaceAll(updated, s, *n);
      changed = true;
    }
    if (!changed) continue;
    if (auto w = files::writePrivateFile(f, updated); !w) return w.error();
    done();
  }

  // 4. Nothing may be left under another key before the old key goes.
  for (auto& v : findSealedValues(dir))
    if (!underNew(v.sealed))
      return Error::conflict("a value in " + v.place + " is still sealed under another key; rerun the rotation");
  if (hook) hook(-1);
  // 5. The new key becomes current; the old one is gone with the rename.
  if (::rename(nextFile.c_str(), keyFile.c_str()) != 0)
    return Error{ErrorKind::Internal, "cannot rename " + nextFile.string() + " to " + keyFile.string() + ": " +
                                          std::strerror(errno), {}};
  files::syncDir(keyFile.parent_path());
  return report;
}

}  // namespace fedihost::orchestrator
