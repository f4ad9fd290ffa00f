// The live counterparts of desired objects, read with as few requests as the set allows: one LIST
// per (kind, namespace) when it holds several desired objects, one GET otherwise. Objects missing
// live are simply absent (the diff says create). The same LISTs show warren-labelled objects that
// git no longer has (prune candidates).
#pragma once

#include <vector>

#include "agent/kube/client.h"
#include "diff/model/object.h"

namespace warren::kube {

struct FetchOptions {
  size_t list_threshold = 2;  // LIST from this many desired objects of one kind in one namespace
};

// Errors name what was being read: "read StatefulSet dev/rabbitmq: 403 Forbidden: ...".
Result<std::vector<Object>> FetchLive(Api& client, const std::vector<Object>& desired,
                                      const FetchOptions& options = {});

// The server's own prediction of applying each desired object (server-side apply, dryRun=All,
// fieldManager warren, forced, so fields other managers hold show as the changes they are): what
// the object would look like.
Result<std::vector<Object>> PredictApply(Api& client, const std::vector<Object>& desired);

}  // namespace warren::kube
