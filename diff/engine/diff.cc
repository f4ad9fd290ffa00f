#include "diff/engine/diff.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <future>
#include <map>
#include <thread>

#include "diff/engine/attribution.h"
#include "diff/engine/compare.h"
#include "diff/engine/immutable.h"
#include "diff/engine/normalize.h"

namespace warren::diff {
namespace {

constexpr size_t kMaxDiffThreads = 4;

bool IsSecret(const ResourceKey& k) { return k.group.empty() && k.kind == "Secret"; }

bool IsSecretValuePath(const std::string& path) {
  for (const char* f : {"/data", "/stringData", "/binaryData"})
    if (PointerUnder(path, f)) return true;
  return false;
}

// A Secret's whole data map added or removed becomes one change per key, then every value is
// dropped: the report says which keys changed, never to what.
std::vector<Change> MaskSecret(std::vector<Change> changes) {
  std::vector<Change> out;
  for (Change& c : changes) {
    if (!IsSecretValuePath(c.path)) {
      out.push_back(std::move(c));
      continue;
    }
    const Json& whole = c.op == Op::kRemove ? c.from : c.to;
    if (c.path == "/data" && whole.is_object()) {
      for (auto it = whole.begin(); it != whole.end(); ++it) {
        Change k;
        k.path = "/data/" + EscapePointerToken(it.key());
        k.field = ".data." + it.key();
        k.op = c.op;
        k.masked = true;
        out.push_back(std::move(k));
      }
      continue;
    }
    c.from = Json();
    c.to = Json();
    c.masked = true;
    out.push_back(std::move(c));
  }
  return out;
}

// Values git holds encrypted (SOPS) are shown like a Secret's, whatever the kind (a ConfigMap's
// rabbitmq.conf, say): a change at, above or below one of them, or one whose values contain a
// decrypted plaintext (list indexes can differ between desired and live), keeps only its path.
void MaskEncrypted(const Object& desired, std::vector<Change>* changes) {
  std::vector<std::string> plaintexts;
  for (const std::string& p : desired.encrypted()) {
    Json::json_pointer pointer(p);
    if (!desired.doc().contains(pointer)) continue;
    const Json& v = desired.doc().at(pointer);
    std::string text = v.is_string() ? v.get<std::string>() : v.dump();
    if (!text.empty()) plaintexts.push_back(std::move(text));
  }
  auto holds_plaintext = [&](const Json& v) {
    if (v.is_null()) return false;
    std::string dumped = v.is_string() ? v.get<std::string>() : v.dump();
    for (const std::string& t : plaintexts)
      if (dumped.find(t) != std::string::npos) return true;
    return false;
  };
  for (Change& c : *changes) {
    bool sealed = holds_plaintext(c.from) || holds_plaintext(c.to);
    for (const std::string& p : desired.encrypted())
      sealed = sealed || PointerUnder(c.path, p) || PointerUnder(p, c.path);
    if (!sealed) continue;
    c.from = Json();
    c.to = Json();
    c.masked = true;
  }
}

// warren's bookkeeping labels, put on by sync: never drift in themselves (a manifest need not
// carry them, and removing them would hide objects from prune).
bool IsOwnershipLabel(const std::string& key) { return key == kManagedByLabel || key == kSourceLabel; }

void DropOwnershipLabelRemovals(std::vector<Change>* changes) {
  static const std::string kLabels = "/metadata/labels";
  std::erase_if(*changes, [](Change& c) {
    if (c.op != Op::kRemove) return false;
    if (c.path == kLabels && c.from.is_object()) {
      for (auto it = c.from.begin(); it != c.from.end();)
        it = IsOwnershipLabel(it.key()) ? c.from.erase(it) : std::next(it);
      return c.from.empty();
    }
    if (c.path.rfind(kLabels + "/", 0) != 0) return false;
    std::string token = c.path.substr(kLabels.size() + 1);
    return token == EscapePointerToken(kManagedByLabel) || token == EscapePointerToken(kSourceLabel);
  });
}

bool ManagedByWarren(const Object& o) {
  const Json& labels = Field(Field(o.doc(), "metadata"), "labels");
  return StringField(labels, kManagedByLabel) == "warren";
}

}  // namespace

ObjectDiff DiffObject(const Object& desired, const Object* live, const DiffOptions& options, const EditDoc& edit) {
  ObjectDiff out;
  out.key = desired.key();
  out.api_version = desired.api_version();
  if (!live) {
    out.action = Action::kCreate;
    return out;
  }
  const std::string group = out.key.group, kind = out.key.kind;
  Json d = CopyToNormalize(desired.doc());
  if (edit) edit(d);
  Json l = CopyToNormalize(live->doc());
  Normalize(group, kind, Side::kDesired, d);
  Normalize(group, kind, Side::kLive, l);

  std::vector<Change> changes;
  CompareObjects(d, l, &changes);
  CompareOwnedRemovals(d, l, live->doc(), options.field_manager, &changes);

  IgnoreSet ignore = IgnoresFor(out.key, desired.doc(), options.ignore);
  for (const std::string& manager : ignore.managers)
    for (std::string& p : OwnedPointers(live->doc(), manager)) ignore.pointers.push_back(std::move(p));
  std::erase_if(changes, [&](const Change& c) {
    if (!ignore.Covers(c.path)) return false;
    out.ignored_paths.push_back(c.path);
    return true;
  });

  DropOwnershipLabelRemovals(&changes);
  if (IsSecret(out.key)) changes = MaskSecret(std::move(changes));
  if (!desired.encrypted().empty()) MaskEncrypted(desired, &changes);
  Attribute(live->doc(), options.field_manager, &changes);
  out.changes = std::move(changes);
  if (out.changes.empty()) {
    out.action = Action::kUnchanged;
    return out;
  }
  out.reason = RecreateReason(out.key, l, out.changes);
  out.action = out.reason.empty() ? Action::kUpdate : Action::kRecreate;
  return out;
}

DiffReport Diff(const std::vector<Object>& desired, const std::vector<Object>& live, const DiffOptions& options) {
  return DiffEach(desired, live, [&](size_t i, const Object* l) { return DiffObject(desired[i], l, options); });
}

DiffReport DiffEach(const std::vector<Object>& desired, const std::vector<Object>& live, const DiffOne& diff_one) {
  std::map<ResourceKey, const Object*> live_by_key;
  for (const Object& o : live) live_by_key.emplace(o.key(), &o);
  std::vector<const Object*> pairs(desired.size());
  for (size_t i = 0; i < desired.size(); ++i) {
    auto it = live_by_key.find(desired[i].key());
    if (it == live_by_key.end()) continue;
    pairs[i] = it->second;
    live_by_key.erase(it);
  }
  DiffReport report;
  report.objects.resize(desired.size());
  // Each pair is diffed on its own: a large set is diffed on every core, each taking the next
  // run of pairs as it finishes one (a core the machine lends elsewhere for a while does not hold
  // the others up), and writing only its own slots. Small sets are not worth a thread.
  constexpr size_t kRun = 64;
  std::atomic<size_t> next{0};
  auto diff_runs = [&] {
    for (size_t begin = next.fetch_add(kRun); begin < desired.size(); begin = next.fetch_add(kRun))
      for (size_t i = begin; i < std::min(desired.size(), begin + kRun); ++i) {
        if (!pairs[i] || !pairs[i]->deferred()) {
          report.objects[i] = diff_one(i, pairs[i]);
          continue;
        }
        // Kept as text: read here, on this core, and let go once diffed, so the trees of a
        // large live state are never all made at once.
        Object read = pairs[i]->Parsed();
        report.objects[i] = diff_one(i, &read);
      }
  };
  const size_t threads =
      desired.size() < 256 ? 1 : std::clamp<size_t>(std::thread::hardware_concurrency(), 1, kMaxDiffThreads);
  std::vector<std::future<void>> running;
  for (size_t t = 1; t < threads; ++t) running.push_back(std::async(std::launch::async, diff_runs));
  diff_runs();
  for (auto& r : running) r.get();  // rethrows what a thread threw
  for (const auto& [key, l] : live_by_key) {
    if (!ManagedByWarren(l->Parsed())) continue;  // never touch what warren did not create
    ObjectDiff prune;
    prune.key = key;
    prune.api_version = l->api_version();
    prune.action = Action::kPrune;
    prune.reason = "labelled " + std::string(kManagedByLabel) + "=warren and no longer in the desired state";
    report.objects.push_back(std::move(prune));
  }
  return report;
}

const char* ActionName(Action a) {
  switch (a) {
    case Action::kCreate:
      return "create";
    case Action::kUpdate:
      return "update";
    case Action::kRecreate:
      return "recreate";
    case Action::kPrune:
      return "prune";
    case Action::kUnchanged:
      return "unchanged";
    case Action::kExtra:
      return "extra";
  }
  return "?";
}

const char* OpName(Op op) {
  switch (op) {
    case Op::kAdd:
      return "add";
    case Op::kRemove:
      return "remove";
    case Op::kReplace:
      return "replace";
  }
  return "?";
}

bool DiffReport::HasDrift() const {
  for (const ObjectDiff& o : objects)
    if (o.action != Action::kUnchanged && o.action != Action::kExtra) return true;
  return false;
}

void DiffReport::Append(DiffReport other) {
  if (objects.empty()) {  // the Kubernetes stage's plan, 10,000 entries perhaps: taken whole
    objects = std::move(other.objects);
    return;
  }
  for (ObjectDiff& o : other.objects) objects.push_back(std::move(o));
}

std::string ObjectDiff::DisplayName() const {
  if (!in_broker) return key.ToString();
  if (key.ns.empty()) return key.kind + " " + key.name;
  return key.kind + " " + key.name + " (vhost " + key.ns + ")";
}

std::string Fingerprint(const ObjectDiff& d) {
  std::string text = d.key.ToString() + "\n" + ActionName(d.action) + "\n" + d.reason;
  for (const Change& c : d.changes) {
    text += "\n" + c.path + " " + OpName(c.op) + " " + c.from.dump() + " " + c.to.dump();
    if (c.changed_by) text += " " + WriterText(*c.changed_by);
  }
  // FNV-1a: a digest to compare, not a secret (masked changes carry no values to begin with).
  unsigned long long h = 1469598103934665603ULL;
  for (unsigned char ch : text) h = (h ^ ch) * 1099511628211ULL;
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", h);
  return out;
}

size_t DiffReport::Count(Action a) const {
  size_t n = 0;
  for (const ObjectDiff& o : objects) n += o.action == a;
  return n;
}

}  // namespace warren::diff
