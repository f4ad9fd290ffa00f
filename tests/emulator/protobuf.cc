#include "tests/emulator/protobuf.h"

#include <map>
#include <vector>

#include "diff/model/base64.h"

namespace emulator {
namespace {

// The fields of one message: field number → raw values (varints as numbers, the rest as bytes).
struct Message {
  std::multimap<int, std::string> bytes;
  std::multimap<int, unsigned long long> varints;
  std::string String(int f) const {
    auto it = bytes.find(f);
    return it == bytes.end() ? "" : it->second;
  }
};

bool ReadVarint(const std::string& s, size_t& i, unsigned long long* v) {
  *v = 0;
  for (int shift = 0; i < s.size() && shift < 64; shift += 7) {
    unsigned char b = static_cast<unsigned char>(s[i++]);
    *v |= static_cast<unsigned long long>(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

std::optional<Message> Parse(const std::string& s) {
  Message m;
  size_t i = 0;
  while (i < s.size()) {
    unsigned long long tag;
    if (!ReadVarint(s, i, &tag)) return std::nullopt;
    int field = static_cast<int>(tag >> 3), wire = static_cast<int>(tag & 7);
    if (wire == 0) {
      unsigned long long v;
      if (!ReadVarint(s, i, &v)) return std::nullopt;
      m.varints.emplace(field, v);
    } else if (wire == 2) {
      unsigned long long len;
      if (!ReadVarint(s, i, &len) || i + len > s.size()) return std::nullopt;
      m.bytes.emplace(field, s.substr(i, len));
      i += len;
    } else if (wire == 1) {
      i += 8;
    } else if (wire == 5) {
      i += 4;
    } else {
      return std::nullopt;
    }
  }
  if (i != s.size()) return std::nullopt;
  return m;
}

// A message's fields as generated.proto numbers them, enough to turn it into its JSON form.
struct Schema;
struct Field {
  int number;
  const char* json;
  // kInt: a pointer field, kept when 0 (replicas: 0); kNonZeroInt: omitted when 0, as in JSON.
  enum Kind {
    kString,
    kBytes,
    kBool,
    kInt,
    kNonZeroInt,
    kIntOrString,
    kMessage,
    kStringMap,
    kBytesMap,
    kStrings,
    kMessages,
    kServerSet
  } kind;
  const Schema* message = nullptr;
};
struct Schema {
  const char* name;
  std::vector<Field> fields;
};

const Schema kObjectMeta{"ObjectMeta",
                         {{1, "name", Field::kString},
                          {2, "generateName", Field::kString},
                          {3, "namespace", Field::kString},
                          {4, "selfLink", Field::kServerSet},
                          {5, "uid", Field::kServerSet},
                          {6, "resourceVersion", Field::kString},
                          {7, "generation", Field::kServerSet},
                          {8, "creationTimestamp", Field::kServerSet},
                          {9, "deletionTimestamp", Field::kServerSet},
                          {10, "deletionGracePeriodSeconds", Field::kServerSet},
                          {11, "labels", Field::kStringMap},
                          {12, "annotations", Field::kStringMap},
                          {14, "finalizers", Field::kStrings}}};
const Schema kNamespaceSpec{"NamespaceSpec", {{1, "finalizers", Field::kStrings}}};
const Schema kNamespace{"Namespace",
                        {{1, "metadata", Field::kMessage, &kObjectMeta},
                         {2, "spec", Field::kMessage, &kNamespaceSpec},
                         {3, "status", Field::kServerSet}}};
const Schema kConfigMap{"ConfigMap",
                        {{1, "metadata", Field::kMessage, &kObjectMeta},
                         {2, "data", Field::kStringMap},
                         {3, "binaryData", Field::kBytesMap},
                         {4, "immutable", Field::kBool}}};
const Schema kSecret{"Secret",
                     {{1, "metadata", Field::kMessage, &kObjectMeta},
                      {2, "data", Field::kBytesMap},
                      {3, "type", Field::kString},
                      {4, "stringData", Field::kStringMap},
                      {5, "immutable", Field::kBool}}};
const Schema kLocalObjectReference{"LocalObjectReference", {{1, "name", Field::kString}}};
const Schema kServiceAccount{"ServiceAccount",
                             {{1, "metadata", Field::kMessage, &kObjectMeta},
                              {3, "imagePullSecrets", Field::kMessages, &kLocalObjectReference},
                              {4, "automountServiceAccountToken", Field::kBool}}};
const Schema kPolicyRule{"PolicyRule",
                         {{1, "verbs", Field::kStrings},
                          {2, "apiGroups", Field::kStrings},
                          {3, "resources", Field::kStrings},
                          {4, "resourceNames", Field::kStrings},
                          {5, "nonResourceURLs", Field::kStrings}}};
const Schema kRole{"Role",
                   {{1, "metadata", Field::kMessage, &kObjectMeta}, {2, "rules", Field::kMessages, &kPolicyRule}}};
const Schema kSubject{"Subject",
                      {{1, "kind", Field::kString},
                       {2, "apiGroup", Field::kString},
                       {3, "name", Field::kString},
                       {4, "namespace", Field::kString}}};
const Schema kRoleRef{"RoleRef",
                      {{1, "apiGroup", Field::kString}, {2, "kind", Field::kString}, {3, "name", Field::kString}}};
const Schema kRoleBinding{"RoleBinding",
                          {{1, "metadata", Field::kMessage, &kObjectMeta},
                           {2, "subjects", Field::kMessages, &kSubject},
                           {3, "roleRef", Field::kMessage, &kRoleRef}}};

// What `kubectl create deployment|service` send; every other field arrives as a zero value.
const Schema kLabelSelector{"LabelSelector", {{1, "matchLabels", Field::kStringMap}}};
const Schema kContainerPort{
    "ContainerPort", {{1, "name", Field::kString}, {3, "containerPort", Field::kInt}, {4, "protocol", Field::kString}}};
const Schema kEnvVar{"EnvVar", {{1, "name", Field::kString}, {2, "value", Field::kString}}};
const Schema kContainer{"Container",
                        {{1, "name", Field::kString},
                         {2, "image", Field::kString},
                         {3, "command", Field::kStrings},
                         {4, "args", Field::kStrings},
                         {6, "ports", Field::kMessages, &kContainerPort},
                         {7, "env", Field::kMessages, &kEnvVar}}};
const Schema kPodSpec{"PodSpec", {{2, "containers", Field::kMessages, &kContainer}}};
const Schema kPodTemplateSpec{
    "PodTemplateSpec", {{1, "metadata", Field::kMessage, &kObjectMeta}, {2, "spec", Field::kMessage, &kPodSpec}}};
const Schema kDeploymentSpec{"DeploymentSpec",
                             {{1, "replicas", Field::kInt},
                              {2, "selector", Field::kMessage, &kLabelSelector},
                              {3, "template", Field::kMessage, &kPodTemplateSpec}}};
const Schema kDeployment{"Deployment",
                         {{1, "metadata", Field::kMessage, &kObjectMeta},
                          {2, "spec", Field::kMessage, &kDeploymentSpec},
                          {3, "status", Field::kServerSet}}};
const Schema kServicePort{"ServicePort",
                          {{1, "name", Field::kString},
                           {2, "protocol", Field::kString},
                           {3, "port", Field::kInt},
                           {4, "targetPort", Field::kIntOrString},
                           {5, "nodePort", Field::kNonZeroInt}}};
const Schema kServiceSpec{"ServiceSpec",
                          {{1, "ports", Field::kMessages, &kServicePort},
                           {2, "selector", Field::kStringMap},
                           {3, "clusterIP", Field::kString},
                           {4, "type", Field::kString},
                           {10, "externalName", Field::kString}}};
const Schema kService{"Service",
                      {{1, "metadata", Field::kMessage, &kObjectMeta},
                       {2, "spec", Field::kMessage, &kServiceSpec},
                       {3, "status", Field::kServerSet}}};

const Schema* SchemaOf(const std::string& kind) {
  static const std::map<std::string, const Schema*> kKinds = {{"Namespace", &kNamespace},
                                                              {"ConfigMap", &kConfigMap},
                                                              {"Secret", &kSecret},
                                                              {"ServiceAccount", &kServiceAccount},
                                                              {"Role", &kRole},
                                                              {"ClusterRole", &kRole},
                                                              {"RoleBinding", &kRoleBinding},
                                                              {"ClusterRoleBinding", &kRoleBinding},
                                                              {"Deployment", &kDeployment},
                                                              {"Service", &kService}};
  auto it = kKinds.find(kind);
  return it == kKinds.end() ? nullptr : it->second;
}

// One wire-level field, in order (repeated fields and map entries come one per occurrence).
struct RawField {
  int number;
  bool varint;
  unsigned long long value;
  std::string bytes;
};

bool ParseInOrder(const std::string& s, std::vector<RawField>* out) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned long long tag;
    if (!ReadVarint(s, i, &tag)) return false;
    RawField f{static_cast<int>(tag >> 3), (tag & 7) == 0, 0, ""};
    switch (tag & 7) {
      case 0:
        if (!ReadVarint(s, i, &f.value)) return false;
        break;
      case 2: {
        unsigned long long len;
        if (!ReadVarint(s, i, &len) || len > s.size() - i) return false;
        f.bytes = s.substr(i, len);
        i += len;
        break;
      }
      default:
        return false;  // no fixed-width fields in the messages decoded here
    }
    out->push_back(std::move(f));
  }
  return true;
}

// A zero value: 0, "", or a message of zero values (an empty strategy is {type: ""}).
bool IsZero(const RawField& f, int depth = 0) {
  if (f.varint) return f.value == 0;
  if (f.bytes.empty()) return true;
  std::vector<RawField> inner;
  if (depth > 8 || !ParseInOrder(f.bytes, &inner)) return false;
  for (const RawField& i : inner)
    if (!IsZero(i, depth + 1)) return false;
  return true;
}

std::optional<Json> DecodeMessage(const std::string& bytes, const Schema& schema, std::string* error) {
  std::vector<RawField> raw;
  if (!ParseInOrder(bytes, &raw)) {
    *error = "malformed " + std::string(schema.name);
    return std::nullopt;
  }
  Json out = Json::object();
  for (const RawField& r : raw) {
    const Field* f = nullptr;
    for (const Field& candidate : schema.fields)
      if (candidate.number == r.number) f = &candidate;
    // Go's encoder writes every non-pointer field, so most unknown fields are zero values.
    if (!f && IsZero(r)) continue;
    if (!f) {
      *error = std::string(schema.name) + " field " + std::to_string(r.number) + " is not understood by the emulator";
      return std::nullopt;
    }
    switch (f->kind) {
      case Field::kServerSet:
        break;              // the server's to set; a client's value is ignored
      case Field::kString:  // empty strings are omitted, as the JSON form omits them
        if (!r.bytes.empty()) out[f->json] = r.bytes;
        break;
      case Field::kBytes:
        out[f->json] = warren::Base64Encode(r.bytes);
        break;
      case Field::kBool:
        out[f->json] = r.value != 0;
        break;
      case Field::kInt:
        out[f->json] = static_cast<long long>(r.value);
        break;
      case Field::kNonZeroInt:
        if (r.value != 0) out[f->json] = static_cast<long long>(r.value);
        break;
      case Field::kIntOrString: {  // type = 1 (0 int, 1 string), intVal = 2, strVal = 3
        std::vector<RawField> parts;
        if (!ParseInOrder(r.bytes, &parts)) {
          *error = "malformed IntOrString in " + std::string(schema.name);
          return std::nullopt;
        }
        unsigned long long type = 0, int_val = 0;
        std::string str_val;
        for (const RawField& p : parts) {
          if (p.number == 1) type = p.value;
          if (p.number == 2) int_val = p.value;
          if (p.number == 3) str_val = p.bytes;
        }
        if (type == 1)
          out[f->json] = str_val;
        else
          out[f->json] = static_cast<long long>(int_val);
        break;
      }
      case Field::kStrings:
        out[f->json].push_back(r.bytes);
        break;
      case Field::kMessage:
      case Field::kMessages: {
        auto m = DecodeMessage(r.bytes, *f->message, error);
        if (!m) return std::nullopt;
        if (f->kind == Field::kMessage)
          out[f->json] = *m;
        else
          out[f->json].push_back(*m);
        break;
      }
      case Field::kStringMap:
      case Field::kBytesMap: {  // map entries: key = 1, value = 2
        std::vector<RawField> entry;
        if (!ParseInOrder(r.bytes, &entry)) {
          *error = "malformed map entry in " + std::string(schema.name);
          return std::nullopt;
        }
        std::string key, value;
        for (const RawField& e : entry) (e.number == 1 ? key : value) = e.bytes;
        out[f->json][key] = f->kind == Field::kBytesMap ? warren::Base64Encode(value) : value;
        break;
      }
    }
  }
  return out;
}

}  // namespace

std::optional<Json> DecodeObject(const std::string& body, std::string* error) {
  if (body.size() < 4 || body.compare(0, 4, std::string("k8s\0", 4)) != 0) {
    *error = "no k8s protobuf envelope";
    return std::nullopt;
  }
  auto unknown = Parse(body.substr(4));
  if (!unknown) {
    *error = "malformed runtime.Unknown envelope";
    return std::nullopt;
  }
  auto type_meta = Parse(unknown->String(1));
  std::string api_version = type_meta ? type_meta->String(1) : "", kind = type_meta ? type_meta->String(2) : "";
  const Schema* schema = SchemaOf(kind);
  if (!schema) {
    *error = "protobuf bodies of kind \"" + kind + "\" are not understood by the emulator";
    return std::nullopt;
  }
  auto object = DecodeMessage(unknown->String(2), *schema, error);
  if (!object) return std::nullopt;
  Json out = {{"apiVersion", api_version}, {"kind", kind}};
  out.update(*object);
  return out;
}

std::optional<Json> DecodeSelfSubjectAccessReview(const std::string& body) {
  if (body.size() < 4 || body.compare(0, 4, std::string("k8s\0", 4)) != 0) return std::nullopt;
  auto unknown = Parse(body.substr(4));
  if (!unknown) return std::nullopt;
  auto type_meta = Parse(unknown->String(1));
  if (!type_meta || type_meta->String(2) != "SelfSubjectAccessReview") return std::nullopt;
  auto review = Parse(unknown->String(2));
  if (!review) return std::nullopt;
  auto spec = Parse(review->String(2));
  if (!spec) return std::nullopt;
  Json out = {
      {"apiVersion", "authorization.k8s.io/v1"}, {"kind", "SelfSubjectAccessReview"}, {"metadata", Json::object()}};
  if (spec->bytes.count(1)) {
    auto ra = Parse(spec->String(1));
    if (!ra) return std::nullopt;
    Json attrs = Json::object();
    const char* names[] = {"", "namespace", "verb", "group", "version", "resource", "subresource", "name"};
    for (int f = 1; f <= 7; ++f)
      if (ra->bytes.count(f)) attrs[names[f]] = ra->String(f);
    out["spec"]["resourceAttributes"] = attrs;
  } else if (spec->bytes.count(2)) {
    auto nra = Parse(spec->String(2));
    if (!nra) return std::nullopt;
    out["spec"]["nonResourceAttributes"] = {{"path", nra->String(1)}, {"verb", nra->String(2)}};
  }
  return out;
}

}  // namespace emulator
