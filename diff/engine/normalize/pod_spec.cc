// Pod specs (inside StatefulSets and Pods): quantities and the port protocol that keys ports.
#include "diff/engine/normalize.h"
#include "diff/model/quantity.h"

namespace warren::diff {

void NormalizeResources(Json& resources) {
  if (!resources.is_object()) return;
  for (const char* group : {"limits", "requests"}) {
    auto g = resources.find(group);
    if (g == resources.end() || !g->is_object()) continue;
    for (auto& [name, value] : g->items())
      if (auto q = ParseQuantity(value)) value = CanonicalQuantity(*q);
  }
}

void NormalizePodSpec(Json& pod_spec) {
  if (!pod_spec.is_object()) return;
  for (const char* list : {"initContainers", "containers"}) {
    auto it = pod_spec.find(list);
    if (it == pod_spec.end() || !it->is_array()) continue;
    for (Json& c : *it) {
      if (!c.is_object()) continue;
      if (auto r = c.find("resources"); r != c.end()) NormalizeResources(*r);
      if (auto ports = c.find("ports"); ports != c.end() && ports->is_array())
        for (Json& p : *ports)
          if (p.is_object() && !p.contains("protocol")) p["protocol"] = "TCP";
    }
  }
  if (auto volumes = pod_spec.find("volumes"); volumes != pod_spec.end() && volumes->is_array())
    for (Json& v : *volumes) {
      if (!v.is_object() || !v.contains("emptyDir") || !v["emptyDir"].is_object()) continue;
      Json& e = v["emptyDir"];
      if (auto q = e.contains("sizeLimit") ? ParseQuantity(e["sizeLimit"]) : std::nullopt)
        e["sizeLimit"] = CanonicalQuantity(*q);
    }
}

}  // namespace warren::diff
