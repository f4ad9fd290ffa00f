// The step machine of a broker-aware rollout: from the live StatefulSet and its pods, what comes
// next. Pure: the driver (agent/rollout/driver.h) reads the inputs, asks the broker when a step
// says so, and writes. Every decision is re-made from live state, so a restarted agent continues
// where the last one stood.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "diff/model/object.h"
#include "diff/rollout/rollout.h"

namespace warren::rollout {

struct PodView {
  std::string name, uid, revision;  // revision: the controller-revision-hash label
  bool ready = false, terminating = false;
};

// The StatefulSet as the step machine needs it (from the live object).
struct SetView {
  std::string ns, name, service;
  long generation = 0, observed_generation = 0;
  int replicas = 1;  // spec
  int partition = 0;
  int floor = 0;  // git's partition: the rollout stops there
  bool on_delete = false;
  std::string update_revision;
  std::optional<RolloutState> state;
};

SetView ViewOf(const Json& live, int floor);
PodView PodOf(const Json& pod);
// "rabbitmq-2" → 2 for StatefulSet "rabbitmq"; -1 when it is not one of its pods.
int OrdinalOf(const std::string& pod, const std::string& statefulset);

enum class StepKind {
  kIdle,            // no rollout: nothing to do
  kWaitController,  // the controller has not seen the latest spec
  kWaitPod,         // pod `ordinal` is being replaced, is not Ready yet, or is leaving
  kGate,            // ask node `ordinal`'s broker; on pass release it (lower the partition or delete it)
  kGateScaleDown,   // ask node `ordinal`'s broker; on pass lower replicas to `ordinal`
  kRelease,         // lower the partition to the floor with no pod to restart (all already updated)
  kComplete,        // every pod rolled: record completion
};
const char* StepName(StepKind k);

struct Step {
  StepKind kind = StepKind::kIdle;
  int ordinal = -1;
  // Before the action: the node of this ordinal (the last one released) must have rejoined.
  int rejoin = -1;
  std::string reason;  // what a wait waits for
};

// `pods` by ordinal (absent: no such pod).
Step NextStep(const SetView& set, const std::map<int, PodView>& pods);

}  // namespace warren::rollout
