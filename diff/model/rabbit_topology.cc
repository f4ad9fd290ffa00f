#include "diff/model/rabbit_topology.h"

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <optional>
#include <set>

#include "diff/model/base64.h"

namespace warren::rabbit {
namespace {

// Reads spec fields with type checks; the first problem is kept and reported once.
class SpecReader {
 public:
  explicit SpecReader(const Object& o) : o_(o) {
    auto it = o.doc().find("spec");
    if (it == o.doc().end() || !it->is_object()) {
      Fail("", "has no spec");
      return;
    }
    spec_ = &*it;
    // The operator's promise about deletion, read by RetainedOnDelete: a typo must not mean "delete".
    OneOf("deletionPolicy", String("deletionPolicy", ""), {"delete", "retain"});
  }

  std::string String(const char* field, std::string fallback, bool required = false) {
    const Json* v = Find(field);
    if (!v) {
      if (required) Fail(field, "spec." + std::string(field) + " is required");
      return fallback;
    }
    if (!v->is_string()) {
      Fail(field, "spec." + std::string(field) + " must be a string");
      return fallback;
    }
    return v->get<std::string>();
  }

  bool Bool(const char* field) {
    const Json* v = Find(field);
    if (!v) return false;
    if (!v->is_boolean()) Fail(field, "spec." + std::string(field) + " must be true or false");
    return v->is_boolean() && v->get<bool>();
  }

  // Limits in RabbitMQ's names ({"max-connections": 10}) from the operator's ({connections: 10});
  // null when the field is absent (not managed), {} when it is empty (no limits).
  Json Limits(const char* field, std::initializer_list<std::pair<const char*, const char*>> names) {
    if (!Find(field)) return Json();
    Json limits = Object(field);
    Json out = Json::object();
    for (const auto& [from, to] : names) {
      if (!limits.contains(from) || limits[from].is_null()) continue;
      if (!limits[from].is_number_integer() || limits[from].get<long long>() < 0)
        Fail(field, "spec." + std::string(field) + "." + from + " must be a whole number, 0 or more");
      else
        out[to] = limits[from];
    }
    return out;
  }

  // A list of strings (tags), or null when absent.
  Json StringList(const char* field) {
    const Json* v = Find(field);
    if (!v) return Json();
    if (!v->is_array() || !std::all_of(v->begin(), v->end(), [](const Json& t) { return t.is_string(); })) {
      Fail(field, "spec." + std::string(field) + " must be a list of strings");
      return Json();
    }
    return *v;
  }

  Json Object(const char* field, bool required = false) {
    const Json* v = Find(field);
    if (!v) {
      if (required) Fail(field, "spec." + std::string(field) + " is required");
      return Json::object();
    }
    if (!v->is_object()) Fail(field, "spec." + std::string(field) + " must be a mapping");
    return v->is_object() ? *v : Json::object();
  }

  void OneOf(const char* field, const std::string& value, std::initializer_list<const char*> allowed) {
    if (value.empty()) return;
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return value == a; })) {
      std::string list;
      for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
      Fail(field, "spec." + std::string(field) + " \"" + value + "\" is not one of " + list);
    }
  }

  // A string inside a mapping field: spec.permissions.read.
  std::string Nested(const char* field, const char* key, bool required = false) {
    const Json* v = Find(field);
    std::string path = std::string(field) + "." + key;
    if (!v || !v->is_object() || !v->contains(key) || (*v)[key].is_null()) {
      if (required) Fail(field, "spec." + path + " is required");
      return "";
    }
    if (!(*v)[key].is_string()) Fail(field, "spec." + path + " must be a string");
    return (*v)[key].is_string() ? (*v)[key].get<std::string>() : "";
  }

  const Json* Find(const char* field) const {
    if (!spec_) return nullptr;
    auto it = spec_->find(field);
    return it == spec_->end() || it->is_null() ? nullptr : &*it;
  }

  void Fail(const std::string& field, const std::string& what) {
    if (!status_.ok()) return;
    std::string pointer = field.empty() ? "" : "/spec/" + field;
    status_ = Status::Invalid(o_.LocationOf(pointer).ToString() + ": " + o_.key().ToString() + " " + what);
  }

  const Status& status() const { return status_; }

 private:
  const warren::Object& o_;
  const Json* spec_ = nullptr;
  Status status_;
};

template <typename T>
Result<T> Done(const SpecReader& r, T value) {
  if (!r.status().ok()) return r.status();
  return value;
}

// The spec fields warren reads, by kind (the operator's names); nested mappings list their keys.
const std::map<std::string, std::vector<std::string>>& KnownFields() {
  static const std::map<std::string, std::vector<std::string>> kKnown = {
      {"Vhost", {"name", "tracing", "defaultQueueType", "tags", "limits", "limits.connections", "limits.queues"}},
      {"Exchange", {"name", "vhost", "type", "durable", "autoDelete", "arguments"}},
      {"Queue", {"name", "vhost", "type", "durable", "autoDelete", "arguments"}},
      {"Binding", {"vhost", "source", "destination", "destinationType", "routingKey", "arguments"}},
      {"Policy", {"name", "vhost", "pattern", "applyTo", "priority", "definition"}},
      {"OperatorPolicy", {"name", "vhost", "pattern", "applyTo", "priority", "definition"}},
      {"User",
       {"tags", "importCredentialsSecret", "importCredentialsSecret.name", "userLimits", "userLimits.connections",
        "userLimits.channels"}},
      {"Permission",
       {"vhost", "user", "userReference", "userReference.name", "permissions", "permissions.configure",
        "permissions.write", "permissions.read"}},
      {"TopicPermission",
       {"vhost", "user", "userReference", "userReference.name", "permissions", "permissions.exchange",
        "permissions.write", "permissions.read"}},
      {"Federation",
       {"name", "vhost", "uriSecret", "uriSecret.name", "expires", "messageTTL", "maxHops", "prefetchCount",
        "reconnectDelay", "trustUserId", "exchange", "ackMode", "queue"}},
      {"SuperStream", {"name", "vhost", "partitions", "routingKeys"}},
      {"Shovel",
       {"name",
        "vhost",
        "uriSecret",
        "uriSecret.name",
        "ackMode",
        "reconnectDelay",
        "srcQueue",
        "srcExchange",
        "srcExchangeKey",
        "srcDeleteAfter",
        "srcPrefetchCount",
        "srcProtocol",
        "srcAddress",
        "destQueue",
        "destExchange",
        "destExchangeKey",
        "destProtocol",
        "destAddress",
        "destAddForwardHeaders",
        "destAddTimestampHeader"}},
  };
  return kKnown;
}

// A Secret's value for `key`: stringData as written, else data decoded; nullopt when absent.
std::optional<std::string> SecretValue(const Object& secret, const std::string& key) {
  const Json& doc = secret.doc();
  if (auto sd = doc.find("stringData");
      sd != doc.end() && sd->is_object() && sd->contains(key) && (*sd)[key].is_string())
    return (*sd)[key].get<std::string>();
  if (auto d = doc.find("data"); d != doc.end() && d->is_object() && d->contains(key) && (*d)[key].is_string())
    return Base64Decode((*d)[key].get<std::string>());
  return std::nullopt;
}

// The operator's camelCase spec field as RabbitMQ's parameter key: srcExchangeKey → src-exchange-key.
std::string ParameterKey(const std::string& field) {
  if (field == "messageTTL") return "message-ttl";
  std::string out;
  for (char c : field) {
    if (std::isupper(static_cast<unsigned char>(c)))
      out += '-', out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else
      out += c;
  }
  return out;
}

// Federation and Shovel: name and vhost, the URIs from the Secret, every other known field as
// its RabbitMQ key.
Result<Parameter> ParameterFromObject(const Object& o, const std::vector<const Object*>& secrets,
                                      const std::string& component,
                                      const std::vector<std::pair<const char*, const char*>>& uris) {
  SpecReader r(o);
  Parameter p;
  p.component = component;
  p.name = r.String("name", "", true);
  p.vhost = r.String("vhost", "/");
  std::string secret = r.Nested("uriSecret", "name", true);
  r.OneOf("ackMode", r.String("ackMode", ""), {"on-confirm", "on-publish", "no-ack"});
  if (!r.status().ok()) return r.status();
  const Object* found = FindSecret(secrets, *CredentialsSecretOf(o));
  if (!found) {
    r.Fail("uriSecret", "spec.uriSecret names Secret " + (o.key().ns.empty() ? "" : o.key().ns + "/") + secret +
                            ", which is not in the desired set nor, with a Kubernetes target, in the cluster");
    return r.status();
  }
  for (const auto& [secret_key, parameter_key] : uris) {
    auto uri = SecretValue(*found, secret_key);
    if (!uri || uri->empty()) {
      r.Fail("uriSecret", "Secret " + secret + " has no " + secret_key);
      return r.status();
    }
    p.value[parameter_key] = *uri;
  }
  for (const std::string& field : KnownFields().at(o.kind())) {
    if (field == "name" || field == "vhost" || field.rfind("uriSecret", 0) == 0) continue;
    if (const Json* v = r.Find(field.c_str())) p.value[ParameterKey(field)] = *v;
  }
  return Done(r, p);
}

std::string UserOf(SpecReader& r, const std::map<std::string, std::string>& users) {
  std::string user = r.String("user", "");
  std::string ref = r.Nested("userReference", "name");
  if (user.empty() == ref.empty()) {
    r.Fail(user.empty() ? "user" : "userReference", "needs exactly one of spec.user and spec.userReference");
    return "";
  }
  if (!ref.empty()) {
    auto it = users.find(ref);
    if (it == users.end())
      r.Fail("userReference", "spec.userReference names User " + ref + ", which is not in the desired set");
    return it == users.end() ? "" : it->second;
  }
  return user;
}

}  // namespace

bool IsTopologyObject(const Object& o) { return o.group() == kGroup && KnownFields().count(o.kind()) > 0; }

bool IsUnmanagedRabbitObject(const Object& o) {
  return o.group() == kGroup && !IsTopologyObject(o) && o.kind() != "RabbitmqCluster";
}

std::vector<std::string> UnsupportedFields(const Object& o) {
  std::vector<std::string> out;
  auto known = KnownFields().find(o.kind());
  auto spec = o.doc().find("spec");
  if (!IsTopologyObject(o) || spec == o.doc().end() || !spec->is_object()) return out;
  auto is_known = [&](const std::string& f) {
    return std::find(known->second.begin(), known->second.end(), f) != known->second.end();
  };
  for (auto it = spec->begin(); it != spec->end(); ++it) {
    const std::string& k = it.key();
    if (k == "rabbitmqClusterReference" || k == "deletionPolicy") continue;  // which cluster; prune's rule
    if (!is_known(k)) {
      out.push_back("spec." + k);
      continue;
    }
    if (!it->is_object() || k == "arguments" || k == "definition") continue;  // free-form maps
    for (auto in = it->begin(); in != it->end(); ++in)
      if (!is_known(k + "." + in.key())) out.push_back("spec." + k + "." + in.key());
  }
  return out;
}

std::optional<ResourceKey> CredentialsSecretOf(const Object& o) {
  if (!IsTopologyObject(o)) return std::nullopt;
  const char* field = o.kind() == "User"                                   ? "importCredentialsSecret"
                      : (o.kind() == "Federation" || o.kind() == "Shovel") ? "uriSecret"
                                                                           : nullptr;
  if (!field) return std::nullopt;
  const std::string& name = StringField(Field(Field(o.doc(), "spec"), field), "name");
  if (!name.empty()) return ResourceKey{"", "Secret", o.key().ns, name};
  if (o.kind() == "User") return GeneratedCredentialsSecret(o);
  return std::nullopt;
}

const Object* FindSecret(const std::vector<const Object*>& secrets, const ResourceKey& key) {
  auto it = std::find_if(secrets.begin(), secrets.end(), [&](const Object* s) { return s->key() == key; });
  return it == secrets.end() ? nullptr : *it;
}

std::vector<const Object*> SecretsIn(const std::vector<Object>& objects) {
  std::vector<const Object*> out;
  for (const Object& o : objects)
    if (o.group().empty() && o.kind() == "Secret") out.push_back(&o);
  return out;
}

std::map<std::string, std::string> UserNames(const std::vector<Object>& objects,
                                             const std::vector<const Object*>& secrets) {
  std::map<std::string, std::string> out;
  for (const Object& o : objects)
    if (IsTopologyObject(o) && o.kind() == "User")
      if (auto u = UserFromObject(o, secrets); u.ok()) out[o.key().name] = u.value().name;
  return out;
}

std::vector<ResourceKey> SecretsNotInSet(const std::vector<Object>& objects) {
  std::vector<const Object*> secrets = SecretsIn(objects);
  std::set<ResourceKey> wanted;
  for (const Object& o : objects)
    if (auto key = CredentialsSecretOf(o); key && !FindSecret(secrets, *key)) wanted.insert(*key);
  return {wanted.begin(), wanted.end()};
}

bool RetainedOnDelete(const Object& o) { return StringField(Field(o.doc(), "spec"), "deletionPolicy") == "retain"; }

Result<Vhost> VhostFromObject(const Object& o) {
  SpecReader r(o);
  Vhost v;
  v.name = r.String("name", "", true);
  v.tracing = r.Bool("tracing");
  v.default_queue_type = r.String("defaultQueueType", "");
  r.OneOf("defaultQueueType", v.default_queue_type, {"classic", "quorum", "stream"});
  if (r.Find("tags")) v.tags = r.StringList("tags");
  v.limits = r.Limits("limits", {{"connections", "max-connections"}, {"queues", "max-queues"}});
  return Done(r, v);
}

Result<Exchange> ExchangeFromObject(const Object& o) {
  SpecReader r(o);
  Exchange e;
  e.name = r.String("name", "", true);
  e.vhost = r.String("vhost", "/");
  e.type = r.String("type", "direct");
  r.OneOf("type", e.type, {"direct", "fanout", "headers", "topic"});
  e.durable = r.Bool("durable");
  e.auto_delete = r.Bool("autoDelete");
  e.arguments = r.Object("arguments");
  return Done(r, e);
}

Result<Queue> QueueFromObject(const Object& o) {
  SpecReader r(o);
  Queue q;
  q.name = r.String("name", "", true);
  q.vhost = r.String("vhost", "/");
  q.type = r.String("type", "");
  r.OneOf("type", q.type, {"classic", "quorum", "stream"});
  q.durable = r.Bool("durable");
  q.auto_delete = r.Bool("autoDelete");
  q.arguments = r.Object("arguments");
  if ((q.type == "quorum" || q.type == "stream") && r.status().ok() && !q.durable)
    r.Fail("durable", q.type + " queues must be durable (set spec.durable: true)");
  return Done(r, q);
}

Result<Binding> BindingFromObject(const Object& o) {
  SpecReader r(o);
  Binding b;
  b.vhost = r.String("vhost", "/");
  b.source = r.String("source", "");
  b.destination = r.String("destination", "", true);
  b.destination_type = r.String("destinationType", "", true);
  r.OneOf("destinationType", b.destination_type, {"queue", "exchange"});
  b.routing_key = r.String("routingKey", "");
  b.arguments = r.Object("arguments");
  return Done(r, b);
}

// Policies and operator policies: the same fields, their own applyTo values and default.
template <typename P>
Result<P> PolicyLike(const Object& o, std::initializer_list<const char*> apply_to) {
  SpecReader r(o);
  P p;
  p.name = r.String("name", "", true);
  p.vhost = r.String("vhost", "/");
  p.pattern = r.String("pattern", "", true);
  p.apply_to = r.String("applyTo", p.apply_to);
  r.OneOf("applyTo", p.apply_to, apply_to);
  if (const Json* prio = r.Find("priority")) {
    if (prio->is_number_integer())
      p.priority = prio->get<int>();
    else
      r.Fail("priority", "spec.priority must be an integer");
  }
  p.definition = r.Object("definition", true);
  if (r.status().ok() && p.definition.empty()) r.Fail("definition", "spec.definition must not be empty");
  return Done(r, p);
}

Result<Policy> PolicyFromObject(const Object& o) {
  return PolicyLike<Policy>(o, {"queues", "classic_queues", "quorum_queues", "exchanges", "all"});
}

Result<OperatorPolicy> OperatorPolicyFromObject(const Object& o) {
  return PolicyLike<OperatorPolicy>(o, {"queues", "classic_queues", "quorum_queues", "streams"});
}

ResourceKey GeneratedCredentialsSecret(const Object& user) {
  return ResourceKey{"", "Secret", user.key().ns, user.key().name + "-user-credentials"};
}

Result<User> UserFromObject(const Object& o, const std::vector<const Object*>& secrets) {
  SpecReader r(o);
  User u;
  if (r.Find("tags")) u.tags = r.StringList("tags");
  u.limits = r.Limits("userLimits", {{"connections", "max-connections"}, {"channels", "max-channels"}});
  bool generated = r.Nested("importCredentialsSecret", "name").empty();
  if (!r.status().ok()) return r.status();
  ResourceKey key = *CredentialsSecretOf(o);
  const std::string& secret = key.name;
  const Object* found = FindSecret(secrets, key);
  std::string where = (o.key().ns.empty() ? "" : o.key().ns + "/") + secret;
  if (!found && generated) {
    r.Fail("importCredentialsSecret",
           "has no spec.importCredentialsSecret, and Secret " + where +
               ", where warren keeps the password it generates, does not exist yet: a sync with a "
               "Kubernetes target creates it");
    return r.status();
  }
  if (!found) {
    r.Fail("importCredentialsSecret",
           "spec.importCredentialsSecret names Secret " + where +
               ", which is not in the desired set nor, with a Kubernetes target, in the cluster");
    return r.status();
  }
  auto name = SecretValue(*found, "username");
  auto password = SecretValue(*found, "password");
  auto hash = SecretValue(*found, "passwordHash");
  if (!name || name->empty())
    r.Fail("importCredentialsSecret", "Secret " + secret + " has no username");
  else if (!password && !hash)
    r.Fail("importCredentialsSecret", "Secret " + secret + " has neither password nor passwordHash");
  if (!r.status().ok()) return r.status();
  u.name = *name;
  if (hash)
    u.password_hash = *hash;
  else
    u.password = *password;
  return u;
}

Result<Permission> PermissionFromObject(const Object& o, const std::map<std::string, std::string>& users) {
  SpecReader r(o);
  Permission p;
  p.vhost = r.String("vhost", "", true);
  p.user = UserOf(r, users);
  r.Object("permissions", true);
  p.configure = r.Nested("permissions", "configure");
  p.write = r.Nested("permissions", "write");
  p.read = r.Nested("permissions", "read");
  return Done(r, p);
}

Result<TopicPermission> TopicPermissionFromObject(const Object& o, const std::map<std::string, std::string>& users) {
  SpecReader r(o);
  TopicPermission p;
  p.vhost = r.String("vhost", "", true);
  p.user = UserOf(r, users);
  r.Object("permissions", true);
  p.exchange = r.Nested("permissions", "exchange", true);
  p.write = r.Nested("permissions", "write");
  p.read = r.Nested("permissions", "read");
  return Done(r, p);
}

Result<Parameter> FederationFromObject(const Object& o, const std::vector<const Object*>& secrets) {
  return ParameterFromObject(o, secrets, ComponentOfKind("Federation"), {{"uri", "uri"}});
}

Result<Parameter> ShovelFromObject(const Object& o, const std::vector<const Object*>& secrets) {
  return ParameterFromObject(o, secrets, ComponentOfKind("Shovel"), {{"srcUri", "src-uri"}, {"destUri", "dest-uri"}});
}

bool IsSecretParameterKey(const std::string& key) { return key == "uri" || key == "src-uri" || key == "dest-uri"; }

std::string PluginOf(const std::string& component) {
  return component == "federation-upstream" ? "rabbitmq_federation" : component == "shovel" ? "rabbitmq_shovel" : "";
}

std::string KindOfComponent(const std::string& component) { return component == "shovel" ? "Shovel" : "Federation"; }
std::string ComponentOfKind(const std::string& kind) { return kind == "Shovel" ? "shovel" : "federation-upstream"; }

Result<SuperStream> SuperStreamFromObject(const Object& o) {
  SpecReader r(o);
  SuperStream s;
  s.name = r.String("name", "", true);
  s.vhost = r.String("vhost", "/");
  long long partitions = 3;
  if (const Json* p = r.Find("partitions")) {
    if (!p->is_number_integer() || p->get<long long>() < 1 || p->get<long long>() > 1000) {
      r.Fail("partitions", "spec.partitions must be an integer from 1 to 1000");
      return r.status();
    }
    partitions = p->get<long long>();
  }
  Json keys = r.StringList("routingKeys");
  if (!r.status().ok()) return r.status();
  if (keys.is_array() && !keys.empty()) {
    if (static_cast<long long>(keys.size()) != partitions)
      r.Fail("routingKeys", "spec.routingKeys has " + std::to_string(keys.size()) + " keys for " +
                                std::to_string(partitions) + " partitions; give one key per partition");
    for (const Json& k : keys) {
      const std::string& key = k.get_ref<const std::string&>();
      if (key.empty()) r.Fail("routingKeys", "spec.routingKeys: a routing key is empty");
      if (std::count(s.routing_keys.begin(), s.routing_keys.end(), key))
        r.Fail("routingKeys", "spec.routingKeys: \"" + key + "\" is given twice");
      s.routing_keys.push_back(key);
    }
  } else {
    for (long long i = 0; i < partitions; ++i) s.routing_keys.push_back(std::to_string(i));
  }
  return Done(r, s);
}

SuperStreamItems ExpandSuperStream(const SuperStream& s) {
  SuperStreamItems out;
  out.exchange.name = s.name;
  out.exchange.vhost = s.vhost;
  out.exchange.type = "direct";
  out.exchange.durable = true;
  for (size_t i = 0; i < s.routing_keys.size(); ++i) {
    Queue q;
    q.name = s.name + "-" + s.routing_keys[i];
    q.vhost = s.vhost;
    q.type = "stream";
    q.durable = true;
    Binding b;
    b.vhost = s.vhost;
    b.source = s.name;
    b.destination = q.name;
    b.destination_type = "queue";
    b.routing_key = s.routing_keys[i];
    b.arguments = {{"x-stream-partition-order", static_cast<int>(i)}};
    out.partitions.push_back(std::move(q));
    out.bindings.push_back(std::move(b));
  }
  return out;
}

Status ValidateTopologyObject(const Object& o) {
  if (!IsTopologyObject(o)) return Status::Ok();
  const std::string k = o.kind();
  if (k == "Vhost") return VhostFromObject(o).status();
  if (k == "Exchange") return ExchangeFromObject(o).status();
  if (k == "Queue") return QueueFromObject(o).status();
  if (k == "Binding") return BindingFromObject(o).status();
  if (k == "Policy") return PolicyFromObject(o).status();
  if (k == "OperatorPolicy") return OperatorPolicyFromObject(o).status();
  if (k == "SuperStream") return SuperStreamFromObject(o).status();
  // Users and permissions need the rest of the set (Secrets, User names): checked where it is read.
  return Status::Ok();
}

}  // namespace warren::rabbit
