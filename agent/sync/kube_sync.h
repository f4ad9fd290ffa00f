// Applying the desired Kubernetes objects safely: server-side apply as field manager warren in
// dependency order, conflicts reported (taken over only with force), readiness waited for, the
// immutable-field changes a RabbitMQ StatefulSet needs done without losing pods or data, and prune
// limited to what warren's inventory says it applied.
//
// The rules, in order of surprise:
//  - `warren.io/reconcile: disabled` on an object: left alone.
//  - A StatefulSet whose immutable spec changed is deleted with propagationPolicy Orphan (uid
//    precondition) and re-created, so its pods and claims stay and the new one adopts them; a larger
//    volumeClaimTemplate storage request first expands every existing claim.
//  - A RoleBinding roleRef change is delete + create. Other immutable changes need the annotation
//    `warren.io/recreate: "true"`.
//  - Prune (`prune`) deletes only objects in the inventory (a ConfigMap `warren-inventory` in the
//    inventory namespace), still labelled app.kubernetes.io/managed-by=warren, without
//    `warren.io/prune: disabled`; never Namespaces or PersistentVolumeClaims. A failed deletion
//    stays in the inventory and is retried next time.
//  - The inventory is written after the applies, whatever failed, so it never loses an object
//    warren applied.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "agent/kube/client.h"
#include "diff/engine/apply_report.h"
#include "diff/model/object.h"

namespace warren::sync {

struct KubeSyncOptions {
  bool dry_run = false;
  bool prune = false;
  bool force_conflicts = false;
  bool continue_on_error = false;  // default: stop at the first failing stage
  int timeout_seconds = 300;       // readiness wait
  std::string inventory_namespace = "default";
  std::string source = "warren";   // the value of the warren.io/source label
  std::ostream* progress = nullptr;  // waiting messages, when a person is watching
};

diff::ApplyReport SyncKubernetes(kube::KubeClient& client, const std::vector<Object>& desired, const KubeSyncOptions& options);

}  // namespace warren::sync
