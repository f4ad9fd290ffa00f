// Compare: the fields that differ between a normalised desired and live object.
//
// Semantics, chosen so that what is reported is what an apply would change:
//  - only fields the desired object sets are compared: defaults, status and fields other
//    managers own are not drift; {} / [] / null in desired equal an absent field;
//  - keyed lists (containers by name, ports by port+protocol, ...) are matched by key in any
//    order, and a live item missing from desired is drift (someone added a port or env var);
//  - other lists are atomic: same length, each item covering the live one, in order;
//  - a field warren applied before (its managedFields entry) that desired no longer has is
//    drift: a removal.
#pragma once

#include <string>
#include <vector>

#include "diff/engine/report.h"

namespace warren::diff {

// Appends the changes turning `live` into `desired`. Both must be normalised objects.
void CompareObjects(const Json& desired, const Json& live, std::vector<Change>* out);

// Appends removals of fields that `manager`'s Apply entry in live's managedFields owns but
// desired no longer sets. `live_raw` still carries metadata.managedFields.
void CompareOwnedRemovals(const Json& desired, const Json& live, const Json& live_raw, const std::string& manager,
                          std::vector<Change>* out);

// The JSON Pointers (against `live_raw`) of every leaf that `manager` owns in managedFields.
std::vector<std::string> OwnedPointers(const Json& live_raw, const std::string& manager);
// The same for one managedFields entry.
std::vector<std::string> EntryPointers(const Json& entry, const Json& live_raw);

}  // namespace warren::diff
