#include "agent/kube/live_state.h"

#include <map>

namespace warren::kube {
namespace {

Object LiveObject(Json obj) { return Object(std::move(obj), SourceLocation{"(live)", 0, 0}); }

// "403 Forbidden: ..." gets a hint naming the permission warren lacks.
Status Explain(const Status& s, const std::string& verb, const ResourceInfo& r, const std::string& ns) {
  if (s.code() != StatusCode::kForbidden) return s;
  return Status(s.code(), s.message() + " (warren's RBAC needs \"" + verb + "\" on " + r.Qualified() +
                              (ns.empty() ? "" : " in namespace " + ns) + ")");
}

}  // namespace

Result<std::vector<Object>> FetchLive(Api& client, const std::vector<Object>& desired, const FetchOptions& options) {
  // Group by (apiVersion, kind, namespace) so each group costs one LIST or one GET per object.
  std::map<std::tuple<std::string, std::string, std::string>, std::vector<const Object*>> groups;
  for (const Object& o : desired) groups[{o.api_version(), o.kind(), o.ns()}].push_back(&o);
  std::vector<Object> out;
  for (const auto& [key, objects] : groups) {
    const auto& [api_version, kind, ns] = key;
    auto r = client.Resolve(api_version, kind);
    if (!r.ok()) return r.status().WithContext("read " + objects[0]->key().ToString());
    std::string effective_ns = r.value().namespaced ? ns : "";
    if (objects.size() >= options.list_threshold) {
      auto list = client.List(r.value(), effective_ns);
      if (!list.ok())
        return Explain(list.status(), "list", r.value(), effective_ns)
            .WithContext("list " + kind + " in " + (ns.empty() ? "the cluster" : ns));
      for (Json& item : list.value()) out.push_back(LiveObject(std::move(item)));
      continue;
    }
    for (const Object* o : objects) {
      auto got = client.Get(r.value(), effective_ns, o->name());
      if (!got.ok())
        return Explain(got.status(), "get", r.value(), effective_ns).WithContext("read " + o->key().ToString());
      if (got.value()) out.push_back(LiveObject(std::move(*got.value())));
    }
  }
  return out;
}

Result<std::vector<Object>> PredictApply(Api& client, const std::vector<Object>& desired) {
  std::vector<Object> out;
  for (const Object& o : desired) {
    // Forced: the prediction shows the state warren wants; whether to take fields from other
    // managers is sync's decision, not the diff's.
    auto predicted = client.Apply(o.doc(), ApplyOptions{/*force=*/true, /*dry_run=*/true});
    if (!predicted.ok()) {
      if (predicted.status().code() == StatusCode::kForbidden) {
        auto r = client.Resolve(o.api_version(), o.kind());
        if (r.ok())
          return Explain(predicted.status(), "patch", r.value(), o.ns())
              .WithContext("dry-run apply " + o.key().ToString());
      }
      return predicted.status().WithContext("dry-run apply " + o.key().ToString());
    }
    out.push_back(Object(std::move(predicted).value(), o.where()));
  }
  return out;
}

}  // namespace warren::kube
