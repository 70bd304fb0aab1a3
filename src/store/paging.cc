#include "store/paging.hh"

#include <sodium.h>

#include <cstring>

namespace fedihost::store {

// Cursors are opaque to clients: base64url of "<created_at>|<id>" of the last item of a page.
std::string makeCursor(const std::string& createdAt, const std::string& id) {
  std::string raw = createdAt + "|" + id;
  std::string out(sodium_base64_encoded_len(raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()), raw.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::strlen(out.c_str()));
  return out;
}

std::pair<std::string, std::string> splitCursor(const std::string& cursor) {
  std::string raw(cursor.size(), '\0');
  std::size_t len = 0;
  if (cursor.empty() ||
      sodium_base642bin(reinterpret_cast<unsigned char*>(raw.data()), raw.size(), cursor.data(), cursor.size(),
                        nullptr, &len, nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
    return {"", ""};
  raw.resize(len);
  auto bar = raw.find('|');
  if (bar == std::string::npos) return {"", ""};
  return {raw.substr(0, bar), raw.substr(bar + 1)};
}

bool isCursor(const std::string& cursor) { return !splitCursor(cursor).second.empty(); }

}  // namespace fedihost::store
