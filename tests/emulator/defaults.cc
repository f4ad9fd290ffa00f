#include "tests/emulator/defaults.h"

#include "diff/model/base64.h"
#include "diff/model/quantity.h"

namespace emulator {
namespace {

void Default(Json& obj, const char* key, Json value) {
  if (!obj.contains(key) || obj[key].is_null()) obj[key] = std::move(value);
}

std::string ToDecimal(warren::MilliValue v) {
  if (v == 0) return "0";
  std::string s;
  bool neg = v < 0;
  if (neg) v = -v;
  while (v > 0) {
    s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  return neg ? "-" + s : s;
}

bool BinarySuffix(const std::string& q) {
  for (const char* s : {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"})
    if (q.size() > 2 && q.compare(q.size() - 2, 2, s) == 0) return true;
  return false;
}

// imagePullPolicy by the image reference's tag: latest or none → Always, otherwise IfNotPresent.
std::string PullPolicyFor(const std::string& image) {
  if (image.find('@') != std::string::npos) return "IfNotPresent";
  size_t slash = image.rfind('/');
  size_t colon = image.rfind(':');
  bool has_tag = colon != std::string::npos && (slash == std::string::npos || colon > slash);
  if (!has_tag) return "Always";
  return image.substr(colon + 1) == "latest" ? "Always" : "IfNotPresent";
}

void DefaultResources(Json& resources) {
  for (const char* part : {"limits", "requests"}) {
    if (!resources.contains(part) || !resources[part].is_object()) continue;
    for (auto& [name, value] : resources[part].items()) {
      if (value.is_string())
        value = CanonicalQuantity(value.get<std::string>());
      else if (value.is_number())
        value = CanonicalQuantity(value.dump());
    }
  }
}

void DefaultProbe(Json& probe) {
  Default(probe, "timeoutSeconds", 1);
  Default(probe, "periodSeconds", 10);
  Default(probe, "successThreshold", 1);
  Default(probe, "failureThreshold", 3);
  if (probe.contains("httpGet")) {
    Default(probe["httpGet"], "path", "/");
    Default(probe["httpGet"], "scheme", "HTTP");
  }
}

void DefaultContainer(Json& c) {
  if (c.contains("image") && c["image"].is_string()) Default(c, "imagePullPolicy", PullPolicyFor(c["image"]));
  Default(c, "terminationMessagePath", "/dev/termination-log");
  Default(c, "terminationMessagePolicy", "File");
  Default(c, "resources", Json::object());
  DefaultResources(c["resources"]);
  if (c.contains("ports"))
    for (Json& p : c["ports"]) Default(p, "protocol", "TCP");
  if (c.contains("env"))
    for (Json& e : c["env"])
      if (e.contains("valueFrom") && e["valueFrom"].contains("fieldRef"))
        Default(e["valueFrom"]["fieldRef"], "apiVersion", "v1");
  for (const char* probe : {"livenessProbe", "readinessProbe", "startupProbe"})
    if (c.contains(probe)) DefaultProbe(c[probe]);
}

void DefaultPodSpec(Json& spec) {
  Default(spec, "dnsPolicy", "ClusterFirst");
  Default(spec, "restartPolicy", "Always");
  Default(spec, "securityContext", Json::object());
  Default(spec, "terminationGracePeriodSeconds", 30);
  Default(spec, "schedulerName", "default-scheduler");
  if (spec.contains("serviceAccountName")) spec["serviceAccount"] = spec["serviceAccountName"];
  for (const char* list : {"containers", "initContainers"})
    if (spec.contains(list))
      for (Json& c : spec[list]) DefaultContainer(c);
  if (spec.contains("volumes")) {
    for (Json& v : spec["volumes"]) {
      bool has_source = false;
      for (auto& [k, _] : v.items()) has_source |= k != "name";
      if (!has_source) v["emptyDir"] = Json::object();
      for (const char* src : {"configMap", "secret", "downwardAPI", "projected"})
        if (v.contains(src)) Default(v[src], "defaultMode", 420);
    }
  }
}

void DefaultStatefulSet(Json& obj) {
  Json& spec = obj["spec"];
  Default(spec, "podManagementPolicy", "OrderedReady");
  Default(spec, "replicas", 1);
  Default(spec, "revisionHistoryLimit", 10);
  if (!spec.contains("updateStrategy") || !spec["updateStrategy"].contains("type")) {
    Json& us = spec["updateStrategy"];
    us["type"] = "RollingUpdate";
    if (!us.contains("rollingUpdate")) us["rollingUpdate"] = Json::object();
  }
  Json& us = spec["updateStrategy"];
  if (us["type"] == "RollingUpdate" && us.contains("rollingUpdate") && us["rollingUpdate"].is_object())
    Default(us["rollingUpdate"], "partition", 0);
  Default(spec, "persistentVolumeClaimRetentionPolicy", Json::object());
  Default(spec["persistentVolumeClaimRetentionPolicy"], "whenDeleted", "Retain");
  Default(spec["persistentVolumeClaimRetentionPolicy"], "whenScaled", "Retain");
  if (spec.contains("template")) {
    Json& meta = spec["template"]["metadata"];
    if (!meta.is_object()) meta = Json::object();
    Default(meta, "creationTimestamp", nullptr);  // a 1.32 server serialises the zero time as null
    if (spec["template"].contains("spec")) DefaultPodSpec(spec["template"]["spec"]);
  }
  if (spec.contains("volumeClaimTemplates")) {
    for (Json& t : spec["volumeClaimTemplates"]) {
      t["apiVersion"] = "v1";
      t["kind"] = "PersistentVolumeClaim";
      Default(t, "metadata", Json::object());
      Default(t["metadata"], "creationTimestamp", nullptr);
      Default(t, "spec", Json::object());
      Default(t["spec"], "volumeMode", "Filesystem");
      if (t["spec"].contains("resources")) DefaultResources(t["spec"]["resources"]);
      Default(t, "status", Json{{"phase", "Pending"}});
    }
  }
  Default(obj, "status", Json{{"replicas", 0}, {"availableReplicas", 0}});
}

void DefaultService(Json& obj, const Json* old, const Allocator& alloc) {
  Json& spec = obj["spec"];
  Default(spec, "type", "ClusterIP");
  Default(spec, "sessionAffinity", "None");
  const std::string type = spec["type"];
  if (spec.contains("ports")) {
    for (size_t i = 0; i < spec["ports"].size(); ++i) {
      Json& p = spec["ports"][i];
      Default(p, "protocol", "TCP");
      if (!p.contains("targetPort") || p["targetPort"] == 0 || p["targetPort"] == "") p["targetPort"] = p["port"];
    }
  }
  bool external = type == "LoadBalancer" || type == "NodePort" ||
                  (type == "ClusterIP" && spec.contains("externalIPs") && !spec["externalIPs"].empty());
  if (external) Default(spec, "externalTrafficPolicy", "Cluster");
  if (type != "ExternalName") Default(spec, "internalTrafficPolicy", "Cluster");
  if (type == "LoadBalancer") Default(spec, "allocateLoadBalancerNodePorts", true);
  // Allocated values survive an update that leaves them out.
  if (old && old->contains("spec")) {
    const Json& os = (*old)["spec"];
    for (const char* f : {"clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"})
      if (!spec.contains(f) && os.contains(f)) spec[f] = os[f];
    if (spec.contains("ports") && os.contains("ports"))
      for (Json& p : spec["ports"])
        for (const Json& op : os["ports"])
          if (!p.contains("nodePort") && op.contains("nodePort") && op["port"] == p["port"] &&
              op["protocol"] == p["protocol"])
            p["nodePort"] = op["nodePort"];
  }
  bool headless = spec.contains("clusterIP") && spec["clusterIP"] == "None";
  if (type != "ExternalName" && !spec.contains("clusterIP")) spec["clusterIP"] = alloc.cluster_ip();
  if (spec.contains("clusterIP") && !spec.contains("clusterIPs")) spec["clusterIPs"] = Json::array({spec["clusterIP"]});
  bool selectorless = !spec.contains("selector") || spec["selector"].empty();
  Default(spec, "ipFamilyPolicy", headless && selectorless ? "RequireDualStack" : "SingleStack");
  Default(spec, "ipFamilies", Json::array({"IPv4"}));
  if ((type == "NodePort" || type == "LoadBalancer") && spec.contains("ports"))
    for (Json& p : spec["ports"])
      if (!p.contains("nodePort") || p["nodePort"] == 0) p["nodePort"] = alloc.node_port();
  Default(obj, "status", Json{{"loadBalancer", Json::object()}});
}

void DefaultSecret(Json& obj) {
  Default(obj, "type", "Opaque");
  if (obj.contains("stringData") && obj["stringData"].is_object()) {
    Json& data = obj["data"];
    if (!data.is_object()) data = Json::object();
    for (auto& [k, v] : obj["stringData"].items()) {
      // Base64 of the UTF-8 bytes: the write-only stringData becomes data.
      data[k] = warren::Base64Encode(v.is_string() ? v.get<std::string>() : v.dump());
    }
    obj.erase("stringData");
  }
}

void DefaultRoleBinding(Json& obj) {
  if (obj.contains("roleRef")) Default(obj["roleRef"], "apiGroup", "rbac.authorization.k8s.io");
  if (obj.contains("subjects"))
    for (Json& s : obj["subjects"])
      if (s.value("kind", "") == "User" || s.value("kind", "") == "Group")
        Default(s, "apiGroup", "rbac.authorization.k8s.io");
}

void DefaultPvc(Json& obj) {
  Default(obj, "spec", Json::object());
  Default(obj["spec"], "volumeMode", "Filesystem");
  if (obj["spec"].contains("resources")) DefaultResources(obj["spec"]["resources"]);
  Default(obj, "status", Json{{"phase", "Pending"}});
}

}  // namespace

std::string CanonicalQuantity(const std::string& q) {
  auto v = warren::ParseQuantity(q);
  if (!v) return q;
  warren::MilliValue milli = *v;
  if (milli % 1000 != 0) return ToDecimal(milli) + "m";
  warren::MilliValue units = milli / 1000;
  if (units == 0) return "0";
  if (BinarySuffix(q)) {  // the binary family stays binary
    const char* suffixes[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    int i = 0;
    while (i < 6 && units % 1024 == 0) {
      units /= 1024;
      ++i;
    }
    return ToDecimal(units) + suffixes[i];
  }
  const char* suffixes[] = {"", "k", "M", "G", "T", "P", "E"};
  int i = 0;
  while (i < 6 && units % 1000 == 0) {
    units /= 1000;
    ++i;
  }
  return ToDecimal(units) + suffixes[i];
}

void ApplyDefaults(const std::string& kind, Json& obj, const Json* old, const Allocator& alloc) {
  // Since 1.21 every Namespace carries its name as a label, set on create and update.
  if (kind == "Namespace" && obj.contains("metadata"))
    obj["metadata"]["labels"]["kubernetes.io/metadata.name"] = obj["metadata"].value("name", "");
  if (kind == "StatefulSet" && obj.contains("spec"))
    DefaultStatefulSet(obj);
  else if (kind == "Service") {
    if (!obj.contains("spec")) obj["spec"] = Json::object();
    DefaultService(obj, old, alloc);
  } else if (kind == "Secret")
    DefaultSecret(obj);
  else if (kind == "RoleBinding" || kind == "ClusterRoleBinding")
    DefaultRoleBinding(obj);
  else if (kind == "PersistentVolumeClaim")
    DefaultPvc(obj);
  else if (kind == "Pod" && obj.contains("spec"))
    DefaultPodSpec(obj["spec"]);
}

}  // namespace emulator
