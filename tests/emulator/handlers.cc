// The resource verbs: get, list, watch, create, update, patch (JSON, merge, strategic, apply),
// delete, and SelfSubjectAccessReview. Every write goes through Commit, which defaults,
// validates, and stores (unless dryRun=All), as the API server's pipeline does.
#include <httplib.h>

#include <chrono>
#include <ctime>

#include "diff/model/decode.h"
#include "tests/emulator/api_server.h"
#include "tests/emulator/call.h"
#include "tests/emulator/custom_resources.h"
#include "tests/emulator/defaults.h"
#include "tests/emulator/fields.h"
#include "tests/emulator/managed_fields.h"
#include "tests/emulator/openapi_types.h"
#include "tests/emulator/protobuf.h"
#include "tests/emulator/selectors.h"
#include "tests/emulator/structural_schema.h"
#include "tests/emulator/tables.h"
#include "tests/emulator/validate.h"

namespace emulator {

namespace {

void NotFound(httplib::Response& res, const Resource& r, const std::string& name) {
  Fail(res, 404, "NotFound", r.Qualified() + " \"" + name + "\" not found",
       {{"name", name}, {"group", r.group}, {"kind", r.name}});
}

bool HasStatusSubresource(const Resource& r) {
  return std::find(r.subresources.begin(), r.subresources.end(), "status") != r.subresources.end();
}

Json WithType(const Resource& r, Json obj) {
  obj["apiVersion"] = r.GroupVersion();
  obj["kind"] = r.kind;
  return obj;
}

Json ScaleOf(const Json& obj) {
  const Json& m = obj["metadata"];
  std::string selector;
  const Json sel = obj["spec"].value("selector", Json::object()).value("matchLabels", Json::object());
  for (auto it = sel.begin(); it != sel.end(); ++it)
    selector += (selector.empty() ? "" : ",") + it.key() + "=" + it->get<std::string>();
  return {{"kind", "Scale"},
          {"apiVersion", "autoscaling/v1"},
          {"metadata",
           {{"name", m["name"]},
            {"namespace", m["namespace"]},
            {"uid", m["uid"]},
            {"resourceVersion", m["resourceVersion"]},
            {"creationTimestamp", m["creationTimestamp"]}}},
          {"spec", {{"replicas", obj["spec"].value("replicas", 1)}}},
          {"status", {{"replicas", obj.value("status", Json::object()).value("replicas", 0)}, {"selector", selector}}}};
}

}  // namespace

// ---- reads -------------------------------------------------------------------------------------

void ApiServer::GetOrList(Call& c) {
  const Resource& r = *c.resource;
  bool table = c.sub.empty() && WantsTable(c.req.get_header_value("Accept"));
  std::string include_object = c.req.get_param_value("includeObject");
  std::lock_guard<std::mutex> lock(store_.mu());
  if (c.verb == "get") {
    auto obj = store_.Get(r, c.ns, c.name);
    if (!obj) return NotFound(c.res, r, c.name);
    if (table)
      return Reply(c.res, 200,
                   ToTable(r, {*obj}, include_object, {{"resourceVersion", (*obj)["metadata"]["resourceVersion"]}},
                           std::time(nullptr)));
    return Reply(c.res, 200, c.sub == "scale" ? ScaleOf(*obj) : *obj);
  }
  std::vector<Json> all = store_.List(r, c.ns);
  std::erase_if(all, [&](const Json& o) {
    return !Selected(o, c.req.get_param_value("labelSelector"), c.req.get_param_value("fieldSelector"));
  });
  size_t offset = 0;
  std::string list_rv = std::to_string(store_.rv());
  if (c.req.has_param("continue")) {
    auto parts = Split(c.req.get_param_value("continue"), ':');
    if (parts.size() != 2) return Fail(c.res, 400, "BadRequest", "continue key is not valid");
    if (std::stoll(parts[0]) < store_.oldest_rv())
      return Fail(c.res, 410, "Expired",
                  "The provided continue parameter is too old to display a consistent list result. "
                  "You can start a new list without the continue parameter.");
    list_rv = parts[0];
    offset = std::stoul(parts[1]);
  }
  size_t limit = c.req.has_param("limit") ? std::stoul(c.req.get_param_value("limit")) : 0;
  Json items = Json::array();
  size_t i = offset;
  for (; i < all.size() && (limit == 0 || items.size() < limit); ++i) {
    Json item = all[i];
    item.erase("apiVersion");  // list items carry no type, as from a real server
    item.erase("kind");
    items.push_back(std::move(item));
  }
  Json meta = {{"resourceVersion", list_rv}};
  if (i < all.size()) {
    meta["continue"] = list_rv + ":" + std::to_string(i);
    meta["remainingItemCount"] = all.size() - i;
  }
  if (table)
    return Reply(c.res, 200,
                 ToTable(r, std::vector<Json>(items.begin(), items.end()), include_object, meta, std::time(nullptr)));
  Reply(c.res, 200,
        {{"kind", r.kind + "List"}, {"apiVersion", r.GroupVersion()}, {"metadata", meta}, {"items", items}});
}

void ApiServer::Watch(Call& c) {
  struct State {
    long long rv = 0;
    std::vector<Json> initial;  // synthetic ADDED events still to send
    bool bookmarks = false;
    bool expired = false;
    std::chrono::steady_clock::time_point deadline, last_sent;
  };
  auto state = std::make_shared<State>();
  const Resource* r = c.resource;
  std::string ns = c.ns, name = c.name;
  const httplib::Request& req = c.req;
  std::string labels = req.get_param_value("labelSelector"), fields = req.get_param_value("fieldSelector");
  if (!name.empty()) fields = "metadata.name=" + name;
  state->bookmarks = req.get_param_value("allowWatchBookmarks") == "true";
  // `kubectl get -w` watches for Tables: each event's object is then a one-row Table.
  bool table = WantsTable(req.get_header_value("Accept"));
  std::string include_object = req.get_param_value("includeObject");
  int timeout = req.has_param("timeoutSeconds") ? std::stoi(req.get_param_value("timeoutSeconds")) : 1800;
  state->deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout);
  state->last_sent = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(store_.mu());
    std::string from = req.get_param_value("resourceVersion");
    if (from.empty() || from == "0") {
      state->rv = store_.rv();
      for (Json& o : store_.List(*r, ns)) {
        if (Selected(o, labels, fields)) state->initial.push_back({{"type", "ADDED"}, {"object", o}});
      }
    } else {
      state->rv = std::stoll(from);
      state->expired = state->rv < store_.oldest_rv();
    }
  }
  c.res.status = 200;
  // ";stream=watch" as for protobuf watches; it also keeps cpp-httplib from gzipping the stream,
  // which would hold events back until the watch ends.
  c.res.set_chunked_content_provider(
      "application/json;stream=watch",
      [this, state, r, ns, labels, fields, table, include_object](size_t, httplib::DataSink& sink) {
        auto send = [&](Json event) {
          if (table && (event["type"] == "ADDED" || event["type"] == "MODIFIED" || event["type"] == "DELETED"))
            event["object"] = ToTable(*r, {event["object"]}, include_object,
                                      {{"resourceVersion", event["object"]["metadata"].value("resourceVersion", "")}},
                                      std::time(nullptr));
          std::string line = event.dump() + "\n";
          state->last_sent = std::chrono::steady_clock::now();
          return sink.write(line.data(), line.size());
        };
        if (state->expired) {
          std::unique_lock<std::mutex> lock(store_.mu());
          send({{"type", "ERROR"},
                {"object", StatusBody(410, "Expired",
                                      "too old resource version: " + std::to_string(state->rv) + " (" +
                                          std::to_string(store_.oldest_rv() - 1) + ")")}});
          sink.done();
          return true;
        }
        for (const Json& e : state->initial)
          if (!send(e)) return false;
        state->initial.clear();
        if (stopping_ || std::chrono::steady_clock::now() > state->deadline || !sink.is_writable()) {
          sink.done();
          return true;
        }
        std::unique_lock<std::mutex> lock(store_.mu());
        store_.Wait(lock, state->rv, 500);
        for (const Event& e : store_.EventsAfter(state->rv)) {
          state->rv = e.rv;
          // By name, not identity: a changed CRD serves its resource anew (custom_resources.h).
          if (e.resource != r && (e.resource->GroupVersion() != r->GroupVersion() || e.resource->name != r->name))
            continue;
          if (!ns.empty() && e.object["metadata"].value("namespace", "") != ns) continue;
          if (!Selected(e.object, labels, fields)) continue;
          if (!send({{"type", e.type}, {"object", e.object}})) return false;
        }
        state->rv = std::max(state->rv, store_.rv());
        if (state->bookmarks && std::chrono::steady_clock::now() - state->last_sent > std::chrono::seconds(1))
          send({{"type", "BOOKMARK"},
                {"object",
                 {{"kind", r->kind},
                  {"apiVersion", r->GroupVersion()},
                  {"metadata", {{"resourceVersion", std::to_string(state->rv)}}}}}});
        return true;
      });
}

// ---- writes ------------------------------------------------------------------------------------

namespace {

std::optional<Json> DecodeBody(const httplib::Request& req, httplib::Response& res) {
  std::string type = req.get_header_value("Content-Type");
  type = type.substr(0, type.find(';'));
  if (type == "application/vnd.kubernetes.protobuf") {
    std::string error;
    auto object = DecodeObject(req.body, &error);
    if (!object)
      Fail(res, 415, "UnsupportedMediaType",
           "the body of the request was in an unknown format - accepted media types "
           "include: application/json, application/yaml (" +
               error + ")");
    return object;
  }
  auto docs = warren::DecodeYaml(req.body, "request body");
  if (!docs.ok() || docs.value().empty() || !docs.value()[0].value.is_object()) {
    Fail(res, 400, "BadRequest",
         "the object provided is unrecognized or could not be decoded" +
             (docs.ok() ? std::string() : ": " + docs.status().message()));
    return std::nullopt;
  }
  return docs.value()[0].value;
}

// A body that is no object of its kind (`spec: "3"`), refused as Go's JSON decoding refuses it.
bool RefuseMisshapen(const Resource& r, const Json& body, httplib::Response& res) {
  std::string id = TypedSchemaId(r.group, r.version, r.kind);
  auto m = id.empty() ? std::nullopt : FindShapeMismatch(id, body);
  if (!m) return false;
  Fail(res, 400, "BadRequest",
       r.kind + " in version \"" + r.version + "\" cannot be handled as a " + r.kind + ": json: cannot unmarshal " +
           m->found + " into Go struct field " + m->go_struct + "." + m->path + " of type " + m->go_type);
  return true;
}

}  // namespace

// What metadata.generation counts: changes of spec, or of a custom resource's everything but
// metadata and status.
static Json SpecOf(const Resource& r, const Json& obj) {
  if (r.crd.empty()) return obj.value("spec", Json());
  Json rest = obj;
  rest.erase("metadata");
  rest.erase("status");
  rest.erase("apiVersion");
  rest.erase("kind");
  return rest;
}

// A custom resource's fields the schema does not declare are pruned (fieldValidation=Strict
// refuses them, Warn, the default, says so in a Warning header, Ignore drops them silently), then
// its values are validated against the schema. False when refused (answered).
static bool CheckCustomObject(ApiServer::Call& c, Json& obj, std::vector<FieldError>& errors) {
  const Resource& r = *c.resource;
  std::string mode = c.req.has_param("fieldValidation") ? c.req.get_param_value("fieldValidation") : "Warn";
  if (mode != "Strict" && mode != "Warn" && mode != "Ignore") {
    Fail(c.res, 400, "BadRequest",
         "fieldValidation: Unsupported value: \"" + mode + "\": supported values: \"Ignore\", \"Strict\", \"Warn\"");
    return false;
  }
  std::vector<std::string> unknown = PruneUnknownFields(r.schema, obj);
  if (!unknown.empty() && mode == "Strict") {
    std::string list;
    for (const std::string& u : unknown)
      list += (list.empty() ? "" : ", ") + std::string("unknown field \"") + u + "\"";
    Fail(c.res, 400, "BadRequest",
         r.kind + " in version \"" + r.version + "\" cannot be handled as a " + r.kind +
             ": strict decoding error: " + list);
    return false;
  }
  if (mode == "Warn")
    for (const std::string& u : unknown) c.res.set_header("Warning", "299 - \"unknown field \\\"" + u + "\\\"\"");
  std::vector<FieldError> more = ValidateAgainstSchema(r.schema, obj);
  errors.insert(errors.end(), more.begin(), more.end());
  return true;
}

// Defaults, validates and stores `obj` (the candidate new state); `old` is the stored object.
// `record` fills managedFields once defaults are in. Replies with `code` or the error.
static bool Commit(ApiServer::Call& c, Store& store, Json obj, const std::optional<Json>& old, int code,
                   const std::function<void(Json&)>& record, const Allocator& alloc);

void ApiServer::Create(Call& c) {
  const Resource& r = *c.resource;
  if (!c.sub.empty() || !c.name.empty())
    return Fail(c.res, 405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
  auto body = DecodeBody(c.req, c.res);
  if (!body || RefuseMisshapen(r, *body, c.res)) return;
  std::lock_guard<std::mutex> lock(store_.mu());
  Json& meta = (*body)["metadata"];
  if (!meta.is_object()) meta = Json::object();
  if (r.namespaced && meta.value("namespace", "").empty()) meta["namespace"] = c.ns;
  if (r.namespaced && meta.value("namespace", "") != c.ns)
    return Fail(c.res, 400, "BadRequest",
                "the namespace of the provided object does not match the namespace sent on the request");
  std::string name = meta.value("name", "");
  if (!name.empty() && store_.Get(r, c.ns, name))
    return Fail(c.res, 409, "AlreadyExists", r.Qualified() + " \"" + name + "\" already exists",
                {{"name", name}, {"group", r.group}, {"kind", r.name}});
  std::string manager = ManagerOf(c.req);
  Commit(c, store_, *body, std::nullopt, 201, [&](Json& o) { RecordUpdate(r, o, nullptr, manager, ""); },
         {[this] { return AllocateClusterIp(); }, [this] { return AllocateNodePort(); }});
}

void ApiServer::Update(Call& c) {
  const Resource& r = *c.resource;
  auto body = DecodeBody(c.req, c.res);
  if (!body || (c.sub.empty() && RefuseMisshapen(r, *body, c.res))) return;
  std::lock_guard<std::mutex> lock(store_.mu());
  auto old = store_.Get(r, c.ns, c.name);
  if (!old) return NotFound(c.res, r, c.name);
  Json& meta = (*body)["metadata"];
  if (!meta.is_object()) meta = Json::object();
  std::string rv = meta.value("resourceVersion", "");
  if (!rv.empty() && rv != (*old)["metadata"].value("resourceVersion", ""))
    return Fail(c.res, 409, "Conflict",
                "Operation cannot be fulfilled on " + r.Qualified() + " \"" + c.name +
                    "\": the object has been modified; please apply your changes to the latest version and try again",
                {{"name", c.name}, {"group", r.group}, {"kind", r.name}});
  Json next = *body;
  if (c.sub == "scale") {
    next = *old;
    next["spec"]["replicas"] = (*body)["spec"].value("replicas", 1);
  } else if (c.sub == "status") {
    next = *old;
    next["status"] = (*body).value("status", Json::object());
  } else if (HasStatusSubresource(r)) {
    next.erase("status");  // written through /status only
    if (old->contains("status")) next["status"] = (*old)["status"];
  }
  std::string manager = ManagerOf(c.req);
  Commit(c, store_, next, old, 200, [&](Json& o) { RecordUpdate(r, o, &*old, manager, c.sub); },
         {[this] { return AllocateClusterIp(); }, [this] { return AllocateNodePort(); }});
}

void ApiServer::Patch(Call& c) {
  const Resource& r = *c.resource;
  std::string type = c.req.get_header_value("Content-Type");
  type = type.substr(0, type.find(';'));
  bool apply = type == "application/apply-patch+yaml";
  static const char* kAccepted =
      "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, "
      "application/strategic-merge-patch+json";
  if (!apply && type != "application/json-patch+json" && type != "application/merge-patch+json" &&
      type != "application/strategic-merge-patch+json")
    return Fail(
        c.res, 415, "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: " + std::string(kAccepted));
  if (!apply && c.req.has_param("force"))
    return Fail(c.res, 422, "Invalid",
                "PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be specified for non-apply patch");
  Allocator alloc{[this] { return AllocateClusterIp(); }, [this] { return AllocateNodePort(); }};
  std::lock_guard<std::mutex> lock(store_.mu());
  auto old = store_.Get(r, c.ns, c.name);

  if (apply) {
    if (!c.req.has_param("fieldManager") || c.req.get_param_value("fieldManager").empty())
      return Fail(
          c.res, 422, "Invalid",
          "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch");
    auto docs = warren::DecodeYaml(c.req.body, "apply patch");
    if (!docs.ok() || docs.value().empty() || !docs.value()[0].value.is_object())
      return Fail(c.res, 400, "BadRequest",
                  "error decoding YAML: " + (docs.ok() ? std::string("not an object") : docs.status().message()));
    Json config = docs.value()[0].value;
    if (config.value("kind", "") != r.kind && c.sub.empty())
      return Fail(c.res, 400, "BadRequest",
                  "the kind of the applied object (" + config.value("kind", "") + ") does not match the resource (" +
                      r.kind + ")");
    // As a 1.32 server does (kubernetes#139253): a typed-conversion failure of the patch is a 500.
    std::string id = c.sub.empty() ? TypedSchemaId(r.group, r.version, r.kind) : "";
    if (auto m = id.empty() ? std::nullopt : FindShapeMismatch(id, config))
      return Fail(c.res, 500, "InternalError",
                  "failed to create typed patch object (" + c.ns + "/" + c.name + "; " + r.group + "/" + r.version +
                      ", Kind=" + r.kind + "): ." + m->path + ": expected " + m->expected + ", got " + m->found);
    Json& meta = config["metadata"];
    if (!meta.is_object()) meta = Json::object();
    if (meta.value("name", c.name) != c.name)
      return Fail(c.res, 400, "BadRequest",
                  "the name of the object (" + meta.value("name", "") + ") does not match the name on the URL (" +
                      c.name + ")");
    meta["name"] = c.name;
    if (r.namespaced) meta["namespace"] = c.ns;
    meta.erase("managedFields");
    std::string manager = c.req.get_param_value("fieldManager");
    bool force = c.req.get_param_value("force") == "true";
    FieldSet applied = FieldSetOf(r.kind, config);
    std::vector<Json> entries = EntriesOf(old ? &*old : nullptr);
    Json merged = config;
    if (old) {
      // Values compare as the server stores them: defaults and canonical quantities.
      Json canonical = config;
      Allocator none{[] { return std::string(); }, [] { return 0; }};
      ApplyDefaults(r.kind, canonical, &*old, none);
      std::vector<std::pair<Json, std::string>> conflicts;
      std::vector<std::pair<size_t, FieldPath>> taken;
      for (size_t i = 0; i < entries.size(); ++i) {
        if (SameEntry(entries[i], manager, "Apply", c.sub)) continue;
        for (const FieldPath& p : Leaves(applied)) {
          if (p.back() == ".") continue;
          const FieldSet& theirs = entries[i]["fieldsV1"];
          if (!Owns(theirs, p) && !OwnsBelow(theirs, p)) continue;
          const Json* live_value = ValueAt(r.kind, *old, p);
          const Json* want = ValueAt(r.kind, canonical, p);
          if (live_value && want && *live_value == *want) continue;  // same value: shared ownership
          conflicts.emplace_back(entries[i], PathString(p));
          taken.emplace_back(i, p);
        }
      }
      if (!conflicts.empty() && !force) {
        Json causes = Json::array();
        for (const auto& [entry, path] : conflicts)
          causes.push_back({{"reason", "FieldManagerConflict"},
                            {"message", "conflict with " + ManagerText(entry)},
                            {"field", path}});
        return Fail(c.res, 409, "Conflict", ConflictMessage(conflicts), {{"causes", causes}});
      }
      for (const auto& [i, p] : taken) Disown(&entries[i]["fieldsV1"], p);
      merged = MergeApplied(r.kind, *old, config);
      // Fields this manager applied before and applies no more go, unless someone else owns them.
      auto mine = std::find_if(entries.begin(), entries.end(),
                               [&](const Json& e) { return SameEntry(e, manager, "Apply", c.sub); });
      if (mine != entries.end())
        for (const FieldPath& p : Leaves((*mine)["fieldsV1"])) {
          if (Owns(applied, p) || OwnsBelow(applied, p)) continue;
          bool shared = std::any_of(entries.begin(), entries.end(), [&](const Json& e) {
            return &e != &*mine && (Owns(e["fieldsV1"], p) || OwnsBelow(e["fieldsV1"], p));
          });
          if (!shared) RemoveAt(r.kind, &merged, p);
        }
      if (c.sub.empty()) merged["status"] = old->value("status", Json());
      if (merged["status"].is_null()) merged.erase("status");
    }
    std::erase_if(entries, [&](const Json& e) { return SameEntry(e, manager, "Apply", c.sub); });
    Json entry = NewEntry(manager, "Apply", config.value("apiVersion", r.GroupVersion()), c.sub);
    entry["fieldsV1"] = applied;
    entries.push_back(entry);
    Commit(
        c, store_, merged, old, old ? 200 : 201, [&](Json& o) { StoreEntries(o, entries); }, alloc);
    return;
  }

  if (!old) return NotFound(c.res, r, c.name);
  Json patch = Json::parse(c.req.body, nullptr, false);
  if (patch.is_discarded()) return Fail(c.res, 400, "BadRequest", "error decoding patch: invalid JSON");
  Json target = c.sub == "scale" ? ScaleOf(*old) : *old;
  Json patched;
  try {
    if (type == "application/json-patch+json")
      patched = target.patch(patch);
    else if (type == "application/merge-patch+json") {
      patched = target;
      patched.merge_patch(patch);
    } else {
      patched = StrategicMerge(r.kind, target, patch);
    }
  } catch (const std::exception& e) {
    return Fail(c.res, 422, "Invalid", std::string("the patch could not be applied: ") + e.what());
  }
  Json next = patched;
  if (c.sub == "scale") {
    next = *old;
    next["spec"]["replicas"] = patched["spec"].value("replicas", 1);
  } else if (c.sub == "status") {
    next = *old;
    next["status"] = patched.value("status", Json::object());
  } else if (HasStatusSubresource(r) || old->contains("status")) {
    next.erase("status");  // the main resource does not write status
    if (old->contains("status")) next["status"] = (*old)["status"];
  }
  std::string manager = ManagerOf(c.req);
  bool scale = c.sub == "scale";
  Commit(
      c, store_, next, old, 200, [&](Json& o) { RecordUpdate(r, o, &*old, manager, c.sub); }, alloc);
  if (scale && c.res.status == 200) {
    auto now = store_.Get(r, c.ns, c.name);
    if (now && !c.dry_run) Reply(c.res, 200, ScaleOf(*now));
  }
}

static bool Commit(ApiServer::Call& c, Store& store, Json obj, const std::optional<Json>& old, int code,
                   const std::function<void(Json&)>& record, const Allocator& alloc) {
  const Resource& r = *c.resource;
  obj = WithType(r, std::move(obj));
  Json& meta = obj["metadata"];
  if (r.namespaced) meta["namespace"] = c.ns;
  if (c.sub.empty() || !old) ApplyDefaults(r.kind, obj, old ? &*old : nullptr, alloc);
  // A custom resource is created without status when status is a subresource (create and apply alike).
  if (!old && !r.crd.empty() && HasStatusSubresource(r)) obj.erase("status");
  if (!old && r.namespaced) {
    auto ns = store.Get(*FindResource("", "v1", "namespaces"), "", c.ns);
    if (!ns) {
      Fail(c.res, 404, "NotFound", "namespaces \"" + c.ns + "\" not found", {{"name", c.ns}, {"kind", "namespaces"}});
      return false;
    }
    if ((*ns)["metadata"].contains("deletionTimestamp")) {  // the namespace lifecycle admission plugin
      std::string name = meta.value("name", "");
      Fail(c.res, 403, "Forbidden",
           r.Qualified() + " \"" + name + "\" is forbidden: unable to create new content in namespace " + c.ns +
               " because it is being terminated",
           {{"name", name},
            {"group", r.group},
            {"kind", r.name},
            {"causes",
             {{{"reason", "NamespaceTerminating"},
               {"message", "namespace " + c.ns + " is being terminated"},
               {"field", "metadata.namespace"}}}}});
      return false;
    }
  }
  std::vector<FieldError> errors = Validate(r.kind, obj, old ? &*old : nullptr);
  if (r.kind == "CustomResourceDefinition") {
    std::vector<FieldError> more = ValidateCustomResourceDefinition(obj);
    errors.insert(errors.end(), more.begin(), more.end());
    if (!old) obj["status"] = CustomResourceDefinitionStatus(obj, Now());
  }
  if (!r.crd.empty() && !CheckCustomObject(c, obj, errors)) return false;
  if (!errors.empty()) {
    std::string name = meta.value("name", "");
    std::string list;
    Json causes = Json::array();
    for (const FieldError& e : errors) {
      list += (list.empty() ? "" : ", ") + e.field + ": " + e.body;
      causes.push_back({{"reason", e.type}, {"message", e.body}, {"field", e.field}});
    }
    if (errors.size() > 1) list = "[" + list + "]";
    Fail(c.res, 422, "Invalid", r.QualifiedKind() + " \"" + name + "\" is invalid: " + list,
         {{"name", name}, {"group", r.group}, {"kind", r.kind}, {"causes", causes}});
    return false;
  }
  if (old) {
    meta["uid"] = (*old)["metadata"]["uid"];
    meta["creationTimestamp"] = (*old)["metadata"]["creationTimestamp"];
    meta["resourceVersion"] = (*old)["metadata"]["resourceVersion"];
    if (r.has_generation) {
      long long gen = (*old)["metadata"].value("generation", 1);
      meta["generation"] = SpecOf(r, *old) != SpecOf(r, obj) ? gen + 1 : gen;
    }
  } else {
    meta["uid"] = NewUid();
    meta["creationTimestamp"] = Now();
    meta.erase("resourceVersion");
    if (r.has_generation) meta["generation"] = 1;
  }
  record(obj);
  if (c.dry_run) {
    Reply(c.res, code, obj);
    return true;
  }
  if (old && *old == obj) {  // a no-op write changes nothing, resourceVersion included
    Reply(c.res, code, obj);
    return true;
  }
  if (old && (*old)["metadata"].contains("deletionTimestamp")) {
    // Marked for deletion: the mark stays, and the last finalizer removed deletes the object.
    meta["deletionTimestamp"] = (*old)["metadata"]["deletionTimestamp"];
    meta["deletionGracePeriodSeconds"] = 0;
    if (meta.value("finalizers", Json::array()).empty()) {
      store.Remove(r, meta.value("namespace", ""), meta.value("name", ""));
      c.write = true;
      Reply(c.res, code, obj);
      return true;
    }
  }
  Reply(c.res, code, store.Put(r, obj));
  c.write = true;
  return true;
}

// An object with finalizers, deleted: it stays, marked, until the last finalizer is removed.
static Json MarkedForDeletion(Json obj) {
  obj["metadata"]["deletionTimestamp"] = Now();
  obj["metadata"]["deletionGracePeriodSeconds"] = 0;
  return obj;
}

void ApiServer::Delete(Call& c) {
  const Resource& r = *c.resource;
  Json options = c.req.body.empty() ? Json::object() : Json::parse(c.req.body, nullptr, false);
  if (!options.is_object()) return Fail(c.res, 400, "BadRequest", "DeleteOptions: not a JSON object");
  if (options.contains("dryRun")) c.dry_run = true;
  std::lock_guard<std::mutex> lock(store_.mu());
  auto obj = store_.Get(r, c.ns, c.name);
  if (!obj) return NotFound(c.res, r, c.name);
  const Json pre = options.value("preconditions", Json::object());
  const Json& meta = (*obj)["metadata"];
  if (pre.contains("uid") && pre["uid"] != meta["uid"])
    return Fail(c.res, 409, "Conflict",
                "Precondition failed: UID in precondition: " + pre["uid"].get<std::string>() +
                    ", UID in object meta: " + meta.value("uid", ""));
  if (pre.contains("resourceVersion") && pre["resourceVersion"] != meta["resourceVersion"])
    return Fail(c.res, 409, "Conflict",
                "Precondition failed: ResourceVersion in precondition: " + pre["resourceVersion"].get<std::string>() +
                    ", ResourceVersion in object meta: " + meta.value("resourceVersion", ""));
  std::string policy = options.value("propagationPolicy", "Background");
  // Finalizers: the object stays, marked for deletion, until its controllers have removed them.
  if (!meta.value("finalizers", Json::array()).empty() && r.kind != "Namespace") {
    if (meta.contains("deletionTimestamp") || c.dry_run) return Reply(c.res, 200, *obj);
    c.write = true;
    return Reply(c.res, 200, store_.Put(r, MarkedForDeletion(*obj)));
  }
  if (r.kind == "Namespace" && !c.dry_run) return DeleteNamespace(c, *obj);
  if (!c.dry_run && r.kind == "Pod" && !options_.pod_hook.empty()) {
    c.write = true;
    return Reply(c.res, 200, TerminatePod(*obj));  // Terminating until the runtime stopped it
  }
  if (!c.dry_run) {
    store_.Remove(r, c.ns, c.name);
    c.write = true;
    // Dependents (a StatefulSet's pods): deleted, or with Orphan freed of their owner reference.
    const Resource& pods = *FindResource("", "v1", "pods");
    for (Json pod : store_.List(pods, c.ns)) {
      Json refs = pod["metadata"].value("ownerReferences", Json::array());
      auto owned = std::find_if(refs.begin(), refs.end(),
                                [&](const Json& ref) { return ref.value("uid", "") == meta.value("uid", ""); });
      if (owned == refs.end()) continue;
      if (policy == "Orphan") {
        refs.erase(owned);
        if (refs.empty())
          pod["metadata"].erase("ownerReferences");
        else
          pod["metadata"]["ownerReferences"] = refs;
        store_.Put(pods, pod);
      } else {
        store_.Remove(pods, c.ns, pod["metadata"].value("name", ""));
      }
    }
  }
  ReplyDeleted(c, *obj);
}

void ApiServer::ReplyDeleted(Call& c, const Json& obj) {
  const Resource& r = *c.resource;
  if (r.returns_deleted_object) return Reply(c.res, 200, obj);
  Json status = {
      {"kind", "Status"},
      {"apiVersion", "v1"},
      {"metadata", Json::object()},
      {"status", "Success"},
      {"details", {{"name", c.name}, {"group", r.group}, {"kind", r.name}, {"uid", obj["metadata"].value("uid", "")}}}};
  Reply(c.res, 200, status);
}

// What the namespace controller does, at once: every object in it is deleted, those with
// finalizers marked for deletion. While any of those remain the namespace is Terminating (new
// objects refused); the last one gone ends it (FinishNamespace).
void ApiServer::DeleteNamespace(Call& c, Json ns) {
  bool waiting = false;
  for (const Resource* each : Served()) {
    if (!each->namespaced || each->create_only) continue;
    for (Json o : store_.List(*each, c.name)) {
      Json& meta = o["metadata"];
      if (meta.value("finalizers", Json::array()).empty()) {
        store_.Remove(*each, c.name, meta.value("name", ""));
        continue;
      }
      waiting = true;
      if (!meta.contains("deletionTimestamp")) store_.Put(*each, MarkedForDeletion(std::move(o)));
    }
  }
  c.write = true;
  if (!waiting) {
    store_.Remove(*c.resource, "", c.name);
    return ReplyDeleted(c, ns);
  }
  if (!ns["metadata"].contains("deletionTimestamp")) {
    ns["metadata"]["deletionTimestamp"] = Now();
    ns["status"]["phase"] = "Terminating";
    ns = store_.Put(*c.resource, ns);
  }
  Reply(c.res, 200, ns);
}

void ApiServer::FinishNamespace(const std::string& name) {
  const Resource& namespaces = *FindResource("", "v1", "namespaces");
  auto ns = store_.Get(namespaces, "", name);
  if (!ns || !(*ns)["metadata"].contains("deletionTimestamp")) return;
  for (const Resource* each : Served())
    if (each->namespaced && !each->create_only && !store_.List(*each, name).empty()) return;
  store_.Remove(namespaces, "", name);
}

void ApiServer::AccessReview(Call& c) {
  std::optional<Json> review;
  std::string type = c.req.get_header_value("Content-Type");
  if (type.rfind("application/vnd.kubernetes.protobuf", 0) == 0) {
    review = DecodeSelfSubjectAccessReview(c.req.body);
    if (!review) return Fail(c.res, 400, "BadRequest", "could not decode the protobuf SelfSubjectAccessReview");
  } else {
    review = DecodeBody(c.req, c.res);
    if (!review) return;
  }
  const Json spec = review->value("spec", Json::object());
  Json status;
  if (spec.contains("resourceAttributes")) {
    const Json& ra = spec["resourceAttributes"];
    Attributes a{ra.value("verb", ""),        ra.value("group", ""),     ra.value("resource", ""),
                 ra.value("subresource", ""), ra.value("namespace", ""), ra.value("name", "")};
    std::lock_guard<std::mutex> lock(store_.mu());
    Decision d = Authorize(c.user, a, RbacLister());
    status = {{"allowed", d.allowed}};
    if (!d.reason.empty()) status["reason"] = d.reason;
  } else {
    bool masters = std::find(c.user.groups.begin(), c.user.groups.end(), "system:masters") != c.user.groups.end();
    status = {{"allowed", masters}};
  }
  Json out = *review;
  out["apiVersion"] = "authorization.k8s.io/v1";
  out["kind"] = "SelfSubjectAccessReview";
  out["metadata"] = {{"creationTimestamp", nullptr}};
  out["status"] = status;
  Reply(c.res, 201, out);
}

}  // namespace emulator
