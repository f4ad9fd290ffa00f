// The diff vocabulary: what happens to each object and which fields differ.
#pragma once

#include <string>
#include <vector>

#include "diff/model/object.h"

namespace warren::diff {

enum class Action { kCreate, kUpdate, kRecreate, kPrune, kUnchanged };
const char* ActionName(Action a);

enum class Op { kAdd, kRemove, kReplace };
const char* OpName(Op op);

struct Change {
  std::string path;   // RFC 6901 JSON Pointer into the live object (desired index for adds)
  std::string field;  // the same place as Kubernetes prints it: .spec.containers[name="rabbitmq"].image
  Op op = Op::kReplace;
  Json from;          // live value (absent for add)
  Json to;            // desired value (absent for remove)
  bool masked = false;  // a Secret value: from/to are never filled
};

struct ObjectDiff {
  ResourceKey key;
  std::string api_version;
  Action action = Action::kUnchanged;
  std::string reason;  // why recreate (the immutable field), or why skipped
  std::vector<Change> changes;
};

struct DiffReport {
  std::vector<ObjectDiff> objects;  // in desired order, then prunes
  bool HasDrift() const;
  size_t Count(Action a) const;
};

}  // namespace warren::diff
