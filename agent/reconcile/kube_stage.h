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
//  - The inventory is read before anything is written. When it cannot be read (or does not parse),
//    nothing is applied, pruned or saved: the stage fails. Guessing "empty" would make the next
//    save forget what warren owns.
//  - The inventory is written ahead: before the first write that could create a prunable object,
//    it already lists what is recorded plus every desired object; when that write fails, nothing
//    else is applied. After the applies and prunes it is written again with what this run kept,
//    whatever failed. A kill at any point therefore leaves no applied object unrecorded.
//  - Stages go in order (Namespaces, ServiceAccounts, Secrets, ConfigMaps, RBAC, Services,
//    StatefulSets, ...); within one stage the objects do not depend on each other, so up to
//    `concurrency` of its writes are in flight at once. A failed write stops the stages after its
//    own (the rest of its stage still goes), exactly as one at a time would.
//  - Every wait (deletion, readiness) ends at the timeout or the stop token, whichever is first.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "agent/kube/client.h"
#include "agent/util/cancel.h"
#include "diff/engine/apply_report.h"
#include "diff/engine/report.h"
#include "diff/model/object.h"

namespace warren::reconcile {

inline constexpr const char* kInventoryName = "warren-inventory";

struct KubeStageOptions {
  bool dry_run = false;
  bool prune = false;
  bool force_conflicts = false;
  bool continue_on_error = false;     // default: stop at the first failing stage
  int concurrency = 8;                // writes in flight at once within a stage (1: one at a time)
  std::chrono::seconds timeout{300};  // deletion and readiness waits
  bool wait_ready = true;             // false: apply and go (a drift correction need not wait for pods)
  // `desired` is part of the source's objects (a drift correction): the inventory only gains, and
  // what is missing from `desired` is not judged for prune.
  bool partial = false;
  std::string inventory_namespace = "default";
  std::string inventory_name = kInventoryName;       // one per source sharing a namespace
  std::string source = "warren";                     // the value of the warren.io/source label
  const Clock* clock = nullptr;                      // default: the real clock
  std::function<void(const std::string&)> progress;  // waiting messages, when someone listens
  // Held from the inventory read to the last write, but not while waiting for readiness: the
  // agent's drift corrections write between a new commit's applies and its prune, never during.
  std::mutex* write_lock = nullptr;
  // Called once every desired object has been applied or has failed, before readiness and prune
  // (with write_lock held): from then on the live objects are this desired state's.
  std::function<void()> on_applied;
};

// What warren applied and still owns: key → apiVersion, from the inventory ConfigMap. Absent is
// empty (a first run); unreadable or unparsable is an error.
using Inventory = std::map<ResourceKey, std::string>;
Result<Inventory> ReadInventory(kube::Api& client, const std::string& ns, const std::string& name);

// What `warren diff` shows as prune candidates, by the rule sync prunes by (diff::JudgePrune):
// the live objects the inventory lists, the desired state no longer has, and the rule lets go.
// `known` holds live objects already read (from LISTs); the others are read. A kind that does not
// resolve, or a read that fails, is an error naming the object.
Result<std::vector<Object>> PruneCandidates(kube::Api& api, const Inventory& inventory,
                                            const std::vector<Object>& desired, const std::vector<Object>& known);

// Where the inventory goes when no one says: the namespace every namespaced desired object
// shares (a ServiceAccount bound only there can then write it), else `fallback`.
std::string DefaultInventoryNamespace(const std::vector<Object>& desired, const std::string& fallback);

// The desired object as warren applies it: with its ownership labels.
Object Owned(Object o, const std::string& source);

// Applies `desired` (already Owned) against `live` (their live counterparts, as the diff wants
// them). `client` should stop on `stop`, so an abandoned run writes nothing more.
// `plan` is diff::Diff(desired, live).
diff::ApplyReport ApplyKubernetes(kube::Api& client, const std::vector<Object>& desired,
                                  const std::vector<Object>& live, const diff::DiffReport& plan,
                                  const KubeStageOptions& options, const StopToken& stop);

}  // namespace warren::reconcile
