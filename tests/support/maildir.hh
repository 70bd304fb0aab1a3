#pragma once
// Reading what a test site's Postfix delivered into a maildir.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace fedihost::testing {

/// The first message in `mailbox`/new that contains `needle`, waiting for its
/// delivery (at most 20 s); empty if none arrived.
inline std::string awaitMessage(const std::filesystem::path& mailbox, const std::string& needle) {
  const auto dir = mailbox / "new";
  for (int i = 0; i < 400; ++i) {
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator();
         it.increment(ec)) {
      std::ifstream in(it->path(), std::ios::binary);
      std::stringstream text;
      text << in.rdbuf();
      if (text.str().find(needle) != std::string::npos) return text.str();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return {};
}

}  // namespace fedihost::testing
