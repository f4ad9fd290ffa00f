#include "diff/rollout/rollout.h"

#include <algorithm>
#include <cstdio>

#include "diff/engine/diff.h"

namespace warren::rollout {
namespace {

const Json& Annotations(const Json& obj) { return Field(Field(obj, "metadata"), "annotations"); }

int IntField(const Json& obj, const char* key, int fallback) {
  const Json& v = Field(obj, key);
  return v.is_number_integer() ? v.get<int>() : fallback;
}

int Replicas(const Json& sts) { return IntField(Field(sts, "spec"), "replicas", 1); }

int LivePartition(const Json& sts) {
  return IntField(Field(Field(Field(sts, "spec"), "updateStrategy"), "rollingUpdate"), "partition", 0);
}

// Whether the pod templates differ as the diff engine judges them (defaults, quantities, key
// order, fields warren applied before and git dropped).
bool TemplateDiffers(const Object& desired, const Object& live) {
  // Only the templates (and who wrote the live one's fields) are compared: a whole StatefulSet
  // would be copied and normalised twice for each held one, the status and claims for nothing.
  auto templates_only = [](const Object& o) {
    const Json& doc = o.doc();
    const Json& meta = Field(doc, "metadata");
    Json slim = {{"apiVersion", Field(doc, "apiVersion")},
                 {"kind", Field(doc, "kind")},
                 {"spec", {{"template", Field(Field(doc, "spec"), "template")}}}};
    Json& slim_meta = slim["metadata"] = Json::object();
    for (const char* key : {"name", "namespace", "managedFields"})
      if (meta.is_object() && meta.contains(key)) slim_meta[key] = meta[key];
    return Object(std::move(slim), o.where());
  };
  const Object git = templates_only(desired), cluster = templates_only(live);
  return TemplateChanged(diff::DiffObject(git, &cluster, {}));
}

// The controller has not rolled every pod to the newest template.
bool PodsBehind(const Json& live) {
  const Json& status = Field(live, "status");
  int replicas = IntField(status, "replicas", 0);
  int updated = IntField(status, "updatedReplicas", 0);
  std::string current = StringField(status, "currentRevision"), update = StringField(status, "updateRevision");
  return updated < replicas || (!update.empty() && current != update);
}

void SetState(Json& doc, const RolloutState& s) { doc["metadata"]["annotations"][kStateAnnotation] = EncodeState(s); }

}  // namespace

bool IsRabbitImage(const std::string& image) {
  std::string repo = image.substr(0, image.find('@'));
  size_t slash = repo.rfind('/');
  std::string last = slash == std::string::npos ? repo : repo.substr(slash + 1);
  return last.rfind("rabbitmq", 0) == 0;
}

bool BrokerAware(const Object& sts) {
  if (sts.kind() != "StatefulSet" || sts.group() != "apps") return false;
  std::string mode = StringField(Annotations(sts.doc()), kModeAnnotation);
  if (mode == "broker-aware") return true;
  if (mode == "controller") return false;
  const Json& containers = Field(Field(Field(Field(sts.doc(), "spec"), "template"), "spec"), "containers");
  if (!containers.is_array()) return false;
  return std::any_of(containers.begin(), containers.end(),
                     [](const Json& c) { return IsRabbitImage(StringField(c, "image")); });
}

std::optional<RolloutState> StateOf(const Json& sts) {
  std::string text = StringField(Annotations(sts), kStateAnnotation);
  if (text.empty()) return std::nullopt;
  Json j = Json::parse(text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  RolloutState s;
  s.target = StringField(j, "target");
  s.step = IntField(j, "step", -1);
  s.complete = BoolField(j, "complete", false);
  s.scale_to = IntField(j, "scaleTo", -1);
  for (const Json& n : j.value("departed", Json::array()))
    if (n.is_string()) s.departed.push_back(n.get<std::string>());
  return s;
}

std::string EncodeState(const RolloutState& s) {
  Json j = {{"target", s.target}, {"step", s.step}, {"complete", s.complete}};
  if (s.scale_to >= 0) j["scaleTo"] = s.scale_to;
  if (!s.departed.empty()) j["departed"] = s.departed;
  return j.dump();
}

std::string TemplateHash(const Json& pod_template) {
  // FNV-1a over the canonical dump (nlohmann's objects keep their keys sorted).
  unsigned long long h = 1469598103934665603ull;
  for (unsigned char c : pod_template.dump()) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", h);
  return out;
}

int GitPartition(const Object& sts) { return LivePartition(sts.doc()); }

bool OnDelete(const Json& sts) {
  return StringField(Field(Field(sts, "spec"), "updateStrategy"), "type") == "OnDelete";
}

bool TemplateChanged(const diff::ObjectDiff& d) {
  for (const diff::Change& c : d.changes)
    if (PointerUnder(c.path, "/spec/template")) return true;
  for (const std::string& path : d.ignored_paths)
    if (PointerUnder(path, "/spec/template")) return true;
  return false;
}

Overlaid OverlayRollout(const Object& desired, const Object* live) {
  if (!live || !BrokerAware(desired)) return {desired, std::nullopt};
  return OverlayRollout(desired, live, TemplateDiffers(desired, *live));
}

Overlaid OverlayRollout(const Object& desired, const Object* live, bool template_differs) {
  Overlaid out{desired, HoldFor(desired, live, template_differs)};
  if (out.hold) WriteHold(*out.hold, out.desired.mutable_doc());
  return out;
}

void WriteHold(const Hold& h, Json& doc) {
  doc["spec"]["replicas"] = h.replicas;
  if (!h.on_delete) doc["spec"]["updateStrategy"]["rollingUpdate"]["partition"] = h.partition;
  if (h.record_state) SetState(doc, h.state);
}

std::optional<Hold> HoldFor(const Object& desired, const Object* live, bool template_differs) {
  if (!live || !BrokerAware(desired)) return std::nullopt;
  const Json& l = live->doc();
  Hold h;
  std::optional<RolloutState> state = StateOf(l);
  const int floor = GitPartition(desired);
  const bool on_delete = OnDelete(desired.doc());
  const int live_replicas = Replicas(l);
  const int git_replicas = Replicas(desired.doc());
  // Hashed only when a target is compared or recorded: not for a StatefulSet at rest whose state
  // already names its target.
  std::optional<std::string> hashed;
  auto target = [&]() -> const std::string& {
    if (!hashed) hashed = TemplateHash(Field(Field(desired.doc(), "spec"), "template"));
    return *hashed;
  };
  h.state = state.value_or(RolloutState{});

  // Scale-down: each departing ordinal passes the gate first, so the live count is held.
  h.replicas = git_replicas;
  if (git_replicas < live_replicas) {
    h.scaling_down = true;
    h.replicas = live_replicas;
    h.state.scale_to = git_replicas;
  } else {
    h.state.scale_to = -1;
    h.state.departed.clear();
  }

  const bool unfinished = state && !state->complete && !state->target.empty();
  if (template_differs) {
    if (!(unfinished && state->target == target())) {
      h.started = true;
      h.restarted = unfinished;
      h.state.target = target();
      h.state.step = -1;
      h.state.complete = false;
      h.partition = h.replicas;  // hold every pod
    } else {
      h.partition = std::max(floor, LivePartition(l));  // the template was edited by hand: put back, go on
    }
    h.rolling = true;
  } else if (unfinished) {
    // Git's template is the live one (perhaps written differently): the rollout goes on.
    h.rolling = true;
    h.state.target = target();
    h.partition = std::max(floor, LivePartition(l));
  } else if (!on_delete && LivePartition(l) > floor && PodsBehind(l)) {
    // Held, with no record of why: continuing from where it stands is safe, releasing is not.
    h.rolling = true;
    h.state.target = target();
    h.state.complete = false;
    h.state.step = LivePartition(l);
    h.partition = LivePartition(l);
  } else {
    h.partition = floor;
    // At rest the target is only written with a state that is kept or a scale-down: a
    // StatefulSet with neither is not hashed (9 in 10 of a large diff's).
    if (h.state.target.empty() && (state || h.scaling_down)) h.state.target = target();
  }
  if (on_delete) h.partition = 0;
  h.on_delete = on_delete;
  // Recorded only once there is something to remember; then always carried, so it is never drift.
  h.record_state = state || h.rolling || h.scaling_down;
  return h;
}

}  // namespace warren::rollout
