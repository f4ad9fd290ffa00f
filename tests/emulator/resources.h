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

  std::string GroupVersion() const { return group.empty() ? version : group + "/" + version; }
  // "statefulsets.apps", "secrets": how errors name the resource.
  std::string Qualified() const { return group.empty() ? name : name + "." + group; }
  // "StatefulSet.apps", "Service": how Invalid errors name the kind.
  std::string QualifiedKind() const { return group.empty() ? kind : kind + "." + group; }
};

const std::vector<Resource>& AllResources();
const Resource* FindResource(const std::string& group, const std::string& version, const std::string& plural);
const Resource* FindKind(const std::string& group, const std::string& kind);

Json VersionDocument();                                  // GET /version
Json CoreVersions();                                     // GET /api
Json GroupList();                                        // GET /apis
Json ResourceList(const std::string& group_version);     // GET /api/v1, /apis/<g>/<v>; null if unknown
Json OpenApiIndex();                                     // GET /openapi/v3
Json OpenApiDocument(const std::string& group_version);  // GET /openapi/v3/<api/v1|apis/g/v>; null if unknown

}  // namespace emulator
