// The diff vocabulary: what happens to each object and which fields differ.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "diff/model/object.h"

namespace warren::diff {

// kExtra: present live, absent from the desired state and not created by warren (a queue someone
// declared by hand): reported so people see it, never touched, and not drift.
enum class Action { kCreate, kUpdate, kRecreate, kPrune, kUnchanged, kExtra };
const char* ActionName(Action a);

enum class Op { kAdd, kRemove, kReplace };
const char* OpName(Op op);

// Who last wrote a field, from the live object's managedFields entry that owns it.
struct FieldWriter {
  std::string manager, operation, subresource, time;  // time: RFC 3339, as the API server wrote it
  bool operator==(const FieldWriter&) const = default;
};
// "kubectl, Update, 2026-12-02T14:02:11Z"; a subresource follows the operation: "Update /scale".
std::string WriterText(const FieldWriter& w);
// The write alone, without the manager: "Update /scale, 2026-12-02T14:02:11Z".
std::string WriteText(const FieldWriter& w);

struct Change {
  std::string path;   // RFC 6901 JSON Pointer into the live object (desired index for adds)
  std::string field;  // the same place as Kubernetes prints it: .spec.containers[name="rabbitmq"].image
  Op op = Op::kReplace;
  Json from;            // live value (absent for add)
  Json to;              // desired value (absent for remove)
  bool masked = false;  // a Secret value: from/to are never filled
  // The manager other than warren that owns this field live (who set the value warren would
  // change); unset when only warren owns it, or nobody does (a field someone removed).
  std::optional<FieldWriter> changed_by;
};

struct ObjectDiff {
  ResourceKey key;         // for a RabbitMQ object (in_broker): ns is its vhost
  bool in_broker = false;  // compared with the RabbitMQ management API, not the Kubernetes API
  std::string api_version;
  Action action = Action::kUnchanged;
  std::string reason;               // why recreate (the immutable field), why prune, or why left alone
  std::string DisplayName() const;  // "StatefulSet dev/rabbitmq", "Queue ha.orders (vhost orders)"
  std::vector<Change> changes;
  std::vector<std::string> ignored_paths;  // differences that ignore rules hid (not drift; a rollout still sees them)
};

// A short digest of what differs (paths, values, writers): equal while the object stays as it
// was, so what needs action is not tried again until the object or git changes.
std::string Fingerprint(const ObjectDiff& d);

struct DiffReport {
  std::vector<ObjectDiff> objects;  // in desired order, then prunes
  bool HasDrift() const;            // anything to create, update, recreate or prune
  size_t Count(Action a) const;
  void Append(DiffReport other);
};

}  // namespace warren::diff
