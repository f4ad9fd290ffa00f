// CustomResourceDefinitions (apiextensions.k8s.io/v1) as the API server treats them: a CRD is
// checked when written (names, scope, one storage version, a structural schema, printer columns
// whose JSONPath reads), and once stored its served versions appear in discovery, OpenAPI and the
// resource paths; deleting it withdraws them (and its objects go, as the server deletes them).
#pragma once

#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "tests/emulator/resources.h"
#include "tests/emulator/validate.h"

namespace emulator {

// The definition's errors, with the messages and field paths of a 1.32 server.
std::vector<FieldError> ValidateCustomResourceDefinition(const Json& crd);

// The status a server gives an accepted definition: NamesAccepted and Established, acceptedNames,
// storedVersions.
Json CustomResourceDefinitionStatus(const Json& crd, const std::string& now);

// The resources one served version each; `crd` must have passed validation.
std::vector<Resource> ResourcesOf(const Json& crd);

// The custom resources served now. Resources are never freed (a request may hold one while its
// CRD changes): a changed definition serves a new entry and the old one is no longer found.
class CustomResources {
 public:
  // Serves what `crd` defines, in place of what it defined before.
  void Serve(const Json& crd);
  void Withdraw(const std::string& crd_name);
  void Clear();

  const Resource* Find(const std::string& group, const std::string& version, const std::string& plural) const;
  // Served resources of definition `crd_name`.
  ResourceSet Of(const std::string& crd_name) const;
  ResourceSet All() const;

 private:
  mutable std::mutex mu_;
  std::deque<Resource> entries_;  // every entry ever served; pointers stay valid
  ResourceSet served_;
};

}  // namespace emulator
