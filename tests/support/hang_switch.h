// Makes requests hang, as against a SIGSTOPped process (connections taken, nothing answered),
// until Resume() — or until the waiting request is stopped. Used by the fakes that can hang.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>

namespace warren::testing {

class HangSwitch {
 public:
  void Hang() {
    std::lock_guard<std::mutex> lock(mu_);
    hung_ = true;
  }
  void Resume() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      hung_ = false;
    }
    resumed_.notify_all();
  }
  // Blocks while hung; false when `stopped` (looked at every few milliseconds) came first.
  bool Pass(const std::function<bool()>& stopped = [] { return false; }) {
    std::unique_lock<std::mutex> lock(mu_);
    while (hung_ && !stopped()) resumed_.wait_for(lock, std::chrono::milliseconds(5));
    return !hung_ || !stopped();
  }

 private:
  std::mutex mu_;
  std::condition_variable resumed_;
  bool hung_ = false;
};

}  // namespace warren::testing
