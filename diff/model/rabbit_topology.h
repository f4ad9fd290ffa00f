// Typed views of the RabbitMQ desired state, in the shapes of the RabbitMQ messaging-topology
// operator (apiVersion rabbitmq.com/v1beta1): Vhost, Exchange, Queue, Binding, Policy.
//
// Each FromObject applies the operator's CRD defaults (vhost "/", exchange type "direct", policy
// applyTo "all" and priority 0; durable and autoDelete false) and checks the required fields and
// enums, so the rest of warren works on complete values. Errors name the object and where it was
// written.
#pragma once

#include <string>

#include "diff/model/object.h"
#include "diff/model/status.h"

namespace warren::rabbit {

inline constexpr const char* kGroup = "rabbitmq.com";

struct Vhost {
  std::string name;
  bool tracing = false;
  std::string default_queue_type;  // "" = the server's default
  Json tags = Json::array();
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

// True when the object is one of the rabbitmq.com kinds above.
bool IsTopologyObject(const Object& o);

Result<Vhost> VhostFromObject(const Object& o);
Result<Exchange> ExchangeFromObject(const Object& o);
Result<Queue> QueueFromObject(const Object& o);
Result<Binding> BindingFromObject(const Object& o);
Result<Policy> PolicyFromObject(const Object& o);

// Validates whichever kind `o` is; OK for objects that are not topology objects.
Status ValidateTopologyObject(const Object& o);

}  // namespace warren::rabbit
