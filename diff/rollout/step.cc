#include "diff/rollout/step.h"

namespace warren::rollout {
namespace {

int IntAt(const Json& obj, const char* key, int fallback) {
  const Json& v = Field(obj, key);
  return v.is_number_integer() ? v.get<int>() : fallback;
}

}  // namespace

const char* StepName(StepKind k) {
  switch (k) {
    case StepKind::kIdle:
      return "idle";
    case StepKind::kWaitController:
      return "waiting-controller";
    case StepKind::kWaitPod:
      return "waiting-pod";
    case StepKind::kGate:
      return "gating";
    case StepKind::kGateScaleDown:
      return "gating-scale-down";
    case StepKind::kRelease:
      return "releasing";
    case StepKind::kComplete:
      return "complete";
  }
  return "?";
}

SetView ViewOf(const Json& live, int floor) {
  SetView v;
  const Json& meta = Field(live, "metadata");
  const Json& spec = Field(live, "spec");
  const Json& status = Field(live, "status");
  v.ns = StringField(meta, "namespace");
  v.name = StringField(meta, "name");
  v.service = StringField(spec, "serviceName");
  v.generation = IntAt(meta, "generation", 1);
  v.observed_generation = IntAt(status, "observedGeneration", 0);
  v.replicas = IntAt(spec, "replicas", 1);
  v.partition = IntAt(Field(Field(spec, "updateStrategy"), "rollingUpdate"), "partition", 0);
  v.floor = floor;
  v.on_delete = OnDelete(live);
  v.update_revision = StringField(status, "updateRevision");
  v.state = StateOf(live);
  return v;
}

PodView PodOf(const Json& pod) {
  PodView p;
  const Json& meta = Field(pod, "metadata");
  p.name = StringField(meta, "name");
  p.uid = StringField(meta, "uid");
  p.revision = StringField(Field(meta, "labels"), "controller-revision-hash");
  p.terminating = !StringField(meta, "deletionTimestamp").empty();
  for (const Json& c :
       Field(Field(pod, "status"), "conditions").is_array() ? pod["status"]["conditions"] : Json::array())
    if (StringField(c, "type") == "Ready") p.ready = StringField(c, "status") == "True";
  return p;
}

int OrdinalOf(const std::string& pod, const std::string& sts) {
  if (pod.size() <= sts.size() + 1 || pod.compare(0, sts.size() + 1, sts + "-") != 0) return -1;
  std::string rest = pod.substr(sts.size() + 1);
  if (rest.size() > 6 || rest.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::stoi(rest);
}

Step NextStep(const SetView& s, const std::map<int, PodView>& pods) {
  Step step;
  if (!s.state) return step;
  const RolloutState& st = *s.state;
  const bool scaling = st.scale_to >= 0 && st.scale_to < s.replicas;
  const bool rolling = !st.complete && !st.target.empty();
  if (!scaling && !rolling) return step;
  if (s.observed_generation < s.generation) {
    step.kind = StepKind::kWaitController;
    step.reason = "the StatefulSet controller to observe generation " + std::to_string(s.generation);
    return step;
  }
  // Pods above the replica count are leaving (an earlier scale-down step): wait until gone.
  for (auto it = pods.rbegin(); it != pods.rend() && it->first >= s.replicas; ++it) {
    step.kind = StepKind::kWaitPod;
    step.ordinal = it->first;
    step.reason = "pod " + it->second.name + " to stop (scaled down)";
    return step;
  }
  if (scaling) {
    // The departing ordinal must be up and its broker asked, like a restart.
    int top = s.replicas - 1;
    auto it = pods.find(top);
    if (it == pods.end() || it->second.terminating || !it->second.ready) {
      step.kind = StepKind::kWaitPod;
      step.ordinal = top;
      step.reason = "pod " + s.name + "-" + std::to_string(top) + " Ready before it is scaled away";
      return step;
    }
    step.kind = StepKind::kGateScaleDown;
    step.ordinal = top;
    return step;
  }
  const int last = st.step;  // the ordinal released last: its node must rejoin before the next step
  for (int i = s.replicas - 1; i >= s.floor; --i) {
    auto it = pods.find(i);
    std::string pod = s.name + "-" + std::to_string(i);
    if (it == pods.end() || it->second.terminating) {
      step.kind = StepKind::kWaitPod;
      step.ordinal = i;
      step.reason = "pod " + pod + " to be replaced";
      return step;
    }
    const PodView& p = it->second;
    if (!s.update_revision.empty() && p.revision == s.update_revision) {
      if (!p.ready) {
        step.kind = StepKind::kWaitPod;
        step.ordinal = i;
        step.reason = "pod " + pod + " Ready at revision " + s.update_revision;
        return step;
      }
      continue;
    }
    // Pod i runs the old template.
    if (!s.on_delete && s.partition <= i) {
      step.kind = StepKind::kWaitPod;  // released: the controller replaces it next
      step.ordinal = i;
      step.reason = "the controller to replace pod " + pod;
      return step;
    }
    if (!p.ready) {
      // Never forced: a pod that is down before its turn is somebody's problem to look at.
      step.kind = StepKind::kWaitPod;
      step.ordinal = i;
      step.reason = "pod " + pod + " Ready before its turn (it is not, at the old revision)";
      return step;
    }
    step.kind = StepKind::kGate;
    step.ordinal = i;
    step.rejoin = last > i && last < s.replicas ? last : -1;
    return step;
  }
  step.rejoin = last >= s.floor && last < s.replicas ? last : -1;
  if (!s.on_delete && s.partition > s.floor) {
    step.kind = StepKind::kRelease;
    step.ordinal = s.floor;
    return step;
  }
  step.kind = StepKind::kComplete;
  return step;
}

}  // namespace warren::rollout
