#include "core/periodic_thread.hh"

#include <spdlog/spdlog.h>

namespace fedihost {

PeriodicThread::PeriodicThread(std::string what, std::chrono::seconds interval, std::function<void()> round)
    : what_(std::move(what)), interval_(interval), round_(std::move(round)) {}

PeriodicThread::~PeriodicThread() { stop(); }

void PeriodicThread::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void PeriodicThread::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PeriodicThread::loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    try {
      round_();
      ++rounds_;
    } catch (const std::exception& e) {
      ++failures_;
      spdlog::error("{} failed (tried again in {} s): {}", what_, interval_.count(), e.what());
    }
    lock.lock();
    cv_.wait_for(lock, interval_, [this] { return stopping_; });
  }
}

}  // namespace fedihost
