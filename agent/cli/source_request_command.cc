#include "agent/cli/commands.h"
#include "agent/cli/kube_connect.h"
#include "agent/run/source_requests.h"
#include "agent/run/warren_source.h"

namespace warren::cli {

int RunSourceRequest(const SourceRequestArgs& a, std::ostream& out, std::ostream& err) {
  const std::string prefix = "warren " + a.verb + ": ";
  auto client = ConnectKube(a.kube, a.namespace_given ? a.default_namespace : "");
  if (!client.ok()) {
    err << prefix << client.status().message() << "\n";
    return kExitError;
  }
  run::SourceRef ref{DefaultNamespace(a.kube, a.namespace_given, a.default_namespace), a.name};
  if (a.verb == "suspend" || a.verb == "resume") {
    auto done = run::SetSuspended(*client.value(), ref, a.verb == "suspend");
    if (!done.ok()) {
      err << prefix << done.status().message() << "\n";
      return kExitError;
    }
    out << ref.ToString()
        << (a.verb == "suspend" ? " suspended: nothing is written, drift is still reported\n" : " resumed\n");
    return kExitClean;
  }
  StopSource stop;
  const std::string requested_at = UtcTimestamp(6);
  out << ref.ToString() << ": reconcile requested (" << run::kReconcileRequestedAt << "=" << requested_at << ")\n";
  auto answer = run::RequestReconcile(*client.value(), ref, requested_at, std::chrono::milliseconds(a.timeout_ms),
                                      Clock::Real(), stop.token());
  if (!answer.ok()) {
    err << prefix << answer.status().message() << "\n";
    return kExitError;
  }
  const run::ReconcileAnswer& r = answer.value();
  out << ref.ToString() << ": Ready " << (r.ready.empty() ? "(none)" : r.ready) << " (" << r.reason
      << "): " << r.message << "\n";
  if (!r.revision.empty()) out << ref.ToString() << ": applied revision " << r.revision << "\n";
  return r.ready == "True" ? kExitClean : kExitFindings;
}

}  // namespace warren::cli
