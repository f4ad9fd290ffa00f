#include "tests/emulator/tables.h"

#include <algorithm>
#include <functional>
#include <map>

#include "tests/emulator/json_path.h"

namespace emulator {
namespace {

struct Column {
  std::string name;
  std::string type;  // string, integer, date
  int priority;      // 1: only with -o wide
  std::string description;
};

using Cells = std::function<Json(const Json& obj, std::time_t now)>;

struct Printer {
  std::vector<Column> columns;  // after NAME
  Cells cells;                  // the cells after the name
};

const Json& Obj(const Json& o, const char* key) {
  static const Json kEmpty = Json::object();
  auto it = o.find(key);
  return it != o.end() && it->is_object() ? *it : kEmpty;
}
std::string Str(const Json& o, const char* key, const std::string& fallback = "") {
  auto it = o.find(key);
  return it != o.end() && it->is_string() && !it->get<std::string>().empty() ? it->get<std::string>() : fallback;
}
long long Int(const Json& o, const char* key, long long fallback = 0) {
  auto it = o.find(key);
  return it != o.end() && it->is_number_integer() ? it->get<long long>() : fallback;
}

std::time_t ParseTime(const std::string& t) {
  std::tm tm{};
  if (sscanf(t.c_str(), "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
             &tm.tm_sec) != 6)
    return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return timegm(&tm);
}

std::string Age(const Json& obj, std::time_t now) {
  std::string created = Str(Obj(obj, "metadata"), "creationTimestamp");
  if (created.empty()) return "<unknown>";
  return HumanDuration(static_cast<long long>(now - ParseTime(created)));
}

std::string Joined(const std::vector<std::string>& parts, const std::string& none = "<none>") {
  if (parts.empty()) return none;
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : ",") + p;
  return out;
}

std::string Selector(const Json& labels) {
  std::vector<std::string> parts;
  for (auto it = labels.begin(); it != labels.end(); ++it)
    if (it->is_string()) parts.push_back(it.key() + "=" + it->get<std::string>());
  return Joined(parts);  // nlohmann's objects iterate in key order, as the printers sort
}

// Containers' names and images, for the wide columns of workloads.
std::pair<std::string, std::string> ContainersAndImages(const Json& pod_spec) {
  std::vector<std::string> names, images;
  for (const Json& c : pod_spec.value("containers", Json::array())) {
    names.push_back(Str(c, "name"));
    images.push_back(Str(c, "image"));
  }
  return {Joined(names), Joined(images)};
}

const char* kAgeHelp = "CreationTimestamp is a timestamp representing the server time when this object was created.";

Printer PodPrinter() {
  return {{{"Ready", "string", 0, "The aggregate readiness state of this pod for accepting traffic."},
           {"Status", "string", 0, "The aggregate status of the containers in this pod."},
           {"Restarts", "string", 0, "The number of times the containers in this pod have been restarted."},
           {"Age", "string", 0, kAgeHelp},
           {"IP", "string", 1, "The IP address assigned to the pod."},
           {"Node", "string", 1, "The node the pod is scheduled on."},
           {"Nominated Node", "string", 1, "The node the pod would preempt onto."},
           {"Readiness Gates", "string", 1, "The pod's readiness gates."}},
          [](const Json& o, std::time_t now) {
            const Json& status = Obj(o, "status");
            const Json containers = Obj(o, "spec").value("containers", Json::array());
            long long ready = 0, restarts = 0;
            for (const Json& cs : status.value("containerStatuses", Json::array())) {
              ready += cs.value("ready", false);
              restarts += Int(cs, "restartCount");
            }
            std::string phase = Str(status, "reason", Str(status, "phase", "Unknown"));
            if (Obj(o, "metadata").contains("deletionTimestamp")) phase = "Terminating";
            return Json::array({std::to_string(ready) + "/" + std::to_string(containers.size()), phase,
                                std::to_string(restarts), Age(o, now), Str(status, "podIP", "<none>"),
                                Str(Obj(o, "spec"), "nodeName", "<none>"), "<none>", "<none>"});
          }};
}

Printer StatefulSetPrinter() {
  return {{{"Ready", "string", 0, "Number of the pod with ready state"},
           {"Age", "string", 0, kAgeHelp},
           {"Containers", "string", 1, "Names of each container in the template."},
           {"Images", "string", 1, "Images referenced by each container in the template."}},
          [](const Json& o, std::time_t now) {
            auto [names, images] = ContainersAndImages(Obj(Obj(Obj(o, "spec"), "template"), "spec"));
            return Json::array({std::to_string(Int(Obj(o, "status"), "readyReplicas")) + "/" +
                                    std::to_string(Int(Obj(o, "spec"), "replicas", 1)),
                                Age(o, now), names, images});
          }};
}

Printer DeploymentPrinter() {
  return {{{"Ready", "string", 0, "Number of the pod with ready state"},
           {"Up-to-date", "integer", 0,
            "Total number of non-terminated pods targeted by this deployment that have the desired template spec."},
           {"Available", "integer", 0,
            "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."},
           {"Age", "string", 0, kAgeHelp},
           {"Containers", "string", 1, "Names of each container in the template."},
           {"Images", "string", 1, "Images referenced by each container in the template."},
           {"Selector", "string", 1, "Label selector for pods."}},
          [](const Json& o, std::time_t now) {
            const Json& spec = Obj(o, "spec");
            const Json& status = Obj(o, "status");
            auto [names, images] = ContainersAndImages(Obj(Obj(spec, "template"), "spec"));
            return Json::array(
                {std::to_string(Int(status, "readyReplicas")) + "/" + std::to_string(Int(spec, "replicas", 1)),
                 Int(status, "updatedReplicas"), Int(status, "availableReplicas"), Age(o, now), names, images,
                 Selector(Obj(Obj(spec, "selector"), "matchLabels"))});
          }};
}

Printer ServicePrinter() {
  return {{{"Type", "string", 0, "The type of the service."},
           {"Cluster-IP", "string", 0, "The cluster IP of the service."},
           {"External-IP", "string", 0, "The external IPs of the service."},
           {"Port(s)", "string", 0, "The ports of the service."},
           {"Age", "string", 0, kAgeHelp},
           {"Selector", "string", 1, "The label selector of the service."}},
          [](const Json& o, std::time_t now) {
            const Json& spec = Obj(o, "spec");
            std::string type = Str(spec, "type", "ClusterIP");
            std::string external = "<none>";
            if (type == "ExternalName") external = Str(spec, "externalName", "<none>");
            if (type == "LoadBalancer") external = "<pending>";
            std::vector<std::string> ports;
            for (const Json& p : spec.value("ports", Json::array())) {
              std::string port = std::to_string(Int(p, "port"));
              if (Int(p, "nodePort") > 0) port += ":" + std::to_string(Int(p, "nodePort"));
              ports.push_back(port + "/" + Str(p, "protocol", "TCP"));
            }
            return Json::array({type, Str(spec, "clusterIP", "<none>"), external, Joined(ports), Age(o, now),
                                Selector(Obj(spec, "selector"))});
          }};
}

Printer PvcPrinter() {
  return {
      {{"Status", "string", 0, "The phase of the claim."},
       {"Volume", "string", 0, "The volume bound to the claim."},
       {"Capacity", "string", 0, "The capacity of the bound volume."},
       {"Access Modes", "string", 0, "The access modes of the bound volume."},
       {"StorageClass", "string", 0, "The storage class of the claim."},
       {"VolumeAttributesClass", "string", 0, "The volume attributes class of the claim."},
       {"Age", "string", 0, kAgeHelp},
       {"VolumeMode", "string", 1, "The volume mode of the claim."}},
      [](const Json& o, std::time_t now) {
        const Json& spec = Obj(o, "spec");
        const Json& status = Obj(o, "status");
        static const std::map<std::string, std::string> kModes = {
            {"ReadWriteOnce", "RWO"}, {"ReadOnlyMany", "ROX"}, {"ReadWriteMany", "RWX"}, {"ReadWriteOncePod", "RWOP"}};
        std::vector<std::string> modes;
        for (const Json& m : status.value("accessModes", Json::array()))
          if (m.is_string()) modes.push_back(kModes.count(m) ? kModes.at(m) : m.get<std::string>());
        return Json::array({Str(status, "phase", "Pending"), Str(spec, "volumeName"),
                            Str(Obj(status, "capacity"), "storage"), Joined(modes, ""),
                            Str(spec, "storageClassName", "<unset>"), "<unset>", Age(o, now),
                            Str(spec, "volumeMode", "Filesystem")});
      }};
}

Printer CountPrinter(const char* what, const char* key) {
  return {{{what, "integer", 0, "The number of entries."}, {"Age", "string", 0, kAgeHelp}},
          [key](const Json& o, std::time_t now) {
            long long n = static_cast<long long>(Obj(o, key).size());
            if (std::string(key) == "data") n += static_cast<long long>(Obj(o, "binaryData").size());
            return Json::array({n, Age(o, now)});
          }};
}

Printer SecretPrinter() {
  return {{{"Type", "string", 0, "The type of the secret."},
           {"Data", "integer", 0, "The number of entries."},
           {"Age", "string", 0, kAgeHelp}},
          [](const Json& o, std::time_t now) {
            return Json::array({Str(o, "type", "Opaque"), static_cast<long long>(Obj(o, "data").size()), Age(o, now)});
          }};
}

Printer NamespacePrinter() {
  return {{{"Status", "string", 0, "The status of the namespace."}, {"Age", "string", 0, kAgeHelp}},
          [](const Json& o, std::time_t now) {
            return Json::array({Str(Obj(o, "status"), "phase", "Active"), Age(o, now)});
          }};
}

Printer BindingPrinter() {
  return {{{"Role", "string", 0, "The role this binding grants."},
           {"Age", "string", 0, kAgeHelp},
           {"Users", "string", 1, "Users in the binding."},
           {"Groups", "string", 1, "Groups in the binding."},
           {"ServiceAccounts", "string", 1, "ServiceAccounts in the binding."}},
          [](const Json& o, std::time_t now) {
            std::vector<std::string> users, groups, sas;
            for (const Json& s : o.value("subjects", Json::array())) {
              std::string kind = Str(s, "kind");
              if (kind == "User") users.push_back(Str(s, "name"));
              if (kind == "Group") groups.push_back(Str(s, "name"));
              if (kind == "ServiceAccount") sas.push_back(Str(s, "namespace") + "/" + Str(s, "name"));
            }
            const Json& ref = Obj(o, "roleRef");
            return Json::array({Str(ref, "kind") + "/" + Str(ref, "name"), Age(o, now), Joined(users, ""),
                                Joined(groups, ""), Joined(sas, "")});
          }};
}

Printer CreatedAtPrinter() {
  return {{{"Created At", "date", 0, kAgeHelp}},
          [](const Json& o, std::time_t) { return Json::array({Str(Obj(o, "metadata"), "creationTimestamp")}); }};
}

Printer LeasePrinter() {
  return {{{"Holder", "string", 0, "The holder of the lease."}, {"Age", "string", 0, kAgeHelp}},
          [](const Json& o, std::time_t now) {
            return Json::array({Str(Obj(o, "spec"), "holderIdentity"), Age(o, now)});
          }};
}

Printer EndpointsPrinter() {
  return {{{"Endpoints", "string", 0, "The endpoints of the service."}, {"Age", "string", 0, kAgeHelp}},
          [](const Json& o, std::time_t now) {
            std::vector<std::string> eps;
            size_t count = 0;
            for (const Json& subset : o.value("subsets", Json::array()))
              for (const Json& a : subset.value("addresses", Json::array()))
                for (const Json& p : subset.value("ports", Json::array()))
                  if (++count <= 3) eps.push_back(Str(a, "ip") + ":" + std::to_string(Int(p, "port")));
            std::string text = Joined(eps);
            if (count > 3) text += " + " + std::to_string(count - 3) + " more...";  // the printer shows three
            return Json::array({text, Age(o, now)});
          }};
}

Printer AgeOnlyPrinter() {
  return {{{"Age", "string", 0, kAgeHelp}}, [](const Json& o, std::time_t now) { return Json::array({Age(o, now)}); }};
}

// A CRD's additionalPrinterColumns, as the API server's table convertor fills them: the first
// value the JSONPath finds; dates as ages; nothing found, an empty cell.
Printer CustomPrinter(const Resource& r) {
  struct Custom {
    std::vector<PathStep> path;
    std::string type;
  };
  std::vector<Column> columns;
  std::vector<Custom> paths;
  for (const Json& c : r.columns) {
    std::string error;
    auto steps = ParseJsonPath(c.value("jsonPath", ""), &error);
    columns.push_back(
        {c.value("name", ""), c.value("type", "string"), c.value("priority", 0), c.value("description", "")});
    paths.push_back({steps.value_or(std::vector<PathStep>{}), c.value("type", "string")});
  }
  return {columns, [paths](const Json& o, std::time_t now) {
            Json cells = Json::array();
            for (const Custom& p : paths) {
              std::vector<Json> found = EvaluateJsonPath(p.path, o);
              if (found.empty() || found[0].is_null()) {
                cells.push_back(nullptr);
              } else if (p.type == "date" && found[0].is_string()) {
                cells.push_back(HumanDuration(static_cast<long long>(now - ParseTime(found[0].get<std::string>()))));
              } else if (p.type == "string") {
                cells.push_back(found[0].is_string() ? found[0].get<std::string>() : found[0].dump());
              } else {
                cells.push_back(found[0]);
              }
            }
            return cells;
          }};
}

Printer PrinterFor(const Resource& r) {
  const std::string& k = r.kind;
  if (!r.crd.empty()) return r.columns.empty() ? AgeOnlyPrinter() : CustomPrinter(r);
  if (k == "Pod") return PodPrinter();
  if (k == "StatefulSet") return StatefulSetPrinter();
  if (k == "Deployment") return DeploymentPrinter();
  if (k == "Service") return ServicePrinter();
  if (k == "PersistentVolumeClaim") return PvcPrinter();
  if (k == "ConfigMap") return CountPrinter("Data", "data");
  if (k == "ServiceAccount") return CountPrinter("Secrets", "secrets");
  if (k == "Secret") return SecretPrinter();
  if (k == "Namespace") return NamespacePrinter();
  if (k == "RoleBinding" || k == "ClusterRoleBinding") return BindingPrinter();
  if (k == "Role" || k == "ClusterRole") return CreatedAtPrinter();
  if (k == "Lease") return LeasePrinter();
  if (k == "Endpoints") return EndpointsPrinter();
  return AgeOnlyPrinter();
}

}  // namespace

bool WantsTable(const std::string& accept) { return accept.find("as=Table") != std::string::npos; }

std::string HumanDuration(long long s) {
  auto str = [](long long v) { return std::to_string(v); };
  if (s < -1) return "<invalid>";
  if (s < 0) return "0s";
  if (s < 120) return str(s) + "s";
  long long m = s / 60, h = s / 3600, d = h / 24, y = d / 365;
  if (m < 10) return s % 60 == 0 ? str(m) + "m" : str(m) + "m" + str(s % 60) + "s";
  if (m < 180) return str(m) + "m";
  if (h < 8) return m % 60 == 0 ? str(h) + "h" : str(h) + "h" + str(m % 60) + "m";
  if (h < 48) return str(h) + "h";
  if (h < 24 * 8) return h % 24 == 0 ? str(d) + "d" : str(d) + "d" + str(h % 24) + "h";
  if (d < 365 * 2) return str(d) + "d";
  if (y < 8) return d % 365 == 0 ? str(y) + "y" : str(y) + "y" + str(d % 365) + "d";
  return str(y) + "y";
}

Json ToTable(const Resource& r, const std::vector<Json>& objects, const std::string& include_object,
             const Json& list_metadata, std::time_t now) {
  Printer printer = PrinterFor(r);
  Json columns = Json::array({{{"name", "Name"},
                               {"type", "string"},
                               {"format", "name"},
                               {"priority", 0},
                               {"description", "Name must be unique within a namespace."}}});
  for (const Column& c : printer.columns)
    columns.push_back(
        {{"name", c.name}, {"type", c.type}, {"format", ""}, {"priority", c.priority}, {"description", c.description}});
  Json rows = Json::array();
  for (const Json& o : objects) {
    Json cells = Json::array({Str(Obj(o, "metadata"), "name")});
    for (Json& cell : printer.cells(o, now)) cells.push_back(std::move(cell));
    Json row = {{"cells", cells}};
    if (include_object == "Object") {
      row["object"] = o;
      row["object"]["apiVersion"] = r.GroupVersion();
      row["object"]["kind"] = r.kind;
    } else if (include_object != "None") {
      row["object"] = {
          {"kind", "PartialObjectMetadata"}, {"apiVersion", "meta.k8s.io/v1"}, {"metadata", Obj(o, "metadata")}};
    }
    rows.push_back(std::move(row));
  }
  return {{"kind", "Table"},
          {"apiVersion", "meta.k8s.io/v1"},
          {"metadata", list_metadata},
          {"columnDefinitions", columns},
          {"rows", rows}};
}

}  // namespace emulator
