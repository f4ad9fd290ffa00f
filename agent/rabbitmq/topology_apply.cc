#include "agent/rabbitmq/topology_apply.h"
#include "agent/rabbitmq/management_client.h"

#include <algorithm>
#include <functional>
#include <map>

#include "diff/model/object.h"

namespace warren::rabbitmq {
namespace {

using diff::Action;
using diff::Outcome;
using rabbit::Binding;
using rabbit::Exchange;
using rabbit::OperatorPolicy;
using rabbit::Parameter;
using rabbit::Permission;
using rabbit::Policy;
using rabbit::Queue;
using rabbit::TopicPermission;
using rabbit::User;
using rabbit::Vhost;

template <typename T>
std::map<ResourceKey, const T*> Index(const std::vector<T>& items) {
  std::map<ResourceKey, const T*> out;
  for (const T& i : items) out.emplace(rabbit::KeyOf(i), &i);
  return out;
}

std::string BindingsPath(const Binding& b) {
  return ApiPath("bindings", b.vhost) + "/e/" + net::EscapePathSegment(b.source) + "/" +
         (b.destination_type == "queue" ? "q" : "e") + "/" + net::EscapePathSegment(b.destination);
}

Status PutVhost(ManagementApi& c, const Vhost& v) {
  std::string tags;
  for (const Json& t : v.tags) tags += (tags.empty() ? "" : ",") + t.get<std::string>();
  Json body = {{"tracing", v.tracing}, {"tags", tags}};
  if (!v.default_queue_type.empty()) body["defaultqueuetype"] = v.default_queue_type;  // the 3.10 spelling
  return c.Put(ApiPath("vhosts", v.name), body);
}

// The limits git sets, and no others: each is its own resource under /api/vhost-limits/<vhost>
// or /api/user-limits/<user>. Null desired limits are not managed.
Status PutLimits(ManagementApi& c, const std::string& collection, const std::string& owner, const Json& limits,
                 const Json& live_limits) {
  if (limits.is_null()) return Status::Ok();
  for (auto it = limits.begin(); it != limits.end(); ++it)
    WARREN_RETURN_IF_ERROR(c.Put(ApiPath(collection, owner, it.key()), {{"value", it.value()}}));
  if (live_limits.is_object())
    for (auto it = live_limits.begin(); it != live_limits.end(); ++it)
      if (!limits.contains(it.key())) WARREN_RETURN_IF_ERROR(c.Delete(ApiPath(collection, owner, it.key())));
  return Status::Ok();
}

Status PutUser(ManagementApi& c, const User& u) {
  std::string tags;
  for (const Json& t : u.tags) tags += (tags.empty() ? "" : ",") + t.get<std::string>();
  Json body = {{"tags", tags}};
  if (!u.password.empty()) {
    body["password"] = u.password;
  } else {
    body["password_hash"] = u.password_hash;
    if (!u.hashing_algorithm.empty()) body["hashing_algorithm"] = u.hashing_algorithm;
  }
  // The body holds the password: an error names the user, never the body.
  return c.Put(ApiPath("users", u.name), body);
}

Status PutPermission(ManagementApi& c, const Permission& p) {
  return c.Put(ApiPath("permissions", p.vhost, p.user),
               {{"configure", p.configure}, {"write", p.write}, {"read", p.read}});
}

Status PutTopicPermission(ManagementApi& c, const TopicPermission& p) {
  return c.Put(ApiPath("topic-permissions", p.vhost, p.user),
               {{"exchange", p.exchange}, {"write", p.write}, {"read", p.read}});
}

Status PutOperatorPolicy(ManagementApi& c, const OperatorPolicy& p) {
  return c.Put(
      ApiPath("operator-policies", p.vhost, p.name),
      {{"pattern", p.pattern}, {"definition", p.definition}, {"priority", p.priority}, {"apply-to", p.apply_to}});
}

// A federation upstream or a shovel. The value holds URIs with credentials: an error says which
// plugin is missing when that is the cause, and never repeats a URI.
Status PutParameter(ManagementApi& c, const Parameter& p) {
  Status s = c.Put(ApiPath("parameters/" + p.component, p.vhost, p.name), {{"value", p.value}});
  if (s.ok()) return s;
  std::string message = s.message();
  if (message.find("component " + p.component + " not found") != std::string::npos)
    return Status(s.code(), "the " + rabbit::PluginOf(p.component) + " plugin is not enabled on the cluster (" +
                                "component " + p.component + " not found): rabbitmq-plugins enable " +
                                rabbit::PluginOf(p.component));
  for (auto it = p.value.begin(); it != p.value.end(); ++it) {
    if (!rabbit::IsSecretParameterKey(it.key()) || !it->is_string() || it->get<std::string>().empty()) continue;
    for (size_t at; (at = message.find(it->get<std::string>())) != std::string::npos;)
      message.replace(at, it->get<std::string>().size(), "(" + it.key() + " hidden)");
  }
  return Status(s.code(), message);
}

Status PutPolicy(ManagementApi& c, const Policy& p) {
  return c.Put(
      ApiPath("policies", p.vhost, p.name),
      {{"pattern", p.pattern}, {"definition", p.definition}, {"priority", p.priority}, {"apply-to", p.apply_to}});
}

Status PutExchange(ManagementApi& c, const Exchange& e) {
  return c.Put(ApiPath("exchanges", e.vhost, e.name), {{"type", e.type},
                                                       {"durable", e.durable},
                                                       {"auto_delete", e.auto_delete},
                                                       {"internal", false},
                                                       {"arguments", e.arguments}});
}

Status PutQueue(ManagementApi& c, const Queue& q) {
  Json args = q.arguments;
  if (q.type != "classic") args["x-queue-type"] = q.type;
  return c.Put(ApiPath("queues", q.vhost, q.name),
               {{"durable", q.durable}, {"auto_delete", q.auto_delete}, {"arguments", args}});
}

Status PostBinding(ManagementApi& c, const Binding& b) {
  return c.Post(BindingsPath(b), {{"routing_key", b.routing_key}, {"arguments", b.arguments}});
}

// A binding is deleted by its properties_key, which only the server knows: look it up first.
Status DeleteBinding(ManagementApi& c, const Binding& b) {
  WARREN_ASSIGN_OR_RETURN(auto list, c.Get(BindingsPath(b)));
  for (const Json& item : list) {
    if (StringField(item, "routing_key") != b.routing_key) continue;
    Json args = Field(item, "arguments").is_object() ? Field(item, "arguments") : Json::object();
    if (args != b.arguments) continue;
    return c.Delete(BindingsPath(b) + "/" + net::EscapePathSegment(StringField(item, "properties_key")));
  }
  return Status::Ok();  // already gone
}

// Bindings that disappear with an exchange or a queue and must come back after re-declaring it.
std::vector<Binding> BindingsTouching(const std::vector<Binding>& live, const std::string& vhost,
                                      const std::string& name, bool exchange) {
  std::vector<Binding> out;
  for (const Binding& b : live) {
    if (b.vhost != vhost || rabbit::IsBuiltIn(b)) continue;
    bool dest = b.destination == name && b.destination_type == (exchange ? "exchange" : "queue");
    if (dest || (exchange && b.source == name)) out.push_back(b);
  }
  return out;
}

Status RestoreBindings(ManagementApi& c, const std::vector<Binding>& bindings) {
  for (const Binding& b : bindings)
    WARREN_RETURN_IF_ERROR(PostBinding(c, b).WithContext("restore binding " + rabbit::BindingName(b)));
  return Status::Ok();
}

class Applier {
 public:
  Applier(ManagementApi& c, const rabbit::TopologyState& desired, const LiveTopology& live,
          const TopologyApplyOptions& o)
      : c_(c),
        live_(live),
        o_(o),
        inventory_(live.inventory),
        vhosts_(Index(desired.vhosts)),
        exchanges_(Index(desired.exchanges)),
        queues_(Index(desired.queues)),
        bindings_(Index(desired.bindings)),
        policies_(Index(desired.policies)),
        operator_policies_(Index(desired.operator_policies)),
        users_(Index(desired.users)),
        permissions_(Index(desired.permissions)),
        topic_permissions_(Index(desired.topic_permissions)),
        parameters_(Index(desired.parameters)),
        retained_(desired.retained) {
    for (const Binding& b : live.state.bindings) live_bindings_.emplace(rabbit::KeyOf(b), &b);
    for (const Vhost& v : live.state.vhosts) live_limits_[rabbit::KeyOf(v)] = v.limits;
    for (const User& u : live.state.users) live_limits_[rabbit::KeyOf(u)] = u.limits;
    // What git says now about retention holds for everything warren owns and git still names.
    for (const ResourceKey& k : inventory_.keys) {
      if (!desired.origins.count(k)) continue;
      if (desired.retained.count(k))
        inventory_.retained.insert(k);
      else
        inventory_.retained.erase(k);
    }
  }

  diff::ApplyResult Apply(const diff::ObjectDiff& d) {
    diff::ApplyResult r{d};
    switch (d.action) {
      case Action::kCreate:
      case Action::kUpdate:
        Upsert(d, &r);
        break;
      case Action::kRecreate:
        Recreate(d, &r);
        break;
      case Action::kPrune:
        Prune(d, &r);
        break;
      case Action::kUnchanged:
      case Action::kExtra:
        break;
    }
    return r;
  }

  // Drops inventory entries for objects that exist neither live nor in git any more.
  void ForgetVanished(const std::set<ResourceKey>& live_keys, const std::set<ResourceKey>& touched) {
    std::erase_if(inventory_.keys, [&](const ResourceKey& k) { return !live_keys.count(k) && !touched.count(k); });
  }

  const rabbit::Inventory& inventory() const { return inventory_; }

 private:
  // Runs a write unless this is a dry run; records the outcome.
  void Do(diff::ApplyResult* r, Outcome success, const std::function<Status()>& write) {
    Status s = o_.dry_run ? Status::Ok() : write();
    if (s.ok()) {
      r->outcome = success;
    } else {
      r->outcome = Outcome::kFailed;
      r->message = s.message();
    }
  }

  void Upsert(const diff::ObjectDiff& d, diff::ApplyResult* r) {
    Outcome success = d.action == Action::kCreate ? Outcome::kCreated : Outcome::kConfigured;
    const ResourceKey& k = d.key;
    if (k.kind == "Vhost")
      Do(r, success, [&] {
        WARREN_RETURN_IF_ERROR(PutVhost(c_, *vhosts_.at(k)));
        return PutLimits(c_, "vhost-limits", k.name, vhosts_.at(k)->limits, live_limits_[k]);
      });
    else if (k.kind == "User")
      Do(r, success, [&] {
        WARREN_RETURN_IF_ERROR(PutUser(c_, *users_.at(k)));
        return PutLimits(c_, "user-limits", k.name, users_.at(k)->limits, live_limits_[k]);
      });
    else if (k.kind == "Permission")
      Do(r, success, [&] { return PutPermission(c_, *permissions_.at(k)); });
    else if (k.kind == "TopicPermission")
      Do(r, success, [&] { return PutTopicPermission(c_, *topic_permissions_.at(k)); });
    else if (k.kind == "OperatorPolicy")
      Do(r, success, [&] { return PutOperatorPolicy(c_, *operator_policies_.at(k)); });
    else if (k.kind == "Policy")
      Do(r, success, [&] { return PutPolicy(c_, *policies_.at(k)); });
    else if (k.kind == "Federation" || k.kind == "Shovel")
      Do(r, success, [&] { return PutParameter(c_, *parameters_.at(k)); });
    else if (k.kind == "Exchange")
      Do(r, success, [&] { return PutExchange(c_, *exchanges_.at(k)); });
    else if (k.kind == "Queue")
      Do(r, success, [&] { return PutQueue(c_, *queues_.at(k)); });
    else if (k.kind == "Binding")
      Do(r, success, [&] { return PostBinding(c_, *bindings_.at(k)); });
    if (r->outcome == Outcome::kCreated) {
      inventory_.keys.insert(k);
      if (retained_.count(k)) inventory_.retained.insert(k);
    }
  }

  void Recreate(const diff::ObjectDiff& d, diff::ApplyResult* r) {
    const ResourceKey& k = d.key;
    if (k.kind == "Exchange") {
      const Exchange& e = *exchanges_.at(k);
      std::vector<Binding> keep = BindingsTouching(live_.state.bindings, e.vhost, e.name, /*exchange=*/true);
      Do(r, Outcome::kRecreated, [&] {
        WARREN_RETURN_IF_ERROR(c_.Delete(ApiPath("exchanges", e.vhost, e.name)));
        WARREN_RETURN_IF_ERROR(PutExchange(c_, e));
        return RestoreBindings(c_, keep);
      });
      if (r->outcome == Outcome::kRecreated) r->message = std::to_string(keep.size()) + " binding(s) restored";
      return;
    }
    // A queue.
    const bool stream = IsLiveStream(k);
    if (!o_.recreate_empty_queues || stream) {
      r->outcome = Outcome::kNeedsAction;
      r->message = d.reason + (stream ? std::string("; ") + kStreamKept : "");
      return;
    }
    const Queue& q = *queues_.at(k);
    std::vector<Binding> keep = BindingsTouching(live_.state.bindings, q.vhost, q.name, /*exchange=*/false);
    Do(r, Outcome::kRecreated, [&] {
      // if-empty: the server refuses to delete a queue that holds messages, atomically.
      Status del = c_.Delete(ApiPath("queues", q.vhost, q.name) + "?if-empty=true");
      if (!del.ok())
        return Status(del.code(), "not recreated, the queue is not empty or not deletable: " + del.message());
      WARREN_RETURN_IF_ERROR(PutQueue(c_, q));
      return RestoreBindings(c_, keep);
    });
    if (r->outcome == Outcome::kRecreated) {
      inventory_.keys.insert(k);
      r->message = "was empty; " + std::to_string(keep.size()) + " binding(s) restored";
    }
  }

  void Prune(const diff::ObjectDiff& d, diff::ApplyResult* r) {
    if (!o_.prune) {
      r->outcome = Outcome::kLeftInPlace;
      r->message = diff::kPruneOff;
      return;
    }
    const ResourceKey& k = d.key;
    if (inventory_.retained.count(k)) {  // deletionPolicy: retain, as the operator promises
      r->outcome = Outcome::kRetained;
      r->message = "deletionPolicy retain: left in the broker, no longer warren's";
      if (!o_.dry_run) {
        inventory_.keys.erase(k);
        inventory_.retained.erase(k);
      }
      return;
    }
    if (k.kind == "Binding") {
      const Binding* b = live_bindings_.at(k);
      Do(r, Outcome::kPruned, [&] { return DeleteBinding(c_, *b); });
    } else if (k.kind == "Queue" && IsLiveStream(k)) {
      r->outcome = Outcome::kNeedsAction;
      r->message = kStreamKept;
      return;
    } else if (k.kind == "Queue") {
      Do(r, Outcome::kPruned, [&] {
        Status s = c_.Delete(ApiPath("queues", k.ns, k.name) + "?if-empty=true");
        return s.ok() ? s
                      : Status(s.code(), "kept, the queue still holds messages or cannot be deleted: " + s.message());
      });
    } else if (k.kind == "Exchange") {
      Do(r, Outcome::kPruned, [&] { return c_.Delete(ApiPath("exchanges", k.ns, k.name)); });
    } else if (k.kind == "Policy") {
      Do(r, Outcome::kPruned, [&] { return c_.Delete(ApiPath("policies", k.ns, k.name)); });
    } else if (k.kind == "OperatorPolicy") {
      Do(r, Outcome::kPruned, [&] { return c_.Delete(ApiPath("operator-policies", k.ns, k.name)); });
    } else if (k.kind == "Permission") {
      Do(r, Outcome::kPruned, [&] { return c_.Delete(ApiPath("permissions", k.ns, k.name)); });
    } else if (k.kind == "TopicPermission") {
      Do(r, Outcome::kPruned, [&] { return DeleteTopicPermission(k); });
    } else if (k.kind == "User") {
      Do(r, Outcome::kPruned, [&] { return c_.Delete(ApiPath("users", k.name)); });
    } else if (k.kind == "Federation" || k.kind == "Shovel") {
      std::string component = rabbit::ComponentOfKind(k.kind);
      Do(r, Outcome::kPruned, [&] { return c_.Delete(ApiPath("parameters/" + component, k.ns, k.name)); });
    } else if (k.kind == "Vhost") {
      size_t queues = 0;
      for (const Queue& q : live_.state.queues) queues += q.vhost == k.name && !rabbit::IsBuiltIn(q);
      if (queues > 0) {
        r->outcome = Outcome::kFailed;
        r->message = "kept, the vhost still holds " + std::to_string(queues) + " queue(s) warren did not prune";
        return;
      }
      Do(r, Outcome::kPruned, [&] { return c_.Delete(ApiPath("vhosts", k.name)); });
    }
    if (r->outcome == Outcome::kPruned) inventory_.keys.erase(k);
  }

  // The management API deletes all of a user's topic permissions in a vhost at once. The others
  // are put straight back: those git wants with git's values, and those that are not warren's
  // (never applied by it, or retained) as they were.
  Status DeleteTopicPermission(const ResourceKey& k) {
    const std::string user = k.name.substr(0, k.name.rfind(" ["));
    std::vector<TopicPermission> keep;
    for (const auto& [key, p] : topic_permissions_)
      if (p->user == user && p->vhost == k.ns) keep.push_back(*p);
    for (const TopicPermission& p : live_.state.topic_permissions) {
      ResourceKey key = KeyOf(p);
      bool others = !inventory_.keys.count(key) || inventory_.retained.count(key);
      if (p.user == user && p.vhost == k.ns && key != k && !topic_permissions_.count(key) && others) keep.push_back(p);
    }
    WARREN_RETURN_IF_ERROR(c_.Delete(ApiPath("topic-permissions", k.ns, user)));
    for (const TopicPermission& p : keep)
      WARREN_RETURN_IF_ERROR(
          PutTopicPermission(c_, p).WithContext("put back the topic permission on exchange " + p.exchange));
    return Status::Ok();
  }

  // RabbitMQ deletes a stream with its messages even when asked for an empty queue only (if-empty
  // is ignored for streams, checked on 3.10), so warren never deletes one itself.
  static constexpr const char* kStreamKept =
      "a stream queue is never deleted by warren: RabbitMQ would drop its messages with it; delete it by hand if they "
      "can go";
  bool IsLiveStream(const ResourceKey& k) const {
    return std::any_of(live_.state.queues.begin(), live_.state.queues.end(),
                       [&](const Queue& q) { return q.type == "stream" && KeyOf(q) == k; });
  }

  ManagementApi& c_;
  const LiveTopology& live_;
  const TopologyApplyOptions& o_;
  rabbit::Inventory inventory_;
  std::map<ResourceKey, const Vhost*> vhosts_;
  std::map<ResourceKey, const Exchange*> exchanges_;
  std::map<ResourceKey, const Queue*> queues_;
  std::map<ResourceKey, const Binding*> bindings_;
  std::map<ResourceKey, const Policy*> policies_;
  std::map<ResourceKey, const OperatorPolicy*> operator_policies_;
  std::map<ResourceKey, const User*> users_;
  std::map<ResourceKey, const Permission*> permissions_;
  std::map<ResourceKey, const TopicPermission*> topic_permissions_;
  std::map<ResourceKey, const Parameter*> parameters_;
  std::map<ResourceKey, const Binding*> live_bindings_;
  std::map<ResourceKey, Json> live_limits_;  // a vhost's or user's limits now
  std::set<ResourceKey> retained_;           // desired with deletionPolicy: retain
};

std::set<ResourceKey> LiveKeys(const rabbit::TopologyState& s) {
  std::set<ResourceKey> out;
  for (const Vhost& v : s.vhosts) out.insert(rabbit::KeyOf(v));
  for (const Exchange& e : s.exchanges) out.insert(rabbit::KeyOf(e));
  for (const Queue& q : s.queues) out.insert(rabbit::KeyOf(q));
  for (const Binding& b : s.bindings) out.insert(rabbit::KeyOf(b));
  for (const Policy& p : s.policies) out.insert(rabbit::KeyOf(p));
  for (const OperatorPolicy& p : s.operator_policies) out.insert(rabbit::KeyOf(p));
  for (const User& u : s.users) out.insert(rabbit::KeyOf(u));
  for (const Permission& p : s.permissions) out.insert(rabbit::KeyOf(p));
  for (const TopicPermission& p : s.topic_permissions) out.insert(rabbit::KeyOf(p));
  for (const Parameter& p : s.parameters) out.insert(rabbit::KeyOf(p));
  return out;
}

}  // namespace

diff::ApplyReport ApplyTopology(ManagementApi& client, const rabbit::TopologyState& desired, const LiveTopology& live,
                                const diff::DiffReport& plan, const TopologyApplyOptions& options) {
  diff::ApplyReport report;
  report.dry_run = options.dry_run;
  Applier applier(client, desired, live, options);
  std::set<ResourceKey> touched;
  for (const diff::ObjectDiff& d : plan.objects) {
    if (d.action == Action::kUnchanged) ++report.unchanged;
    if (d.action == Action::kUnchanged || d.action == Action::kExtra) continue;
    touched.insert(d.key);
    report.results.push_back(applier.Apply(d));
  }
  applier.ForgetVanished(LiveKeys(live.state), touched);
  if (!options.dry_run && !(applier.inventory() == live.inventory)) {
    Status s = WriteInventory(client, live.inventory_name, applier.inventory());
    if (!s.ok()) {
      diff::ApplyResult r;
      r.object.key = ResourceKey{rabbit::kGroup, "Inventory", "", live.inventory_name};
      r.object.in_broker = true;
      r.outcome = Outcome::kFailed;
      r.message = s.message();
      report.results.push_back(std::move(r));
    }
  }
  return report;
}

}  // namespace warren::rabbitmq
