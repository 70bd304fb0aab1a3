// Containers created per minute by the "lxc" machine provider from the cached
// root filesystem: N machines created (each started and RUNNING before create
// returns) by P threads, with the rootfs copied and with it overlaid; then all
// removed. Run through bench/lxc/run.sh (it prepares the site with
// scripts/site/lxc.sh and passes its provider.json).
//   bench_lxc PROVIDER_JSON N P OUT_JSON
#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include "providers/provider.hh"

using namespace fedihost;
using namespace fedihost::providers;
using Clock = std::chrono::steady_clock;

namespace {

json::object readJson(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str()).as_object();
}

Resource machine(int i) {
  Resource r;
  r.deployment = "dep_bench" + std::to_string(i);
  r.kind = ResourceKind::Machine;
  r.name = "main";
  r.key = resourceKey(r.deployment, r.kind, r.name);
  r.attributes = {{"hostname", "bench-" + std::to_string(i)},
                  {"cpu", 1},
                  {"memoryMiB", 512},
                  {"diskGiB", 5},
                  {"address", "10.214." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 2)}};
  return r;
}

/// Runs fn(i) for i in [0, n) on p threads; the wall time in seconds; throws on the first failure.
double parallel(int n, int p, const std::function<void(int)>& fn) {
  std::atomic<int> next{0};
  std::string failure;
  std::mutex mu;
  auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < p; ++t)
    threads.emplace_back([&] {
      for (int i; (i = next++) < n;) {
        try {
          fn(i);
        } catch (const std::exception& e) {
          std::lock_guard g(mu);
          if (failure.empty()) failure = e.what();
        }
      }
    });
  for (auto& t : threads) t.join();
  if (!failure.empty()) throw std::runtime_error(failure);
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: bench_lxc PROVIDER_JSON N P OUT_JSON\n";
    return 2;
  }
  registerBuiltinProviders();
  const auto settings = readJson(argv[1]).at("machine").as_object().at("settings").as_object();
  const int n = std::stoi(argv[2]), p = std::stoi(argv[3]);
  json::array results;
  for (std::string mode : {"overlay", "copy"}) {
    auto s = settings;
    s["rootfs"] = mode;
    auto provider = std::move(Registry<MachineProvider>::instance().make({"lxc", {}, s, "bench", ""})).orThrow();
    std::vector<ResolvedResource> rs;
    for (int i = 0; i < n; ++i) rs.push_back({machine(i), nullptr});
    double created = 0, removed = 0;
    try {
      created = parallel(n, p, [&](int i) {
        auto o = provider->create(rs[static_cast<std::size_t>(i)]);
        if (!o) throw std::runtime_error("create " + std::to_string(i) + ": " + o.error().message);
        if (o->attributes.at("state") != "running") throw std::runtime_error("container " + std::to_string(i) + " not running");
      });
    } catch (const std::exception& e) {
      std::cerr << mode << ": " << e.what() << "\n";
      for (auto& r : rs) (void)provider->remove(r);
      return 1;
    }
    removed = parallel(n, p, [&](int i) {
      if (auto ok = provider->remove(rs[static_cast<std::size_t>(i)]); !ok)
        throw std::runtime_error("remove: " + ok.error().message);
    });
    json::object r{{"rootfs", mode},
                   {"containers", n},
                   {"threads", p},
                   {"createSeconds", created},
                   {"createdPerMinute", n / created * 60},
                   {"msPerCreate", created * 1000 / n},
                   {"removeSeconds", removed},
                   {"removedPerMinute", n / removed * 60}};
    std::cout << json::serialize(r) << std::endl;
    results.push_back(std::move(r));
  }
  std::ofstream(argv[4]) << json::serialize(results) << "\n";
  return 0;
}
