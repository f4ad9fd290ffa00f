// The agent's metrics, served at /metrics in the Prometheus text exposition format (0.0.4):
// counters, gauges and histograms with labels, each family with its HELP and TYPE. Thread-safe:
// the reconcile workers write, the HTTP listener reads.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace warren::run {

using Labels = std::map<std::string, std::string>;

class Metrics {
 public:
  Metrics();

  void Inc(const std::string& counter, const Labels& labels = {}, double by = 1);
  void Set(const std::string& gauge, const Labels& labels, double value);
  // Removes every series of `gauge` whose labels include all of `match` (a commit no longer live).
  void Clear(const std::string& gauge, const Labels& match);
  void Observe(const std::string& histogram, const Labels& labels, double value);

  // Current value of a counter or gauge series (tests).
  double Value(const std::string& name, const Labels& labels) const;

  std::string Render() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Family {
    Type type;
    std::string help;
    std::vector<double> buckets;  // histograms
    std::map<Labels, double> values;
    std::map<Labels, std::vector<double>> bucket_counts;  // histograms: per le bucket, plus +Inf
    std::map<Labels, double> sums;
  };
  void Define(const std::string& name, Type type, const std::string& help, std::vector<double> buckets = {});
  Family& Get(const std::string& name);

  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
};

}  // namespace warren::run
