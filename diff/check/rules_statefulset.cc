// statefulset-selector and statefulset-service: an apps/v1 StatefulSet needs spec.selector
// matching its template labels, and spec.serviceName must name a headless Service (clusterIP:
// None) selecting its pods, or the pods get no stable DNS names and RabbitMQ nodes cannot find
// each other.
#include "diff/check/rules.h"

namespace warren::check {

void CheckStatefulSets(const ManifestIndex& index, Findings* out) {
  for (const Object* sts : index.OfKind("apps", "StatefulSet")) {
    const Json& spec = sts->doc().value("spec", Json::object());
    Json labels =
        spec.value("template", Json::object()).value("metadata", Json::object()).value("labels", Json::object());

    auto selector = spec.find("selector");
    if (selector == spec.end() || !selector->is_object()) {
      std::string suggestion = labels.empty() ? "{...}" : labels.dump();
      out->push_back(MakeFinding("statefulset-selector", Severity::kError, *sts, "/spec",
                                 sts->key().ToString() + " has no spec.selector, which apps/v1 requires",
                                 "add spec.selector.matchLabels: " + suggestion));
    } else if (selector->contains("matchLabels") && !SelectorMatches((*selector)["matchLabels"], labels)) {
      out->push_back(MakeFinding("statefulset-selector", Severity::kError, *sts, "/spec/selector",
                                 "spec.selector " + (*selector)["matchLabels"].dump() +
                                     " does not match the template labels " + labels.dump() +
                                     ": the API server rejects it",
                                 "make spec.selector.matchLabels a subset of spec.template.metadata.labels"));
    }

    const std::string& service_name = StringField(spec, "serviceName");
    if (service_name.empty()) {
      out->push_back(MakeFinding("statefulset-service", Severity::kError, *sts, "/spec",
                                 sts->key().ToString() + " has no spec.serviceName",
                                 "set spec.serviceName to a headless Service selecting the pods"));
      continue;
    }
    const Object* svc = index.Find("", "Service", sts->ns(), service_name);
    if (!svc) {
      out->push_back(MakeFinding("statefulset-service", Severity::kError, *sts, "/spec/serviceName",
                                 "spec.serviceName names Service " + sts->ns() + "/" + service_name +
                                     ", which is not in the set: pods get no stable DNS names",
                                 "add a headless Service (clusterIP: None) named \"" + service_name + "\""));
      continue;
    }
    const Json& svc_spec = svc->doc().value("spec", Json::object());
    if (StringField(svc_spec, "clusterIP") != "None")
      out->push_back(MakeFinding("statefulset-service", Severity::kError, *sts, "/spec/serviceName",
                                 "Service " + sts->ns() + "/" + service_name +
                                     " is not headless: pods get no per-pod DNS names (" + sts->name() + "-0." +
                                     service_name + ")",
                                 "set spec.clusterIP: None on Service " + service_name));
    if (!SelectorMatches(svc_spec.value("selector", Json::object()), labels))
      out->push_back(MakeFinding("statefulset-service", Severity::kError, *sts, "/spec/serviceName",
                                 "Service " + sts->ns() + "/" + service_name + " selector " +
                                     svc_spec.value("selector", Json::object()).dump() +
                                     " does not select the pods (labels " + labels.dump() + ")",
                                 "make the Service selector match spec.template.metadata.labels"));
  }
}

}  // namespace warren::check
