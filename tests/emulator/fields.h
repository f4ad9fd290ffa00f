// Field ownership and the merges of the write paths: server-side apply's field sets (the FieldsV1
// tree stored in managedFields), conflicts, the apply merge, and strategic merge patch.
//
// A field set is kept in its wire form, a tree of "f:<field>", "k:<key json>" (items of keyed
// lists) and "." (the item itself) nodes; a {} node is an owned leaf, which for an atomic field
// covers everything below it.
#pragma once

#include <string>
#include <vector>

#include "tests/emulator/schema.h"

namespace emulator {

using FieldSet = Json;
using FieldPath = std::vector<std::string>;

// The fields an object sets (apply: the applied configuration; update: the whole new object).
// apiVersion, kind, status and the server-managed metadata are never part of it.
FieldSet FieldSetOf(const std::string& kind, const Json& obj);

std::vector<FieldPath> Leaves(const FieldSet& fs);
bool Owns(const FieldSet& fs, const FieldPath& p);       // p itself, or an atomic ancestor
bool OwnsBelow(const FieldSet& fs, const FieldPath& p);  // anything strictly below p
void Disown(FieldSet* fs, const FieldPath& p);           // removes p (and below), prunes empties
FieldSet Union(FieldSet a, const FieldSet& b);

// The value at a field path, or nullptr ("." paths give the list item itself).
const Json* ValueAt(const std::string& kind, const Json& obj, const FieldPath& p);
// Removes the field at p from obj (a map key or a keyed list item).
void RemoveAt(const std::string& kind, Json* obj, const FieldPath& p);

// `.spec.template.spec.containers[name="rabbitmq"].image`, as conflict messages print paths.
std::string PathString(const FieldPath& p);

// Apply's merge: maps merged key by key, keyed lists item by item, atomic fields and other lists
// replaced by the configuration's value.
Json MergeApplied(const std::string& kind, const Json& live, const Json& config);

// application/strategic-merge-patch+json: like the apply merge, plus null deletes a key,
// `$patch: delete` removes a list item, `$patch: replace` replaces, `$deleteFromPrimitiveList/x`
// removes values; `$setElementOrder` and `$retainKeys` directives are accepted and ignored.
Json StrategicMerge(const std::string& kind, const Json& target, const Json& patch);

}  // namespace emulator
