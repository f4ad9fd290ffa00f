// The lint rules. Each appends its findings; lint.cc runs them all and owns the rule table.
#pragma once

#include <optional>
#include <utility>

#include "diff/check/finding.h"
#include "diff/check/manifest_index.h"

namespace warren::check {

void CheckRemovedApiVersions(const ManifestIndex& index, Findings* out);
void CheckRoleRefs(const ManifestIndex& index, Findings* out);
void CheckServiceAccounts(const ManifestIndex& index, Findings* out);
void CheckPeerDiscoveryRbac(const ManifestIndex& index, Findings* out);
void CheckSecretAndConfigMapRefs(const ManifestIndex& index, Findings* out);
void CheckStatefulSets(const ManifestIndex& index, Findings* out);
void CheckNodeNaming(const ManifestIndex& index, Findings* out);
void CheckClusterDomain(const ManifestIndex& index, Findings* out);
void CheckLiteralCredentials(const ManifestIndex& index, Findings* out);
void CheckMemorySettings(const ManifestIndex& index, Findings* out);
void CheckRabbitTopology(const ManifestIndex& index, Findings* out);
void CheckManagementExposure(const ManifestIndex& index, Findings* out);
void CheckStringValues(const ManifestIndex& index, Findings* out);
void CheckPlaintextSecrets(const ManifestIndex& index, Findings* out);

// The first field of `o` that the rules read and that has the wrong shape (a string where a
// mapping belongs): its JSON Pointer and what it holds instead. Such objects are not linted further.
std::optional<std::pair<std::string, std::string>> ShapeProblem(const Object& o);

}  // namespace warren::check
