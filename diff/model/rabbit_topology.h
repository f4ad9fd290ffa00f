// Typed views of the RabbitMQ desired state, in the shapes of the RabbitMQ messaging-topology
// operator (apiVersion rabbitmq.com/v1beta1): Vhost (with its limits), Exchange, Queue, Binding,
// Policy, OperatorPolicy, User, Permission, TopicPermission, Federation and Shovel, and the
// v1alpha1 SuperStream.
//
// Each FromObject applies the operator's CRD defaults (vhost "/", exchange type "direct", policy
// applyTo "all" and priority 0; durable and autoDelete false) and checks the required fields and
// enums, so the rest of warren works on complete values. Errors name the object and where it was
// written.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "diff/model/object.h"
#include "diff/model/status.h"

namespace warren::rabbit {

inline constexpr const char* kGroup = "rabbitmq.com";

struct Vhost {
  std::string name;
  bool tracing = false;
  std::string default_queue_type;  // "" = the server's default
  Json tags = Json::array();
  // {"max-connections": N, "max-queues": N}; null = not managed (the operator's spec.limits absent).
  Json limits;
};

struct Exchange {
  std::string name;
  std::string vhost = "/";
  std::string type = "direct";  // direct | fanout | headers | topic
  bool durable = false;
  bool auto_delete = false;
  Json arguments = Json::object();
};

struct Queue {
  std::string name;
  std::string vhost = "/";
  std::string type;  // "" (classic by default), classic | quorum | stream
  bool durable = false;
  bool auto_delete = false;
  Json arguments = Json::object();
};

struct Binding {
  std::string vhost = "/";
  std::string source;  // "" is the default exchange
  std::string destination;
  std::string destination_type;  // queue | exchange
  std::string routing_key;
  Json arguments = Json::object();
};

struct Policy {
  std::string name;
  std::string vhost = "/";
  std::string pattern;
  std::string apply_to = "all";  // queues | classic_queues | quorum_queues | exchanges | all
  int priority = 0;
  Json definition = Json::object();
};

// A Policy set by the broker's operators (capped to a few keys); applyTo is queues | classic_queues
// | quorum_queues | streams, "queues" by default.
struct OperatorPolicy : Policy {
  OperatorPolicy() { apply_to = "queues"; }
};

// A user, its tags and its password. The password is never printed: desired, it is the plain text
// (from the Secret named by importCredentialsSecret) or a hash; live, the server's salted hash.
struct User {
  std::string name;
  Json tags = Json::array();
  std::string password;           // desired only: the plain text
  std::string password_hash;      // base64(salt + hash), as the management API shows it
  std::string hashing_algorithm;  // rabbit_password_hashing_sha256 (the default), _sha512, _md5
  // {"max-connections": N, "max-channels": N}; null = not managed (the operator's spec.userLimits absent).
  Json limits;
};

struct Permission {
  std::string user;
  std::string vhost = "/";
  std::string configure, write, read;
};

struct TopicPermission {
  std::string user;
  std::string vhost = "/";
  std::string exchange;
  std::string write, read;
};

// A Federation (upstream) or a Shovel: a runtime parameter of a plugin's component. `value` has
// RabbitMQ's keys ("uri", "src-queue", ...); the URIs come from the Secret named by uriSecret and
// carry credentials, so they are never shown.
struct Parameter {
  std::string component;  // federation-upstream | shovel
  std::string name;
  std::string vhost = "/";
  Json value = Json::object();
};

// A SuperStream (rabbitmq.com/v1alpha1): a partitioned stream. RabbitMQ keeps it as ordinary
// items, and warren expands it into them: a durable direct exchange `name`, one durable stream
// queue `name-<routing key>` per partition, and a binding from the exchange to each with the
// routing key and {"x-stream-partition-order": index}. Routing keys default to "0", "1", ...
struct SuperStream {
  std::string name;
  std::string vhost = "/";
  std::vector<std::string> routing_keys;
};
struct SuperStreamItems {
  Exchange exchange;
  std::vector<Queue> partitions;
  std::vector<Binding> bindings;
};
SuperStreamItems ExpandSuperStream(const SuperStream& s);

// Keys of a parameter's value that hold credentials: compared, never shown.
bool IsSecretParameterKey(const std::string& key);
// The plugin a parameter component needs ("rabbitmq_federation", "rabbitmq_shovel").
std::string PluginOf(const std::string& component);
// A parameter component's kind ("federation-upstream" → "Federation", "shovel" → "Shovel") and back.
std::string KindOfComponent(const std::string& component);
std::string ComponentOfKind(const std::string& kind);

// True when the object is one of the rabbitmq.com kinds above.
bool IsTopologyObject(const Object& o);

// A rabbitmq.com object warren does not manage (SchemaReplication, ...): reported,
// never applied. RabbitmqCluster, the cluster operator's kind, is a Kubernetes object.
bool IsUnmanagedRabbitObject(const Object& o);

// spec fields of a topology object that warren neither compares nor applies ("spec.foo").
std::vector<std::string> UnsupportedFields(const Object& o);

// The Secret an object takes credentials from: a User's importCredentialsSecret (or, naming none,
// its generated Secret), a Federation's or Shovel's uriSecret. nullopt for other objects.
std::optional<ResourceKey> CredentialsSecretOf(const Object& o);

// The Secret `key` among `secrets`, or null.
const Object* FindSecret(const std::vector<const Object*>& secrets, const ResourceKey& key);

// The Secrets of a set, and its Users' names by metadata.name (for userReference; Users whose
// credentials cannot be read are left out, DesiredTopology names them).
std::vector<const Object*> SecretsIn(const std::vector<Object>& objects);
std::map<std::string, std::string> UserNames(const std::vector<Object>& objects,
                                             const std::vector<const Object*>& secrets);

// The credentials Secrets (see CredentialsSecretOf) the set does not hold: a caller with a
// Kubernetes target reads them from the cluster and adds them to the objects before DesiredTopology.
std::vector<ResourceKey> SecretsNotInSet(const std::vector<Object>& objects);

// spec.deletionPolicy: retain: prune forgets the object instead of deleting it.
bool RetainedOnDelete(const Object& o);

Result<Vhost> VhostFromObject(const Object& o);
Result<Exchange> ExchangeFromObject(const Object& o);
Result<Queue> QueueFromObject(const Object& o);
Result<Binding> BindingFromObject(const Object& o);
Result<Policy> PolicyFromObject(const Object& o);
Result<OperatorPolicy> OperatorPolicyFromObject(const Object& o);
// Where the credentials of a User without importCredentialsSecret live, as the operator keeps
// them: Secret <metadata.name>-user-credentials in its namespace (warren generates it on sync,
// with the User's metadata.name as the username and a random password).
ResourceKey GeneratedCredentialsSecret(const Object& user);
// `secrets` are the Secrets of the same set: importCredentialsSecret (or the generated Secret) is
// looked up there.
Result<User> UserFromObject(const Object& o, const std::vector<const Object*>& secrets);
// `users` resolve userReference (a User's metadata.name) to the user's name.
Result<Permission> PermissionFromObject(const Object& o, const std::map<std::string, std::string>& users);
Result<TopicPermission> TopicPermissionFromObject(const Object& o, const std::map<std::string, std::string>& users);
Result<Parameter> FederationFromObject(const Object& o, const std::vector<const Object*>& secrets);
Result<Parameter> ShovelFromObject(const Object& o, const std::vector<const Object*>& secrets);
// spec.partitions (3 by default, as the operator's CRD) and spec.routingKeys (as many as
// partitions when given, no repeats).
Result<SuperStream> SuperStreamFromObject(const Object& o);

// Validates whichever kind `o` is; OK for objects that are not topology objects.
Status ValidateTopologyObject(const Object& o);

}  // namespace warren::rabbit
