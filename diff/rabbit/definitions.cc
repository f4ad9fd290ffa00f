#include "diff/rabbit/definitions.h"

#include <algorithm>

namespace warren::rabbit {
namespace {

// Reads one item's fields, remembering the first problem with the item's place in the document.
class ItemReader {
 public:
  ItemReader(const Json& item, std::string where) : item_(item), where_(std::move(where)) {
    if (!item.is_object()) Fail("is not an object");
  }

  std::string String(const char* key, std::string fallback = "", bool required = false) {
    const Json* v = Find(key);
    if (!v) {
      if (required) Fail(std::string("has no \"") + key + "\"");
      return fallback;
    }
    if (!v->is_string()) Fail(std::string("\"") + key + "\" is not a string");
    return v->is_string() ? v->get<std::string>() : fallback;
  }
  bool Bool(const char* key) {
    const Json* v = Find(key);
    if (v && !v->is_boolean()) Fail(std::string("\"") + key + "\" is not true or false");
    return v && v->is_boolean() && v->get<bool>();
  }
  Json Object(const char* key) {
    const Json* v = Find(key);
    if (v && !v->is_object()) Fail(std::string("\"") + key + "\" is not an object");
    return v && v->is_object() ? *v : Json::object();
  }
  int Int(const char* key) {
    const Json* v = Find(key);
    if (v && !v->is_number_integer()) Fail(std::string("\"") + key + "\" is not an integer");
    return v && v->is_number_integer() ? v->get<int>() : 0;
  }
  const Json* Find(const char* key) const {
    if (!item_.is_object()) return nullptr;
    auto it = item_.find(key);
    return it == item_.end() || it->is_null() ? nullptr : &*it;
  }
  void Fail(const std::string& what) {
    if (status_.ok()) status_ = Status::Invalid(where_ + " " + what);
  }
  const Status& status() const { return status_; }

 private:
  const Json& item_;
  std::string where_;
  Status status_;
};

// Tags arrive as a list (GET) or a comma-separated string (older exports).
Json TagList(const Json* v) {
  Json out = Json::array();
  if (!v) return out;
  if (v->is_array()) {
    for (const Json& t : *v)
      if (t.is_string() && !t.get<std::string>().empty()) out.push_back(t);
  } else if (v->is_string()) {
    std::string s = v->get<std::string>();
    size_t start = 0;
    while (start <= s.size()) {
      size_t end = s.find(',', start);
      if (end == std::string::npos) end = s.size();
      if (end > start) out.push_back(s.substr(start, end - start));
      start = end + 1;
    }
  }
  return out;
}

const Json* Section(const Json& doc, const char* key, const std::string& where, Status* status) {
  auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) return nullptr;
  if (!it->is_array() && status->ok()) *status = Status::Invalid(where + ": \"" + key + "\" is not a list");
  return it->is_array() ? &*it : nullptr;
}

}  // namespace

Result<TopologyState> StateFromDefinitions(const Json& doc, const std::string& where,
                                           const std::string& default_vhost) {
  if (!doc.is_object()) return Status::Invalid(where + ": definitions must be a JSON object");
  TopologyState s;
  Status status;
  auto each = [&](const char* key, auto&& read) {
    const Json* list = Section(doc, key, where, &status);
    if (!list) return;
    for (size_t i = 0; i < list->size() && status.ok(); ++i) {
      ItemReader r((*list)[i], where + ": " + key + "[" + std::to_string(i) + "]");
      read(r);
      if (!r.status().ok()) status = r.status();
    }
  };
  each("vhosts", [&](ItemReader& r) {
    Vhost v;
    v.name = r.String("name", "", true);
    const Json* meta = r.Find("metadata");
    const Json* tags = r.Find("tags");
    if (!tags && meta && meta->is_object() && meta->contains("tags")) tags = &(*meta)["tags"];
    v.tags = TagList(tags);
    v.tracing = r.Bool("tracing");
    v.default_queue_type = r.String("default_queue_type");
    s.vhosts.push_back(std::move(v));
  });
  each("exchanges", [&](ItemReader& r) {
    Exchange e;
    e.name = r.String("name", "", true);
    e.vhost = r.String("vhost", default_vhost);
    e.type = r.String("type", "direct");
    e.durable = r.Bool("durable");
    e.auto_delete = r.Bool("auto_delete");
    e.arguments = r.Object("arguments");
    s.exchanges.push_back(std::move(e));
  });
  each("queues", [&](ItemReader& r) {
    Queue q;
    q.name = r.String("name", "", true);
    q.vhost = r.String("vhost", default_vhost);
    q.type = r.String("type");
    q.durable = r.Bool("durable");
    q.auto_delete = r.Bool("auto_delete");
    q.arguments = r.Object("arguments");
    if (!r.Bool("exclusive")) s.queues.push_back(std::move(q));  // exclusive queues die with their connection
  });
  each("bindings", [&](ItemReader& r) {
    Binding b;
    b.vhost = r.String("vhost", default_vhost);
    b.source = r.String("source");
    b.destination = r.String("destination", "", true);
    b.destination_type = r.String("destination_type", "", true);
    if (r.status().ok() && b.destination_type != "queue" && b.destination_type != "exchange")
      r.Fail("destination_type \"" + b.destination_type + "\" is not queue or exchange");
    b.routing_key = r.String("routing_key");
    b.arguments = r.Object("arguments");
    s.bindings.push_back(std::move(b));
  });
  // Policies and operator policies share their fields.
  auto policy = [&]<typename P>(ItemReader& r, std::vector<P>* out) {
    P p;
    p.name = r.String("name", "", true);
    p.vhost = r.String("vhost", default_vhost);
    p.pattern = r.String("pattern", "", true);
    p.apply_to = r.String("apply-to", p.apply_to);
    p.priority = r.Int("priority");
    const Json* def = r.Find("definition");
    // `rabbitmqctl list_policies --formatter json` prints the definition as a JSON string.
    if (def && def->is_string()) {
      Json parsed = Json::parse(def->get<std::string>(), nullptr, false);
      if (parsed.is_discarded())
        r.Fail("\"definition\" is a string that is not JSON");
      else
        p.definition = std::move(parsed);
    } else {
      p.definition = r.Object("definition");
    }
    out->push_back(std::move(p));
  };
  each("policies", [&](ItemReader& r) { policy(r, &s.policies); });
  // Not in 3.10's exports, but in GET /api/operator-policies and in hand-written files.
  each("operator_policies", [&](ItemReader& r) { policy(r, &s.operator_policies); });
  each("users", [&](ItemReader& r) {
    User u;
    u.name = r.String("name", "", true);
    u.tags = TagList(r.Find("tags"));
    u.password_hash = r.String("password_hash");
    u.hashing_algorithm = r.String("hashing_algorithm");
    if (r.Find("limits")) u.limits = r.Object("limits");  // 3.10 exports them; {} = none
    s.users.push_back(std::move(u));
  });
  each("permissions", [&](ItemReader& r) {
    Permission p;
    p.user = r.String("user", "", true);
    p.vhost = r.String("vhost", default_vhost);
    p.configure = r.String("configure");
    p.write = r.String("write");
    p.read = r.String("read");
    s.permissions.push_back(std::move(p));
  });
  each("topic_permissions", [&](ItemReader& r) {
    TopicPermission p;
    p.user = r.String("user", "", true);
    p.vhost = r.String("vhost", default_vhost);
    p.exchange = r.String("exchange", "", true);
    p.write = r.String("write");
    p.read = r.String("read");
    s.topic_permissions.push_back(std::move(p));
  });
  // Runtime parameters of the components warren manages; others (and warren's own) are not read.
  each("parameters", [&](ItemReader& r) {
    Parameter p;
    p.component = r.String("component", "", true);
    p.name = r.String("name", "", true);
    p.vhost = r.String("vhost", default_vhost);
    p.value = r.Object("value");
    if (!PluginOf(p.component).empty()) s.parameters.push_back(std::move(p));
  });
  if (!status.ok()) return status;
  return s;
}

Status MergeVhostLimits(const Json& api_limits, TopologyState* state) {
  if (!api_limits.is_array()) return Status::Invalid("GET /api/vhost-limits: expected a list");
  for (Vhost& v : state->vhosts) v.limits = Json::object();  // live: no limit is a known value
  for (const Json& item : api_limits) {
    if (!item.is_object() || !item.contains("value") || !item["value"].is_object()) continue;
    const std::string& name = StringField(item, "vhost");
    for (Vhost& v : state->vhosts)
      if (v.name == name) v.limits = item["value"];
  }
  return Status::Ok();
}

Status MergeVhostDetails(const Json& api_vhosts, TopologyState* state) {
  if (!api_vhosts.is_array()) return Status::Invalid("GET /api/vhosts: expected a list");
  for (const Json& item : api_vhosts) {
    if (!item.is_object()) continue;
    const std::string& name = StringField(item, "name");
    auto it = std::find_if(state->vhosts.begin(), state->vhosts.end(), [&](const Vhost& v) { return v.name == name; });
    if (it == state->vhosts.end()) it = state->vhosts.insert(state->vhosts.end(), Vhost{name});
    auto tags = item.find("tags");
    it->tags = TagList(tags == item.end() ? nullptr : &*tags);
    auto tracing = item.find("tracing");
    it->tracing = tracing != item.end() && tracing->is_boolean() && tracing->get<bool>();
    it->default_queue_type = StringField(item, "default_queue_type");
  }
  return Status::Ok();
}

}  // namespace warren::rabbit
