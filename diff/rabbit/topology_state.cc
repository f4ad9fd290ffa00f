#include "diff/rabbit/topology_state.h"

#include <algorithm>
#include <cctype>

#include "diff/model/object.h"

namespace warren::rabbit {
namespace {

ResourceKey Key(const std::string& kind, const std::string& vhost, const std::string& name) {
  return ResourceKey{kGroup, kind, vhost, name};
}

bool StartsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// Policy keys whose values RabbitMQ validates as integers (rabbit_policies, rabbit_mirror_queue_misc).
bool IsIntegerPolicyKey(const std::string& key) {
  for (const char* k :
       {"max-length", "max-length-bytes", "message-ttl", "expires", "delivery-limit", "ha-sync-batch-size",
        "ha-promote-on-shutdown-timeout", "max-in-memory-length", "max-in-memory-bytes", "queue-version"})
    if (key == k) return true;
  return false;
}

bool IsDecimalInteger(const std::string& s) {
  if (s.empty() || s.size() > 18) return false;
  size_t i = s[0] == '-' ? 1 : 0;
  if (i == s.size()) return false;
  return std::all_of(s.begin() + static_cast<long>(i), s.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

void IntegerFromString(Json& v) {
  if (v.is_string() && IsDecimalInteger(v.get<std::string>())) v = std::stoll(v.get<std::string>());
}

}  // namespace

ResourceKey KeyOf(const Vhost& v) { return Key("Vhost", "", v.name); }
ResourceKey KeyOf(const Exchange& e) { return Key("Exchange", e.vhost, e.name); }
ResourceKey KeyOf(const Queue& q) { return Key("Queue", q.vhost, q.name); }
ResourceKey KeyOf(const Binding& b) { return Key("Binding", b.vhost, BindingName(b)); }
ResourceKey KeyOf(const Policy& p) { return Key("Policy", p.vhost, p.name); }
ResourceKey KeyOf(const OperatorPolicy& p) { return Key("OperatorPolicy", p.vhost, p.name); }
ResourceKey KeyOf(const User& u) { return Key("User", "", u.name); }
ResourceKey KeyOf(const Permission& p) { return Key("Permission", p.vhost, p.user); }
ResourceKey KeyOf(const TopicPermission& p) {
  return Key("TopicPermission", p.vhost, p.user + " [" + p.exchange + "]");
}
ResourceKey KeyOf(const Parameter& p) { return Key(KindOfComponent(p.component), p.vhost, p.name); }

std::string BindingName(const Binding& b) {
  std::string out = (b.source.empty() ? "(default)" : b.source) + " -> " + b.destination_type + ":" + b.destination +
                    " [" + b.routing_key + "]";
  if (b.arguments.is_object() && !b.arguments.empty()) out += " " + b.arguments.dump();
  return out;
}

bool IsBuiltIn(const Exchange& e) { return e.name.empty() || StartsWith(e.name, "amq."); }
bool IsBuiltIn(const Queue& q) { return q.name == "aliveness-test" || StartsWith(q.name, "amq.gen-"); }
bool IsBuiltIn(const Binding& b) { return b.source.empty(); }

Json NormalizePolicyDefinition(Json definition) {
  if (!definition.is_object()) return definition;
  for (auto it = definition.begin(); it != definition.end(); ++it)
    if (IsIntegerPolicyKey(it.key())) IntegerFromString(it.value());
  // ha-params is a count for ha-mode "exactly" (a node list for "nodes").
  auto mode = definition.find("ha-mode");
  auto params = definition.find("ha-params");
  if (mode != definition.end() && *mode == "exactly" && params != definition.end()) IntegerFromString(*params);
  return definition;
}

void Normalize(TopologyState* state) {
  for (Vhost& v : state->vhosts) {
    if (v.tags.is_array()) std::sort(v.tags.begin(), v.tags.end());
    if (v.default_queue_type == "undefined") v.default_queue_type.clear();
  }
  for (Queue& q : state->queues) {
    auto t = q.arguments.find("x-queue-type");
    if (t != q.arguments.end()) {
      if (t->is_string()) q.type = t->get<std::string>();
      q.arguments.erase(t);
    }
    if (q.type.empty()) q.type = "classic";
  }
  for (Policy& p : state->policies) p.definition = NormalizePolicyDefinition(std::move(p.definition));
  for (OperatorPolicy& p : state->operator_policies) p.definition = NormalizePolicyDefinition(std::move(p.definition));
  for (User& u : state->users)
    if (u.tags.is_array()) std::sort(u.tags.begin(), u.tags.end());
}

Json InventoryToJson(const Inventory& inventory) {
  Json objects = Json::array();
  for (const ResourceKey& k : inventory.keys) {
    Json item = {{"kind", k.kind}, {"name", k.name}};
    if (!k.ns.empty()) item["vhost"] = k.ns;
    if (inventory.retained.count(k)) item["retain"] = true;
    objects.push_back(std::move(item));
  }
  return {{"managedBy", "warren"}, {"objects", std::move(objects)}};
}

Result<Inventory> InventoryFromJson(const Json& value) {
  Inventory out;
  auto objects = value.is_object() ? value.find("objects") : value.end();
  if (!value.is_object() || objects == value.end() || !objects->is_array())
    return Status::Invalid("warren inventory: expected {\"objects\":[...]}, got " + value.dump().substr(0, 80));
  for (const Json& item : *objects) {
    if (!item.is_object() || !item.contains("kind") || !item.contains("name"))
      return Status::Invalid("warren inventory: entry without kind and name: " + item.dump().substr(0, 80));
    ResourceKey key{kGroup, StringField(item, "kind"), StringField(item, "vhost"), StringField(item, "name")};
    out.keys.insert(key);
    if (BoolField(item, "retain", false)) out.retained.insert(key);
  }
  return out;
}

}  // namespace warren::rabbit
