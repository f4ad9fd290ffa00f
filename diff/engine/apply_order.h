// The order warren applies Kubernetes objects in, as data: what others refer to first
// (Namespaces, ServiceAccounts, Secrets, ConfigMaps, RBAC), then Services, then StatefulSets;
// prunes run in the reverse order. Kinds not listed go after the listed ones, before custom
// resources.
#pragma once

#include <vector>

#include "diff/model/object.h"

namespace warren::diff {

// Rank of a kind in the apply order (lower first).
int ApplyRank(const std::string& group, const std::string& kind);

// A stable sort of `objects` by ApplyRank.
std::vector<const Object*> InApplyOrder(const std::vector<Object>& objects);

// Kinds warren never deletes, not even when pruning: data and namespaces outlive deployments.
bool NeverDeleted(const std::string& group, const std::string& kind);

}  // namespace warren::diff
