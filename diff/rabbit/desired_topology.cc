#include "diff/rabbit/desired_topology.h"

#include <algorithm>

#include "diff/rabbit/definitions.h"

namespace warren::rabbit {
namespace {

class Collector {
 public:
  explicit Collector(TopologyState* out) : out_(out) {}

  template <typename T>
  Status Add(T item, std::vector<T>* list, const std::string& where) {
    ResourceKey key = KeyOf(item);
    auto [it, inserted] = out_->origins.emplace(key, where);
    if (!inserted)
      return Status::Invalid(where + ": RabbitMQ " + DisplayKey(key) + " is defined twice (first at " + it->second +
                             ")");
    list->push_back(std::move(item));
    return Status::Ok();
  }

  Status AddAll(TopologyState from, const std::string& where) {
    for (Vhost& v : from.vhosts) WARREN_RETURN_IF_ERROR(Add(std::move(v), &out_->vhosts, where));
    for (Exchange& e : from.exchanges) WARREN_RETURN_IF_ERROR(Add(std::move(e), &out_->exchanges, where));
    for (Queue& q : from.queues) WARREN_RETURN_IF_ERROR(Add(std::move(q), &out_->queues, where));
    for (Binding& b : from.bindings) WARREN_RETURN_IF_ERROR(Add(std::move(b), &out_->bindings, where));
    for (Policy& p : from.policies) WARREN_RETURN_IF_ERROR(Add(std::move(p), &out_->policies, where));
    for (OperatorPolicy& p : from.operator_policies)
      WARREN_RETURN_IF_ERROR(Add(std::move(p), &out_->operator_policies, where));
    for (User& u : from.users) WARREN_RETURN_IF_ERROR(Add(std::move(u), &out_->users, where));
    for (Permission& p : from.permissions) WARREN_RETURN_IF_ERROR(Add(std::move(p), &out_->permissions, where));
    for (TopicPermission& p : from.topic_permissions)
      WARREN_RETURN_IF_ERROR(Add(std::move(p), &out_->topic_permissions, where));
    for (Parameter& p : from.parameters) WARREN_RETURN_IF_ERROR(Add(std::move(p), &out_->parameters, where));
    return Status::Ok();
  }

  static std::string DisplayKey(const ResourceKey& k) {
    return k.kind + " " + (k.ns.empty() ? k.name : k.name + " (vhost " + k.ns + ")");
  }

 private:
  TopologyState* out_;
};

template <typename T>
Status AddObject(Collector& c, Result<T> item, std::vector<T>* list, const Object& o, std::set<ResourceKey>* retained) {
  if (!item.ok()) return item.status();
  if (RetainedOnDelete(o)) retained->insert(KeyOf(item.value()));
  return c.Add(std::move(item).value(), list, o.where().ToString());
}

// A SuperStream is its exchange, partitions and bindings, each written where the SuperStream is.
Status AddSuperStream(Collector& c, const Object& o, TopologyState* out) {
  WARREN_ASSIGN_OR_RETURN(auto s, SuperStreamFromObject(o));
  const std::string where = o.where().ToString();
  SuperStreamItems items = ExpandSuperStream(s);
  WARREN_RETURN_IF_ERROR(c.Add(std::move(items.exchange), &out->exchanges, where));
  for (Queue& q : items.partitions) WARREN_RETURN_IF_ERROR(c.Add(std::move(q), &out->queues, where));
  for (Binding& b : items.bindings) WARREN_RETURN_IF_ERROR(c.Add(std::move(b), &out->bindings, where));
  out->super_streams.push_back(std::move(s));
  return Status::Ok();
}

}  // namespace

Result<TopologyState> DesiredTopology(const std::vector<Object>& objects,
                                      const std::vector<DefinitionsDocument>& definitions) {
  TopologyState out;
  Collector c(&out);
  // Users first: Permissions refer to them by metadata.name, a User's name comes from its Secret,
  // and a User's own problem is named before a Permission that refers to it.
  std::vector<const Object*> secrets = SecretsIn(objects);
  std::map<std::string, std::string> user_names;  // User metadata.name → the user's name
  std::set<ResourceKey>* retained = &out.retained;
  for (const Object& o : objects) {
    if (!IsTopologyObject(o) || o.kind() != "User") continue;
    auto user = UserFromObject(o, secrets);
    if (user.ok()) user_names[o.key().name] = user.value().name;
    WARREN_RETURN_IF_ERROR(AddObject(c, std::move(user), &out.users, o, retained));
  }
  for (const Object& o : objects) {
    if (!IsTopologyObject(o)) continue;
    const std::string& k = o.kind();
    if (k == "Vhost")
      WARREN_RETURN_IF_ERROR(AddObject(c, VhostFromObject(o), &out.vhosts, o, retained));
    else if (k == "Exchange")
      WARREN_RETURN_IF_ERROR(AddObject(c, ExchangeFromObject(o), &out.exchanges, o, retained));
    else if (k == "Queue")
      WARREN_RETURN_IF_ERROR(AddObject(c, QueueFromObject(o), &out.queues, o, retained));
    else if (k == "Binding")
      WARREN_RETURN_IF_ERROR(AddObject(c, BindingFromObject(o), &out.bindings, o, retained));
    else if (k == "Policy")
      WARREN_RETURN_IF_ERROR(AddObject(c, PolicyFromObject(o), &out.policies, o, retained));
    else if (k == "OperatorPolicy")
      WARREN_RETURN_IF_ERROR(AddObject(c, OperatorPolicyFromObject(o), &out.operator_policies, o, retained));
    else if (k == "Permission")
      WARREN_RETURN_IF_ERROR(AddObject(c, PermissionFromObject(o, user_names), &out.permissions, o, retained));
    else if (k == "TopicPermission")
      WARREN_RETURN_IF_ERROR(
          AddObject(c, TopicPermissionFromObject(o, user_names), &out.topic_permissions, o, retained));
    else if (k == "Federation")
      WARREN_RETURN_IF_ERROR(AddObject(c, FederationFromObject(o, secrets), &out.parameters, o, retained));
    else if (k == "Shovel")
      WARREN_RETURN_IF_ERROR(AddObject(c, ShovelFromObject(o, secrets), &out.parameters, o, retained));
    else if (k == "SuperStream")
      WARREN_RETURN_IF_ERROR(AddSuperStream(c, o, &out));
  }
  for (const DefinitionsDocument& d : definitions) {
    WARREN_ASSIGN_OR_RETURN(auto state, StateFromDefinitions(d.doc, d.where));
    WARREN_RETURN_IF_ERROR(c.AddAll(std::move(state), d.where));
  }
  Normalize(&out);
  return out;
}

std::vector<GeneratedCredentials> CredentialsToGenerate(const std::vector<Object>& objects) {
  std::vector<GeneratedCredentials> out;
  for (const Object& o : objects)
    if (IsTopologyObject(o) && o.kind() == "User" &&
        StringField(Field(Field(o.doc(), "spec"), "importCredentialsSecret"), "name").empty())
      out.push_back({GeneratedCredentialsSecret(o), o.key().name});
  return out;
}

std::vector<std::string> NotCarried(const std::vector<Object>& objects) {
  std::vector<std::string> out;
  for (const Object& o : objects) {
    if (IsUnmanagedRabbitObject(o))
      out.push_back(o.where().ToString() + ": " + o.key().ToString() +
                    ": warren does not manage this rabbitmq.com kind in RabbitMQ: not compared, not applied");
    for (const std::string& field : UnsupportedFields(o)) {
      std::string pointer = "/" + field;
      std::replace(pointer.begin(), pointer.end(), '.', '/');
      out.push_back(o.LocationOf(pointer).ToString() + ": " + o.key().ToString() + ": " + field +
                    " is not supported by warren: not compared, not applied");
    }
  }
  return out;
}

std::set<std::string> ManagedVhosts(const TopologyState& desired) {
  std::set<std::string> out;
  for (const Vhost& v : desired.vhosts) out.insert(v.name);
  for (const Exchange& e : desired.exchanges) out.insert(e.vhost);
  for (const Queue& q : desired.queues) out.insert(q.vhost);
  for (const Binding& b : desired.bindings) out.insert(b.vhost);
  for (const Policy& p : desired.policies) out.insert(p.vhost);
  for (const OperatorPolicy& p : desired.operator_policies) out.insert(p.vhost);
  for (const Parameter& p : desired.parameters) out.insert(p.vhost);
  return out;
}

}  // namespace warren::rabbit
