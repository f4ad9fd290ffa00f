#include "diff/rabbit/topology_diff.h"

#include <map>

#include "diff/rabbit/desired_topology.h"
#include "diff/rabbit/password_hash.h"

namespace warren::rabbit {
namespace {

using diff::Action;
using diff::Change;
using diff::ObjectDiff;
using diff::Op;

// One change at the JSON Pointer `path`, shown as `field` (".definition.ha-mode").
void Record(Op op, std::string path, std::string field, Json from, Json to, std::vector<Change>* out) {
  out->push_back(Change{std::move(path), std::move(field), op, std::move(from), std::move(to)});
}

// A top-level property ("/durable"); its field is the same name with a dot.
void CompareValue(const std::string& path, const Json& live, const Json& desired, std::vector<Change>* out) {
  if (live != desired) Record(Op::kReplace, path, "." + path.substr(1), live, desired, out);
}

// Key by key, so a policy change reads "/definition/ha-mode: "all" → "exactly"". Keys `secret`
// says hold credentials are compared and recorded without their values.
void CompareMap(const std::string& path, const Json& live, const Json& desired, std::vector<Change>* out,
                bool (*secret)(const std::string&) = nullptr) {
  auto at = [&](const std::string& key) { return path + "/" + EscapePointerToken(key); };
  auto field = [&](const std::string& key) { return "." + path.substr(1) + "." + key; };
  auto record = [&](Op op, const std::string& key, const Json& from, const Json& to) {
    if (secret && secret(key))
      out->push_back(Change{at(key), field(key), op, Json(), Json(), /*masked=*/true});
    else
      Record(op, at(key), field(key), from, to, out);
  };
  for (auto it = desired.begin(); it != desired.end(); ++it) {
    auto l = live.find(it.key());
    if (l == live.end())
      record(Op::kAdd, it.key(), Json(), it.value());
    else if (*l != it.value())
      record(Op::kReplace, it.key(), *l, it.value());
  }
  for (auto it = live.begin(); it != live.end(); ++it)
    if (!desired.contains(it.key())) record(Op::kRemove, it.key(), it.value(), Json());
}

std::vector<Change> CompareItems(const Vhost& d, const Vhost& l) {
  std::vector<Change> out;
  CompareValue("/tracing", l.tracing, d.tracing, &out);
  CompareValue("/tags", l.tags, d.tags, &out);
  // An unset default queue type means "whatever the server defaults to": not compared.
  if (!d.default_queue_type.empty())
    CompareValue("/default_queue_type", l.default_queue_type, d.default_queue_type, &out);
  // Limits are compared when git sets them (an empty mapping: none at all).
  if (!d.limits.is_null()) CompareMap("/limits", l.limits.is_object() ? l.limits : Json::object(), d.limits, &out);
  return out;
}

// The password is checked against the live salted hash; the change never carries a value.
std::vector<Change> CompareItems(const User& d, const User& l) {
  std::vector<Change> out;
  CompareValue("/tags", l.tags, d.tags, &out);
  bool same = !d.password.empty() ? PasswordMatches(d.password, l.password_hash, l.hashing_algorithm)
                                  : d.password_hash == l.password_hash &&
                                        (d.hashing_algorithm.empty() || d.hashing_algorithm == l.hashing_algorithm);
  if (!same) out.push_back(Change{"/password", ".password", Op::kReplace, Json(), Json(), /*masked=*/true});
  if (!d.limits.is_null()) CompareMap("/limits", l.limits.is_object() ? l.limits : Json::object(), d.limits, &out);
  return out;
}

std::vector<Change> CompareItems(const Parameter& d, const Parameter& l) {
  std::vector<Change> out;
  CompareMap("/value", l.value, d.value, &out, IsSecretParameterKey);
  return out;
}

std::vector<Change> CompareItems(const Permission& d, const Permission& l) {
  std::vector<Change> out;
  CompareValue("/configure", l.configure, d.configure, &out);
  CompareValue("/write", l.write, d.write, &out);
  CompareValue("/read", l.read, d.read, &out);
  return out;
}

std::vector<Change> CompareItems(const TopicPermission& d, const TopicPermission& l) {
  std::vector<Change> out;
  CompareValue("/write", l.write, d.write, &out);
  CompareValue("/read", l.read, d.read, &out);
  return out;
}

// Exchanges and queues share their declared (immutable) properties.
template <typename T>
std::vector<Change> CompareDeclared(const T& d, const T& l) {
  std::vector<Change> out;
  CompareValue("/type", l.type, d.type, &out);
  CompareValue("/durable", l.durable, d.durable, &out);
  CompareValue("/auto_delete", l.auto_delete, d.auto_delete, &out);
  CompareMap("/arguments", l.arguments, d.arguments, &out);
  return out;
}
std::vector<Change> CompareItems(const Exchange& d, const Exchange& l) { return CompareDeclared(d, l); }
std::vector<Change> CompareItems(const Queue& d, const Queue& l) { return CompareDeclared(d, l); }

std::vector<Change> CompareItems(const Binding&, const Binding&) { return {}; }  // identity is every field

// Also operator policies (a Policy by another name).
std::vector<Change> CompareItems(const Policy& d, const Policy& l) {
  std::vector<Change> out;
  CompareValue("/pattern", l.pattern, d.pattern, &out);
  CompareValue("/apply-to", l.apply_to, d.apply_to, &out);
  CompareValue("/priority", l.priority, d.priority, &out);
  CompareMap("/definition", l.definition, d.definition, &out);
  return out;
}

std::string FieldList(const std::vector<Change>& changes) {
  std::string out;
  for (const Change& c : changes) {
    std::string top =
        c.path.substr(1, c.path.find('/', 1) == std::string::npos ? std::string::npos : c.path.find('/', 1) - 1);
    if (out.find(top) == std::string::npos) out += (out.empty() ? "" : ", ") + top;
  }
  return out;
}

std::string RecreateReason(const Exchange&, const std::vector<Change>& changes) {
  return FieldList(changes) +
         " cannot change on a live exchange: sync deletes and re-declares it, then restores its bindings";
}

std::string RecreateReason(const Queue&, const std::vector<Change>& changes) {
  return FieldList(changes) +
         " cannot change on a live queue; recreating it drops its messages, so sync does it only "
         "with --recreate-empty-queues and only while the queue is empty";
}

template <typename T>
constexpr bool kImmutable = std::is_same_v<T, Exchange> || std::is_same_v<T, Queue>;
// Kinds RabbitMQ also makes itself (amq.*, the default exchange's bindings, ...).
template <typename T>
constexpr bool kHasBuiltIns = kImmutable<T> || std::is_same_v<T, Binding>;
// Kinds whose undesired live items are someone else's business: never reported as extra.
template <typename T>
constexpr bool kOthersOwn = std::is_same_v<T, Vhost> || std::is_same_v<T, User> || std::is_same_v<T, Permission> ||
                            std::is_same_v<T, TopicPermission>;

ObjectDiff Entry(const ResourceKey& key, Action action) {
  ObjectDiff d;
  d.key = key;
  d.in_broker = true;
  d.api_version = kApiVersion;
  d.action = action;
  return d;
}

class Differ {
 public:
  Differ(const Inventory& inventory, std::set<std::string> vhosts)
      : inventory_(inventory), managed_vhosts_(std::move(vhosts)) {}

  template <typename T>
  void Desired(const std::vector<T>& desired, const std::vector<T>& live) {
    std::map<ResourceKey, const T*> by_key;
    for (const T& l : live) by_key.emplace(KeyOf(l), &l);
    for (const T& d : desired) {
      ResourceKey key = KeyOf(d);
      seen_.insert(key);
      auto it = by_key.find(key);
      if (it == by_key.end()) {
        report_.objects.push_back(Entry(key, Action::kCreate));
        continue;
      }
      ObjectDiff e = Entry(key, Action::kUnchanged);
      e.changes = CompareItems(d, *it->second);
      if (!e.changes.empty()) {
        e.action = Action::kUpdate;
        if constexpr (kImmutable<T>) {
          e.action = Action::kRecreate;
          e.reason = RecreateReason(d, e.changes);
        }
      }
      report_.objects.push_back(std::move(e));
    }
  }

  // Live items nobody asked for, in the vhosts warren manages.
  template <typename T>
  void Undesired(const std::vector<T>& live, std::vector<ObjectDiff>* prunes) {
    for (const T& l : live) {
      ResourceKey key = KeyOf(l);
      if (seen_.count(key)) continue;
      if constexpr (kHasBuiltIns<T>)
        if (IsBuiltIn(l)) continue;
      bool owned = inventory_.keys.count(key) > 0;
      if (owned) {
        ObjectDiff e = Entry(key, Action::kPrune);
        e.reason = inventory_.retained.count(key)
                       ? "no longer in the desired state; deletionPolicy retain: forgotten, never deleted"
                       : "created by warren and no longer in the desired state";
        prunes->push_back(std::move(e));
        continue;
      }
      if constexpr (kOthersOwn<T>)
        continue;  // other vhosts, users and grants are not warren's business
      else if (managed_vhosts_.count(l.vhost)) {
        ObjectDiff e = Entry(key, Action::kExtra);
        e.reason = "not in git and not created by warren: left alone";
        extras_.push_back(std::move(e));
      }
    }
  }

  diff::DiffReport Finish(std::vector<ObjectDiff> prunes) {
    for (ObjectDiff& p : prunes) report_.objects.push_back(std::move(p));
    for (ObjectDiff& e : extras_) report_.objects.push_back(std::move(e));
    return std::move(report_);
  }

 private:
  const Inventory& inventory_;
  std::set<std::string> managed_vhosts_;
  std::set<ResourceKey> seen_;
  std::vector<ObjectDiff> extras_;
  diff::DiffReport report_;
};

}  // namespace

diff::DiffReport DiffTopology(const TopologyState& desired, const TopologyState& live, const Inventory& inventory) {
  Differ d(inventory, ManagedVhosts(desired));
  // Creation order: a vhost before what lives in it, users before their permissions, policies
  // before the queues they shape, exchanges and queues before the bindings between them.
  d.Desired(desired.vhosts, live.vhosts);
  d.Desired(desired.users, live.users);
  d.Desired(desired.permissions, live.permissions);
  d.Desired(desired.topic_permissions, live.topic_permissions);
  d.Desired(desired.policies, live.policies);
  d.Desired(desired.operator_policies, live.operator_policies);
  d.Desired(desired.exchanges, live.exchanges);
  d.Desired(desired.queues, live.queues);
  d.Desired(desired.bindings, live.bindings);
  d.Desired(desired.parameters, live.parameters);
  // Prune order is the reverse.
  std::vector<ObjectDiff> prunes;
  d.Undesired(live.parameters, &prunes);
  d.Undesired(live.bindings, &prunes);
  d.Undesired(live.queues, &prunes);
  d.Undesired(live.exchanges, &prunes);
  d.Undesired(live.operator_policies, &prunes);
  d.Undesired(live.policies, &prunes);
  d.Undesired(live.topic_permissions, &prunes);
  d.Undesired(live.permissions, &prunes);
  d.Undesired(live.users, &prunes);
  d.Undesired(live.vhosts, &prunes);
  return d.Finish(std::move(prunes));
}

}  // namespace warren::rabbit
