#include "diff/rabbit/desired_topology.h"

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
      return Status::Invalid(where + ": RabbitMQ " + DisplayKey(key) + " is defined twice (first at " + it->second + ")");
    list->push_back(std::move(item));
    return Status::Ok();
  }

  Status AddAll(TopologyState from, const std::string& where) {
    for (Vhost& v : from.vhosts) WARREN_RETURN_IF_ERROR(Add(std::move(v), &out_->vhosts, where));
    for (Exchange& e : from.exchanges) WARREN_RETURN_IF_ERROR(Add(std::move(e), &out_->exchanges, where));
    for (Queue& q : from.queues) WARREN_RETURN_IF_ERROR(Add(std::move(q), &out_->queues, where));
    for (Binding& b : from.bindings) WARREN_RETURN_IF_ERROR(Add(std::move(b), &out_->bindings, where));
    for (Policy& p : from.policies) WARREN_RETURN_IF_ERROR(Add(std::move(p), &out_->policies, where));
    return Status::Ok();
  }

  static std::string DisplayKey(const ResourceKey& k) {
    return k.kind + " " + (k.ns.empty() ? k.name : k.name + " (vhost " + k.ns + ")");
  }

 private:
  TopologyState* out_;
};

template <typename T>
Status AddObject(Collector& c, Result<T> item, std::vector<T>* list, const Object& o) {
  if (!item.ok()) return item.status();
  return c.Add(std::move(item).value(), list, o.where().ToString());
}

}  // namespace

Result<TopologyState> DesiredTopology(const std::vector<Object>& objects,
                                      const std::vector<DefinitionsDocument>& definitions) {
  TopologyState out;
  Collector c(&out);
  for (const Object& o : objects) {
    if (!IsTopologyObject(o)) continue;
    const std::string& k = o.kind();
    if (k == "Vhost") WARREN_RETURN_IF_ERROR(AddObject(c, VhostFromObject(o), &out.vhosts, o));
    else if (k == "Exchange") WARREN_RETURN_IF_ERROR(AddObject(c, ExchangeFromObject(o), &out.exchanges, o));
    else if (k == "Queue") WARREN_RETURN_IF_ERROR(AddObject(c, QueueFromObject(o), &out.queues, o));
    else if (k == "Binding") WARREN_RETURN_IF_ERROR(AddObject(c, BindingFromObject(o), &out.bindings, o));
    else WARREN_RETURN_IF_ERROR(AddObject(c, PolicyFromObject(o), &out.policies, o));
  }
  for (const DefinitionsDocument& d : definitions) {
    auto state = StateFromDefinitions(d.doc, d.where);
    if (!state.ok()) return state.status();
    WARREN_RETURN_IF_ERROR(c.AddAll(std::move(state).value(), d.where));
  }
  Normalize(&out);
  return out;
}

std::set<std::string> ManagedVhosts(const TopologyState& desired) {
  std::set<std::string> out;
  for (const Vhost& v : desired.vhosts) out.insert(v.name);
  for (const Exchange& e : desired.exchanges) out.insert(e.vhost);
  for (const Queue& q : desired.queues) out.insert(q.vhost);
  for (const Binding& b : desired.bindings) out.insert(b.vhost);
  for (const Policy& p : desired.policies) out.insert(p.vhost);
  return out;
}

}  // namespace warren::rabbit
