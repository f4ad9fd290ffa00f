// Broker-aware rollout of a RabbitMQ StatefulSet, the pure part: which StatefulSets it covers, the
// state warren keeps on the StatefulSet, and the desired object as warren applies it while a
// rollout holds pods back.
//
// How a rollout goes (agent/rollout/driver.h drives it):
//  1. The new pod template is applied together with rollingUpdate.partition = replicas, in one
//     server-side apply, so the controller restarts nothing on its own.
//  2. warren lowers the partition one ordinal at a time, highest first, after node N's own
//     broker said stopping it loses nothing (gate.h); an OnDelete StatefulSet gets the same gate
//     and warren deletes pod N itself.
//  3. After pod N is back at the new revision and Ready, its node must be running again and back in
//     every quorum queue, stream and automatically synchronised mirror it hosts before the next
//     gate.
// The rollout's target (a hash of git's template) and its last step live in the annotation
// warren.io/rollout-state, so a restarted agent continues where the last one stood. A partition
// (or replica count) held by a rollout is part of what warren applies, so it is never drift.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "diff/engine/report.h"
#include "diff/model/object.h"

namespace warren::rollout {

// On a StatefulSet (git's): "broker-aware" opts in, "controller" opts out (the controller rolls
// pods as soon as each is Ready). Unset: broker-aware when a container's image is RabbitMQ's.
inline constexpr const char* kModeAnnotation = "warren.io/rollout";
inline constexpr const char* kStateAnnotation = "warren.io/rollout-state";

bool BrokerAware(const Object& statefulset);

// A RabbitMQ image: the repository's last path component starts with "rabbitmq"
// ("rabbitmq:3.10", "docker.io/library/rabbitmq:3.13-management", "bitnami/rabbitmq").
bool IsRabbitImage(const std::string& image);

// What warren records on the StatefulSet (JSON in kStateAnnotation).
struct RolloutState {
  std::string target;                 // TemplateHash of the template being rolled out
  int step = -1;                      // the last ordinal warren released (partition lowered or pod deleted)
  bool complete = false;              // every pod rolled and its node rejoined
  int scale_to = -1;                  // a scale-down in progress: the replica count git asks for
  std::vector<std::string> departed;  // RabbitMQ nodes of ordinals removed by a scale-down
  bool operator==(const RolloutState&) const = default;
};

// nullopt when the live object carries no (readable) state.
std::optional<RolloutState> StateOf(const Json& statefulset);
std::string EncodeState(const RolloutState& s);

// A stable hash of a pod template as git writes it (hex).
std::string TemplateHash(const Json& pod_template);

// The partition git asks for (0 when unset): a rollout steps down to it and no further.
int GitPartition(const Object& statefulset);
bool OnDelete(const Json& statefulset);

// What the overlay decided for one StatefulSet.
struct Hold {
  bool rolling = false;    // a template rollout is in progress (or starts with this apply)
  bool started = false;    // it starts with this apply (the template differs from the live one)
  bool restarted = false;  // the template changed again mid-rollout: the plan starts at the top
  bool scaling_down = false;
  int replicas = 0;           // what is applied
  int partition = 0;          // what is applied (RollingUpdate only)
  RolloutState state;         // what is applied
  bool on_delete = false;     // OnDelete: no partition is written
  bool record_state = false;  // the state annotation is written
};

struct Overlaid {
  Object desired;            // git's object as warren applies it
  std::optional<Hold> hold;  // set for a broker-aware StatefulSet with a live counterpart
};

// Git's StatefulSet as warren applies it against `live` (null: not there yet, nothing to hold):
//  - the template differs from the live one (semantically): partition = live replicas, a new
//    state with the new target; an unfinished rollout of another target is restarted;
//  - a rollout of this target is unfinished: the live partition (never below git's) and state;
//  - the live partition is above git's while pods are not all updated, without a state (someone
//    removed it): adopted as a rollout, never released in one step;
//  - git lowers replicas: the live count is held, the state says where to go;
//  - otherwise git's partition and the live state as they are (never a drift of warren's own).
Overlaid OverlayRollout(const Object& desired, const Object* live);
// The same when whether the templates differ is already known (TemplateChanged of a diff).
Overlaid OverlayRollout(const Object& desired, const Object* live, bool template_differs);

// The two halves of OverlayRollout: the hold it decides (nullopt where it returns no hold), and
// how that is written into git's document. A diff writes it into the copy it makes anyway,
// where OverlayRollout copies the whole object for it.
std::optional<Hold> HoldFor(const Object& desired, const Object* live, bool template_differs);
void WriteHold(const Hold& h, Json& doc);

// Whether a diff of the StatefulSet (with or without its hold: the hold never touches the
// template) finds the pod templates different, counting differences that ignore rules hid: a
// rollout follows the template git asks for, whatever the diff shows.
bool TemplateChanged(const diff::ObjectDiff& d);

}  // namespace warren::rollout
