// managedFields bookkeeping for the write paths: entries per manager and operation, what a
// non-apply write takes over, and the apply conflict message.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "tests/emulator/fields.h"
#include "tests/emulator/resources.h"

namespace httplib {
struct Request;
}

namespace emulator {

// The manager of a non-apply write: ?fieldManager, or the User-Agent's program name.
std::string ManagerOf(const httplib::Request& req);
// `"kubectl-edit" using apps/v1`, `"x" with subresource "scale"`: how conflicts name a manager.
std::string ManagerText(const Json& entry);
bool SameEntry(const Json& e, const std::string& manager, const std::string& op, const std::string& sub);
std::vector<Json> EntriesOf(const Json* obj);
Json NewEntry(const std::string& manager, const std::string& op, const std::string& api_version,
              const std::string& sub);
// Writes entries back: empty ones dropped, Apply before Update, then by manager.
void StoreEntries(Json& obj, std::vector<Json> entries);
// A non-apply write: the fields it changed become the writer's and leave everyone else's; fields
// it removed leave every entry.
void RecordUpdate(const Resource& r, Json& obj, const Json* old, const std::string& manager, const std::string& sub);
// "Apply failed with 1 conflict: conflict with "kubectl-scale" with subresource "scale": .spec.replicas"
std::string ConflictMessage(const std::vector<std::pair<Json, std::string>>& conflicts);

}  // namespace emulator
