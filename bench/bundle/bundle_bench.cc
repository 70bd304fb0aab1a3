// bench_bundle: writing and verifying a bundle of N MiB of data parts, against
// `tar -c | zstd -3` of the same files (the floor: the same archive and compressor,
// without checksums, sealing, sync and rename).
//   bench_bundle [MiB=256] [files=64]
// The data: half random bytes (incompressible, like media), half repetitive text (like
// a database dump). Prints one line per measure and a JSON line at the end.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <unistd.h>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "bundle/bundle.hh"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using fedihost::bundle::BundleKey;

static double seconds(Clock::time_point a) { return std::chrono::duration<double>(Clock::now() - a).count(); }

int main(int argc, char** argv) {
  const std::size_t mib = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 256;
  const std::size_t files = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 64;
  const fs::path dir = fs::temp_directory_path() / ("bench-bundle-" + std::to_string(::getpid()));
  fs::create_directories(dir / "data");
  std::mt19937_64 rng(42);
  const std::size_t each = mib * 1024 * 1024 / files;
  std::vector<fedihost::bundle::PartSource> parts;
  for (std::size_t i = 0; i < files; ++i) {
    std::string bytes(each, '\0');
    if (i % 2 == 0) {
      for (std::size_t j = 0; j + 8 <= bytes.size(); j += 8) {
        auto v = rng();
        std::memcpy(bytes.data() + j, &v, 8);
      }
    } else {
      std::string line = "INSERT INTO statuses VALUES (" + std::to_string(i) + ", 'toot toot, the fediverse says hello');\n";
      for (std::size_t j = 0; j < bytes.size(); ++j) bytes[j] = line[j % line.size()];
    }
    auto name = "f" + std::to_string(i);
    std::ofstream(dir / "data" / name, std::ios::binary) << bytes;
    parts.push_back({{"parts/bucket/media/" + name, "bucket", "media"}, dir / "data" / name});
  }
  auto key = BundleKey::openOrCreate(dir / "bundle.key");
  std::map<std::string, std::string> secrets{{"app-database-password", "x"}};

  auto t0 = Clock::now();
  auto w = fedihost::bundle::writeBundle(dir / "out.fhb", {}, secrets, key, parts);
  const double write = seconds(t0);
  if (!w) {
    std::cerr << w.error().message << "\n";
    return 1;
  }
  t0 = Clock::now();
  auto r = fedihost::bundle::readBundle(dir / "out.fhb", key);
  const double verify = seconds(t0);
  if (!r) {
    std::cerr << r.error().message << "\n";
    return 1;
  }
  t0 = Clock::now();
  std::string cmd = "tar -C " + (dir / "data").string() + " -cf - . | zstd -3 -q -T1 > " + (dir / "tar.zst").string();
  if (std::system(cmd.c_str()) != 0) return 1;
  const double tarZstd = seconds(t0);
  const auto tarSize = fs::file_size(dir / "tar.zst");
  std::printf("data: %zu MiB in %zu files\n", mib, files);
  std::printf("bundle write  %.2f s  %.0f MiB/s  %ju bytes\n", write, mib / write, static_cast<std::uintmax_t>(w->size));
  std::printf("bundle verify %.2f s  %.0f MiB/s\n", verify, mib / verify);
  std::printf("tar | zstd -3 %.2f s  %.0f MiB/s  %ju bytes\n", tarZstd, mib / tarZstd, static_cast<std::uintmax_t>(tarSize));
  std::printf("{\"mib\":%zu,\"files\":%zu,\"bundleWriteS\":%.3f,\"bundleVerifyS\":%.3f,\"tarZstdS\":%.3f,\"bundleBytes\":%ju,\"tarZstdBytes\":%ju}\n",
              mib, files, write, verify, tarZstd, static_cast<std::uintmax_t>(w->size), static_cast<std::uintmax_t>(tarSize));
  fs::remove_all(dir);
  return 0;
}
