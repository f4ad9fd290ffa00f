#include "tests/emulator/openapi_types.h"

#include <map>
#include <vector>

namespace emulator {
namespace {

const std::string kCore = "io.k8s.api.core.v1.";
const std::string kApps = "io.k8s.api.apps.v1.";
const std::string kMeta = "io.k8s.apimachinery.pkg.apis.meta.v1.";

// A property: `type` is string, integer, boolean, object (free-form), map (of strings),
// quantity-map (resource lists), []string, or a schema id (prefix [] for an array of it).
struct Prop {
  std::string name, type, description;
  bool required = false;
};
struct Type {
  std::string description;
  std::vector<Prop> props;
};

// A kind's own type: apiVersion, kind and metadata, then `props`.
Type TopLevel(std::string description, std::vector<Prop> props) {
  std::vector<Prop> all = {{"apiVersion", "string", "The versioned schema of this object."},
                           {"kind", "string", "The REST resource this object represents."},
                           {"metadata", kMeta + "ObjectMeta", "Standard object metadata."}};
  all.insert(all.end(), props.begin(), props.end());
  return {std::move(description), std::move(all)};
}

const std::map<std::string, Type>& Types() {
  static const std::map<std::string, Type> kTypes = {
      {kMeta + "ObjectMeta",
       {"Metadata every persisted object has: its name, namespace, labels and what the server records about it.",
        {{"name", "string", "Unique within a namespace; required when creating, cannot be changed."},
         {"generateName", "string", "A prefix from which the server makes a unique name when none is given."},
         {"namespace", "string", "The namespace the object lives in; empty for cluster-scoped objects."},
         {"labels", "map", "Key/value pairs that selectors match."},
         {"annotations", "map", "Key/value pairs for tools; not used for selection."},
         {"finalizers", "[]string", "Names of the controllers that must act before the object is removed."},
         {"uid", "string", "Set by the server: unique in time and space."},
         {"resourceVersion", "string",
          "Set by the server: changes on every write; used for optimistic concurrency and watches."},
         {"generation", "integer", "Set by the server: bumped when the desired state (spec) changes."},
         {"creationTimestamp", "string", "Set by the server: when the object was created (RFC 3339)."},
         {"managedFields", "[]object", "Which field manager owns which fields (server-side apply)."}}}},
      {kMeta + "LabelSelector",
       {"A query over labels: all of matchLabels and matchExpressions must hold.",
        {{"matchLabels", "map", "Labels an object must carry, key by key."},
         {"matchExpressions", "[]object", "Requirements such as `key In (a, b)`."}}}},
      {kApps + "StatefulSet",
       TopLevel(
           "Runs pods with stable identities and stable storage: pod N keeps its name and its claims across restarts.",
           {{"spec", kApps + "StatefulSetSpec", "The desired pods and their storage."},
            {"status", kApps + "StatefulSetStatus", "What the controller last observed."}})},
      {kApps + "StatefulSetSpec",
       {"The desired state of a StatefulSet.",
        {{"replicas", "integer", "How many pods to run (default 1)."},
         {"selector", kMeta + "LabelSelector",
          "Selects the pods this StatefulSet owns; must match the template's labels.", true},
         {"template", kCore + "PodTemplateSpec",
          "The pod each replica is made from; pods are named <statefulset>-<ordinal>.", true},
         {"volumeClaimTemplates", "[]" + kCore + "PersistentVolumeClaim",
          "Claims made for each pod and mounted by name; cannot be changed after creation."},
         {"serviceName", "string", "The headless Service that gives each pod its DNS name."},
         {"podManagementPolicy", "string", "OrderedReady (one at a time, default) or Parallel."},
         {"updateStrategy", "object", "How pods are replaced when the template changes (RollingUpdate or OnDelete)."},
         {"revisionHistoryLimit", "integer", "How many old revisions to keep."},
         {"minReadySeconds", "integer", "How long a new pod must be ready before it counts as available."},
         {"persistentVolumeClaimRetentionPolicy", "object",
          "Whether claims are deleted when the set is deleted or scaled down."}}}},
      {kApps + "StatefulSetStatus",
       {"What the StatefulSet controller last observed.",
        {{"observedGeneration", "integer", "The generation this status describes."},
         {"replicas", "integer", "Pods created."},
         {"readyReplicas", "integer", "Pods ready."},
         {"currentReplicas", "integer", "Pods at currentRevision."},
         {"updatedReplicas", "integer", "Pods at updateRevision."},
         {"currentRevision", "string", "The revision of the pods before the update."},
         {"updateRevision", "string", "The revision the pods are being updated to."}}}},
      {kCore + "PodTemplateSpec",
       {"Describes the pods a workload creates.",
        {{"metadata", kMeta + "ObjectMeta", "Labels and annotations given to each pod."},
         {"spec", kCore + "PodSpec", "The pods' specification."}}}},
      {kCore + "PodSpec",
       {"The specification of a pod: its containers, volumes and scheduling.",
        {{"containers", "[]" + kCore + "Container", "The containers of the pod; at least one.", true},
         {"initContainers", "[]" + kCore + "Container",
          "Containers run to completion, in order, before the others start."},
         {"volumes", "[]" + kCore + "Volume", "Volumes the containers can mount."},
         {"serviceAccountName", "string", "The ServiceAccount the pod runs as."},
         {"automountServiceAccountToken", "boolean", "Whether the service account's token is mounted."},
         {"terminationGracePeriodSeconds", "integer", "Seconds between SIGTERM and SIGKILL (default 30)."},
         {"imagePullSecrets", "[]object", "Secrets holding registry credentials."},
         {"nodeSelector", "map", "Labels a node must have to run the pod."},
         {"affinity", "object", "Scheduling constraints towards or away from nodes and other pods."},
         {"tolerations", "[]object", "Taints the pod tolerates."},
         {"securityContext", "object", "Security settings for all containers."},
         {"restartPolicy", "string", "Always (default), OnFailure or Never."},
         {"dnsPolicy", "string", "How the pod's DNS is set up (default ClusterFirst)."},
         {"hostname", "string", "The pod's hostname (default: its name)."},
         {"subdomain", "string", "With a headless Service of that name: <hostname>.<subdomain>.<namespace>.svc."}}}},
      {kCore + "Container",
       {"A container in a pod.",
        {{"name", "string", "Unique within the pod; a DNS label.", true},
         {"image", "string", "The container image."},
         {"command", "[]string", "The entrypoint (replaces the image's ENTRYPOINT)."},
         {"args", "[]string", "Arguments to the entrypoint (replace the image's CMD)."},
         {"env", "[]" + kCore + "EnvVar", "Environment variables; $(VAR) refers to one defined earlier."},
         {"envFrom", "[]object", "Whole ConfigMaps or Secrets as environment variables."},
         {"ports", "[]" + kCore + "ContainerPort", "Ports the container listens on (informational)."},
         {"resources", kCore + "ResourceRequirements", "CPU and memory requests and limits."},
         {"volumeMounts", "[]" + kCore + "VolumeMount", "Volumes mounted into the container."},
         {"readinessProbe", kCore + "Probe", "When the container may receive traffic."},
         {"livenessProbe", kCore + "Probe", "When the container must be restarted."},
         {"startupProbe", kCore + "Probe", "Holds the other probes back until the container has started."},
         {"imagePullPolicy", "string", "Always, IfNotPresent or Never."},
         {"securityContext", "object", "Security settings of this container."},
         {"lifecycle", "object", "Hooks run after start and before stop."}}}},
      {kCore + "EnvVar",
       {"An environment variable.",
        {{"name", "string", "The variable's name.", true},
         {"value", "string", "A literal value; $(VAR) expands earlier variables."},
         {"valueFrom", "object", "A value from a Secret or ConfigMap key, or a field of the pod."}}}},
      {kCore + "ContainerPort",
       {"A port of a container.",
        {{"containerPort", "integer", "The port number.", true},
         {"name", "string", "A name Services can refer to."},
         {"protocol", "string", "TCP (default), UDP or SCTP."}}}},
      {kCore + "VolumeMount",
       {"A volume mounted into a container.",
        {{"name", "string", "The volume's name.", true},
         {"mountPath", "string", "Where it is mounted.", true},
         {"subPath", "string", "A path inside the volume to mount instead of its root."},
         {"readOnly", "boolean", "Mount read-only."}}}},
      {kCore + "ResourceRequirements",
       {"Compute resources.",
        {{"requests", "quantity-map", "What the scheduler reserves."},
         {"limits", "quantity-map", "The most the container may use."}}}},
      {kCore + "Probe",
       {"A check the kubelet runs against a container.",
        {{"exec", "object", "Run a command; exit 0 is success."},
         {"httpGet", "object", "An HTTP GET; 2xx and 3xx are success."},
         {"tcpSocket", "object", "A TCP connection that opens is success."},
         {"initialDelaySeconds", "integer", "Seconds after start before the first check."},
         {"periodSeconds", "integer", "Seconds between checks (default 10)."},
         {"timeoutSeconds", "integer", "Seconds before a check times out (default 1)."},
         {"failureThreshold", "integer", "Failures in a row that count as failed (default 3)."},
         {"successThreshold", "integer", "Successes in a row that count as passed (default 1)."}}}},
      {kCore + "Volume",
       {"A volume pods can mount.",
        {{"name", "string", "Unique within the pod.", true},
         {"configMap", "object", "The keys of a ConfigMap as files."},
         {"secret", "object", "The keys of a Secret as files."},
         {"persistentVolumeClaim", "object", "A claim in the pod's namespace."},
         {"emptyDir", "object", "A directory that lives as long as the pod."},
         {"projected", "object", "Several sources in one directory."}}}},
      {kCore + "PersistentVolumeClaim",
       TopLevel("A request for storage.", {{"spec", kCore + "PersistentVolumeClaimSpec", "The storage asked for."},
                                           {"status", "object", "The claim's phase, capacity and access modes."}})},
      {kCore + "PersistentVolumeClaimSpec",
       {"The storage a claim asks for.",
        {{"accessModes", "[]string", "ReadWriteOnce, ReadOnlyMany, ReadWriteMany or ReadWriteOncePod."},
         {"resources", "object", "The storage requested (requests.storage)."},
         {"storageClassName", "string", "The StorageClass to provision from."},
         {"volumeMode", "string", "Filesystem (default) or Block."},
         {"volumeName", "string", "The volume bound to the claim."}}}},
      {kCore + "Pod", TopLevel("A group of containers scheduled together on one node.",
                               {{"spec", kCore + "PodSpec", "The pod's specification."},
                                {"status", "object", "What the kubelet last reported."}})},
      {kCore + "Service", TopLevel("A stable name and address for a set of pods.",
                                   {{"spec", kCore + "ServiceSpec", "The Service's ports and the pods it selects."},
                                    {"status", "object", "Load balancer status."}})},
      {kCore + "ServiceSpec",
       {"What a Service exposes.",
        {{"ports", "[]" + kCore + "ServicePort", "The ports the Service exposes."},
         {"selector", "map", "Labels of the pods traffic goes to."},
         {"type", "string", "ClusterIP (default), NodePort, LoadBalancer or ExternalName."},
         {"clusterIP", "string", "The virtual IP; None makes the Service headless."},
         {"publishNotReadyAddresses", "boolean", "List pods in DNS before they are ready (peer discovery needs it)."},
         {"sessionAffinity", "string", "None (default) or ClientIP."}}}},
      {kCore + "ServicePort",
       {"A port of a Service.",
        {{"port", "integer", "The port the Service listens on.", true},
         {"targetPort", "object", "The pods' port, by number or name (default: port)."},
         {"name", "string", "Required when the Service has several ports."},
         {"protocol", "string", "TCP (default), UDP or SCTP."},
         {"nodePort", "integer", "The port on every node (NodePort, LoadBalancer)."}}}},
      {kCore + "ConfigMap", TopLevel("Configuration data as key/value pairs.",
                                     {{"data", "map", "UTF-8 values."},
                                      {"binaryData", "map", "Binary values, base64-encoded."},
                                      {"immutable", "boolean", "When true, data cannot change."}})},
      {kCore + "Secret", TopLevel("Confidential data as key/value pairs.",
                                  {{"data", "map", "Values, base64-encoded."},
                                   {"stringData", "map", "Write-only plain values, merged into data."},
                                   {"type", "string", "How the data is used (default Opaque)."},
                                   {"immutable", "boolean", "When true, data cannot change."}})},
      {kCore + "ServiceAccount",
       TopLevel("An identity for processes in pods.",
                {{"automountServiceAccountToken", "boolean", "Whether pods get its token mounted by default."},
                 {"imagePullSecrets", "[]object", "Registry credentials for pods that use it."}})},
      {kCore + "Namespace",
       TopLevel("A scope for names.", {{"spec", "object", "The namespace's finalizers."},
                                       {"status", "object", "The namespace's phase (Active or Terminating)."}})},
  };
  return kTypes;
}

bool IsSchemaId(const std::string& type) { return type.rfind("io.k8s.", 0) == 0; }

Json Ref(const std::string& id) { return {{"allOf", Json::array({{{"$ref", "#/components/schemas/" + id}}})}}; }

Json PropertySchema(const Prop& p) {
  Json s;
  if (p.type == "string" || p.type == "integer" || p.type == "boolean")
    s = {{"type", p.type}};
  else if (p.type == "object")
    s = {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}};
  else if (p.type == "map")
    s = {{"type", "object"}, {"additionalProperties", {{"type", "string"}, {"default", ""}}}};
  else if (p.type == "quantity-map")
    s = {{"type", "object"}, {"additionalProperties", {{"type", "string"}}}};
  else if (p.type == "[]string")
    s = {{"type", "array"}, {"items", {{"type", "string"}, {"default", ""}}}};
  else if (p.type == "[]object")
    s = {{"type", "array"}, {"items", {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}}};
  else if (p.type.rfind("[]", 0) == 0)
    s = {{"type", "array"}, {"items", Ref(p.type.substr(2))}};
  else
    s = Ref(p.type);
  s["description"] = p.description;
  return s;
}

std::string ShortName(const std::string& id) { return id.substr(id.rfind('.') + 1); }

std::string GoType(const std::string& type) {
  if (type == "integer") return "int32";
  if (type == "boolean") return "bool";
  if (type == "map") return "map[string]string";
  if (type == "quantity-map") return "v1.ResourceList";
  if (type == "object") return "map[string]interface {}";
  if (type == "[]object") return "[]interface {}";
  if (type.rfind("[]", 0) == 0) return "[]" + GoType(type.substr(2));
  if (IsSchemaId(type)) return "v1." + ShortName(type);
  return type;  // string
}

std::string JsonKind(const Json& v) {
  if (v.is_object()) return "object";
  if (v.is_array()) return "array";
  if (v.is_string()) return "string";
  if (v.is_boolean()) return "bool";
  return "number";
}

std::optional<ShapeMismatch> Walk(const std::string& type, const Json& v, const std::string& path,
                                  const std::string& go_struct) {
  // Free-form ("object": int-or-string ports, status) takes anything.
  if (v.is_null() || type == "object") return std::nullopt;
  bool list = type.rfind("[]", 0) == 0;
  bool map = !list && (IsSchemaId(type) || type == "map" || type == "quantity-map");
  bool ok = list ? v.is_array() : map ? v.is_object() : !v.is_object() && !v.is_array();
  if (!ok) return ShapeMismatch{path, go_struct, GoType(type), JsonKind(v), list ? "list" : map ? "map" : "scalar"};
  if (list && IsSchemaId(type.substr(2))) {
    for (const Json& item : v)
      if (auto m = Walk(type.substr(2), item, path, go_struct)) return m;
  }
  if (IsSchemaId(type)) {
    auto it = Types().find(type);
    if (it == Types().end()) return std::nullopt;
    for (const Prop& p : it->second.props)
      if (v.contains(p.name))
        if (auto m = Walk(p.type, v[p.name], path.empty() ? p.name : path + "." + p.name, ShortName(type))) return m;
  }
  return std::nullopt;
}

}  // namespace

std::optional<ShapeMismatch> FindShapeMismatch(const std::string& id, const Json& object) {
  return Walk(id, object, "", ShortName(id));
}

std::string TypedSchemaId(const std::string& group, const std::string& version, const std::string& kind) {
  if (version != "v1") return "";
  std::string id = (group == "apps" ? kApps : group.empty() ? kCore : "") + kind;
  return !id.empty() && Types().count(id) ? id : "";
}

void AddSchemaClosure(const std::string& id, Json* schemas) {
  if (schemas->contains(id)) return;
  auto it = Types().find(id);
  if (it == Types().end()) return;
  Json props = Json::object(), required = Json::array();
  (*schemas)[id] = Json::object();  // placeholder: breaks cycles
  for (const Prop& p : it->second.props) {
    props[p.name] = PropertySchema(p);
    if (p.required) required.push_back(p.name);
    std::string ref = p.type.rfind("[]", 0) == 0 ? p.type.substr(2) : p.type;
    if (IsSchemaId(ref)) AddSchemaClosure(ref, schemas);
  }
  Json s = {{"description", it->second.description}, {"type", "object"}, {"properties", props}};
  if (!required.empty()) s["required"] = required;
  (*schemas)[id] = s;
}

}  // namespace emulator
