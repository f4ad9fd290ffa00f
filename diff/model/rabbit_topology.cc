#include "diff/model/rabbit_topology.h"

#include <algorithm>
#include <initializer_list>

namespace warren::rabbit {
namespace {

// Reads spec fields with type checks; the first problem is kept and reported once.
class SpecReader {
 public:
  explicit SpecReader(const Object& o) : o_(o) {
    auto it = o.doc().find("spec");
    if (it == o.doc().end() || !it->is_object()) Fail("", "has no spec");
    else spec_ = &*it;
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

  const Json* Find(const char* field) const {
    if (!spec_) return nullptr;
    auto it = spec_->find(field);
    return it == spec_->end() || it->is_null() ? nullptr : &*it;
  }

  void Fail(const std::string& field, const std::string& what) {
    if (!status_.ok()) return;
    std::string pointer = field.empty() ? "" : "/spec/" + field;
    status_ = Status::Invalid(o_.LocationOf(pointer).ToString() + ": " + o_.key().ToString() + " " +
                              what);
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

}  // namespace

bool IsTopologyObject(const Object& o) {
  if (o.group() != kGroup) return false;
  const std::string k = o.kind();
  return k == "Vhost" || k == "Exchange" || k == "Queue" || k == "Binding" || k == "Policy";
}

Result<Vhost> VhostFromObject(const Object& o) {
  SpecReader r(o);
  Vhost v;
  v.name = r.String("name", "", true);
  v.tracing = r.Bool("tracing");
  v.default_queue_type = r.String("defaultQueueType", "");
  r.OneOf("defaultQueueType", v.default_queue_type, {"classic", "quorum", "stream"});
  if (const Json* tags = r.Find("tags")) v.tags = *tags;
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

Result<Policy> PolicyFromObject(const Object& o) {
  SpecReader r(o);
  Policy p;
  p.name = r.String("name", "", true);
  p.vhost = r.String("vhost", "/");
  p.pattern = r.String("pattern", "", true);
  p.apply_to = r.String("applyTo", "all");
  r.OneOf("applyTo", p.apply_to, {"queues", "classic_queues", "quorum_queues", "exchanges", "all"});
  if (const Json* prio = r.Find("priority")) {
    if (prio->is_number_integer()) p.priority = prio->get<int>();
    else r.Fail("priority", "spec.priority must be an integer");
  }
  p.definition = r.Object("definition", true);
  if (r.status().ok() && p.definition.empty())
    r.Fail("definition", "spec.definition must not be empty");
  return Done(r, p);
}

Status ValidateTopologyObject(const Object& o) {
  if (!IsTopologyObject(o)) return Status::Ok();
  const std::string k = o.kind();
  if (k == "Vhost") return VhostFromObject(o).status();
  if (k == "Exchange") return ExchangeFromObject(o).status();
  if (k == "Queue") return QueueFromObject(o).status();
  if (k == "Binding") return BindingFromObject(o).status();
  return PolicyFromObject(o).status();
}

}  // namespace warren::rabbit
