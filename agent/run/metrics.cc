#include "agent/run/metrics.h"

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace warren::run {
namespace {

std::string Escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string LabelText(const Labels& labels, const std::string& extra_key = "", const std::string& extra_value = "") {
  std::string out;
  for (const auto& [k, v] : labels) out += (out.empty() ? "" : ",") + k + "=\"" + Escape(v) + "\"";
  if (!extra_key.empty()) out += (out.empty() ? "" : ",") + extra_key + "=\"" + extra_value + "\"";
  return out.empty() ? "" : "{" + out + "}";
}

std::string Number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);  // the shortest text that reads back as v
  return std::string(buf, r.ptr);
}

}  // namespace

Metrics::Metrics() {
  // Every family the agent writes is declared here, so /metrics documents itself.
  Define("warren_reconcile_total", Type::kCounter,
         "Reconciles by source and result (success, needs_action, failure, error).");
  Define("warren_reconcile_duration_seconds", Type::kHistogram, "Time one reconcile took, by source.",
         {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300});
  Define("warren_drifted_objects", Type::kGauge,
         "Objects that differed from git at the last check, by source and kind.");
  Define("warren_drift_corrections_total", Type::kCounter,
         "Drifted objects warren put back, by source, kind and the field manager that changed them.");
  Define("warren_orphaned_objects", Type::kGauge,
         "Objects removed from git but left in place because prune is off, by source and kind.");
  Define("warren_events_dropped_total", Type::kCounter,
         "Kubernetes Events not sent because one object and reason sent too many, by source.");
  Define("warren_last_applied_commit_info", Type::kGauge, "The commit last applied in full, as a label (value 1).");
  Define("warren_last_reconcile_timestamp_seconds", Type::kGauge, "Unix time the last reconcile of a source ended.");
  Define("warren_git_polls_total", Type::kCounter, "Git polls by source and result (unchanged, new_commit, error).");
  Define("warren_watch_events_total", Type::kCounter, "Watch events received, by source and kind.");
  Define("warren_http_refused_total", Type::kCounter,
         "Requests to the webhook listener closed unanswered by a handler, by reason (timeout, evicted, "
         "too_large, bad_request, busy).");
  Define("warren_watch_relists_total", Type::kCounter,
         "Lists after a watch's first, by source and kind: its history expired (410) or it failed.");
  Define("warren_watch_restarts_total", Type::kCounter,
         "Watch requests started again, by source, kind and reason (ended: closed by the server; error).");
  Define("warren_rabbitmq_node_reachable", Type::kGauge,
         "1 when a RabbitMQ node answered its health checks within the probe's deadline, by source and node.");
  Define("warren_rabbitmq_nodes_running", Type::kGauge, "RabbitMQ nodes running, by source.");
  Define("warren_rabbitmq_nodes_expected", Type::kGauge, "RabbitMQ nodes the source expects, by source.");
  Define("warren_rabbitmq_mirrored_queues_synchronised", Type::kGauge,
         "Classic mirrored queues with every expected mirror in sync.");
  Define("warren_rabbitmq_mirrored_queues", Type::kGauge, "Classic queues under an ha-* policy.");
  Define("warren_rabbitmq_quorum_queues_online", Type::kGauge, "Quorum queues with every member online and a leader.");
  Define("warren_rabbitmq_quorum_queues", Type::kGauge, "Quorum queues.");
  Define("warren_rabbitmq_healthy", Type::kGauge, "1 when the RabbitMQ cluster has no problem, 0 otherwise.");
  Define("warren_rollout_pods_updated", Type::kGauge,
         "Pods of a broker-aware StatefulSet rollout at the new template, by source and statefulset.");
  Define("warren_rollout_pods", Type::kGauge, "Replicas of a broker-aware StatefulSet, by source and statefulset.");
  Define("warren_rollout_halted", Type::kGauge,
         "1 while a rollout's current wait has outlasted its timeout (held, nothing forced).");
  Define("warren_rollout_blocked_seconds", Type::kGauge,
         "How long a rollout has waited for a broker check (a gate or a rejoin), by source and statefulset.");
  Define("warren_rollout_steps_total", Type::kCounter,
         "Rollout steps taken (a partition lowered, a pod deleted, a replica removed), by source and statefulset.");
  Define("warren_webhooks_total", Type::kCounter,
         "Webhook deliveries by forge and result (accepted, ping, ignored, duplicate, unauthorized, too_large, ...).");
  Define("warren_leader", Type::kGauge, "1 while this replica holds the leader Lease (or runs without election).");
  // The standard process metrics (process_metrics.h), as every Prometheus client library names them.
  Define("process_cpu_seconds_total", Type::kCounter, "Total user and system CPU time spent in seconds.");
  Define("process_resident_memory_bytes", Type::kGauge, "Resident memory size in bytes.");
  Define("process_virtual_memory_bytes", Type::kGauge, "Virtual memory size in bytes.");
  Define("process_start_time_seconds", Type::kGauge, "Start time of the process since unix epoch in seconds.");
  Define("process_open_fds", Type::kGauge, "Number of open file descriptors.");
  Define("process_max_fds", Type::kGauge, "Maximum number of open file descriptors.");
}

void Metrics::Define(const std::string& name, Type type, const std::string& help, std::vector<double> buckets) {
  families_[name] = Family{type, help, std::move(buckets), {}, {}, {}};
}

Metrics::Family& Metrics::Get(const std::string& name) {
  auto it = families_.find(name);
  if (it == families_.end()) throw std::logic_error("metric not declared: " + name);
  return it->second;
}

void Metrics::Inc(const std::string& counter, const Labels& labels, double by) {
  std::lock_guard<std::mutex> lock(mu_);
  Get(counter).values[labels] += by;
}

void Metrics::Set(const std::string& gauge, const Labels& labels, double value) {
  std::lock_guard<std::mutex> lock(mu_);
  Get(gauge).values[labels] = value;
}

void Metrics::Clear(const std::string& gauge, const Labels& match) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(Get(gauge).values, [&](const auto& series) {
    for (const auto& [k, v] : match) {
      auto it = series.first.find(k);
      if (it == series.first.end() || it->second != v) return false;
    }
    return true;
  });
}

void Metrics::Observe(const std::string& histogram, const Labels& labels, double value) {
  std::lock_guard<std::mutex> lock(mu_);
  Family& f = Get(histogram);
  auto& counts = f.bucket_counts[labels];
  counts.resize(f.buckets.size() + 1);
  for (size_t i = 0; i < f.buckets.size(); ++i)
    if (value <= f.buckets[i]) ++counts[i];
  ++counts.back();
  f.sums[labels] += value;
}

double Metrics::Value(const std::string& name, const Labels& labels) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  auto v = it->second.values.find(labels);
  return v == it->second.values.end() ? 0 : v->second;
}

std::string Metrics::Render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    const char* type = f.type == Type::kCounter ? "counter" : f.type == Type::kGauge ? "gauge" : "histogram";
    out += "# HELP " + name + " " + f.help + "\n# TYPE " + name + " " + type + "\n";
    if (f.type != Type::kHistogram) {
      for (const auto& [labels, v] : f.values) out += name + LabelText(labels) + " " + Number(v) + "\n";
      continue;
    }
    for (const auto& [labels, counts] : f.bucket_counts) {
      for (size_t i = 0; i < f.buckets.size(); ++i)
        out += name + "_bucket" + LabelText(labels, "le", Number(f.buckets[i])) + " " + Number(counts[i]) + "\n";
      out += name + "_bucket" + LabelText(labels, "le", "+Inf") + " " + Number(counts.back()) + "\n";
      out += name + "_sum" + LabelText(labels) + " " + Number(f.sums.at(labels)) + "\n";
      out += name + "_count" + LabelText(labels) + " " + Number(counts.back()) + "\n";
    }
  }
  return out;
}

}  // namespace warren::run
