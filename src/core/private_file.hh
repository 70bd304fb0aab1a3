#pragma once
// Files that hold state or secrets: created with mode 0600 (directories 0700)
// at creation, never widened and narrowed afterwards, never through a link.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hh"

namespace fedihost::files {

/// Creates `dir` and its missing parents, each new one with mode 0700 (existing ones are left as they are).
Result<void> makePrivateDirs(const std::filesystem::path& dir);

enum class Replace { Yes, No };

/// Writes `content` to `path` whole or not at all: a temporary file next to it, created
/// O_CREAT|O_EXCL|O_NOFOLLOW with mode 0600, fsynced, then renamed over `path`
/// (Replace::Yes) or linked to it only if absent (Replace::No: false if `path` exists).
/// The parent directory is created 0700 if missing and fsynced after.
Result<bool> writePrivateFile(const std::filesystem::path& path, std::string_view content,
                              Replace replace = Replace::Yes);

/// The whole content of a regular file, opened without following a final symbolic link;
/// nullopt if it does not exist.
Result<std::optional<std::string>> readFile(const std::filesystem::path& path);

/// fsync of a directory (after a rename or link in it); best effort.
void syncDir(const std::filesystem::path& dir);

}  // namespace fedihost::files
