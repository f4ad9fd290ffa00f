// The resources the emulator serves, and the discovery and OpenAPI documents kubectl reads about
// them. Versions a 1.32 server no longer serves (apps/v1beta1, rbac v1beta1, ...) are simply absent:
// requests for them get the plain-text 404 of an unknown path.
#pragma once

#include <string>
#include <vector>

#include "tests/emulator/schema.h"

namespace emulator {

struct Resource {
  std::string group, version, name, singular, kind;
  bool namespaced = true;
  std::vector<std::string> short_names;
  std::vector<std::string> subresources;  // "status", "scale"
  bool has_generation = false;            // spec changes bump metadata.generation
  bool returns_deleted_object = false;    // DELETE answers with the object, not a Status
  bool create_only = false;               // SelfSubjectAccessReview: POST and nothing else
  // A custom resource: served from a CustomResourceDefinition (custom_resources.h).
  std::string crd;               // the CRD's name ("warrensources.warren.io"); "" = built in
  Json schema;                   // the version's openAPIV3Schema
  Json columns = Json::array();  // additionalPrinterColumns
  std::vector<std::string> categories;

  std::string GroupVersion() const { return group.empty() ? version : group + "/" + version; }
  // "statefulsets.apps", "secrets": how errors name the resource.
  std::string Qualified() const { return group.empty() ? name : name + "." + group; }
  // "StatefulSet.apps", "Service": how Invalid errors name the kind.
  std::string QualifiedKind() const { return group.empty() ? kind : kind + "." + group; }
};

// The built-in resources.
const std::vector<Resource>& AllResources();
const Resource* FindResource(const std::string& group, const std::string& version, const std::string& plural);
const Resource* FindKind(const std::string& group, const std::string& kind);

// What the server serves at one moment: the built-ins, then the custom resources.
using ResourceSet = std::vector<const Resource*>;

Json VersionDocument();                  // GET /version
Json CoreVersions();                     // GET /api
Json GroupList(const ResourceSet& all);  // GET /apis
Json ResourceList(const ResourceSet& all,
                  const std::string& group_version);  // GET /api/v1, /apis/<g>/<v>; null if unknown
Json OpenApiIndex(const ResourceSet& all);            // GET /openapi/v3
// GET /openapi/v3/<api/v1|apis/g/v>; null if unknown.
Json OpenApiDocument(const ResourceSet& all, const std::string& group_version);

}  // namespace emulator
