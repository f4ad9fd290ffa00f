// Normalisation before comparing: the same meaning, one spelling. Applied to both sides.
//
// Comparison only looks at fields the desired object sets, so server defaults need no copying;
// what normalisers do is make equal things compare equal: quantities in one canonical form, the
// defaults that identify list items (protocol TCP), Secret stringData folded into base64 data,
// and metadata the server alone writes dropped. One file per kind under normalize/.
#pragma once

#include "diff/model/object.h"

namespace warren::diff {

enum class Side { kDesired, kLive };

// Normalises `doc` (an object of `kind` in `group`) in place.
void Normalize(const std::string& group, const std::string& kind, Side side, Json& doc);

// A copy of `doc` to normalise, without what Normalize drops first (status, and the metadata
// the server alone writes: managedFields is often a third of a live object). Those were copied
// only to be erased.
Json CopyToNormalize(const Json& doc);

// Shared by the kind normalisers.
void NormalizePodSpec(Json& pod_spec);
void NormalizeResources(Json& resources);  // {limits, requests} quantities
void NormalizeStatefulSet(Side side, Json& doc);
void NormalizeService(Side side, Json& doc);
void NormalizeSecret(Side side, Json& doc);
void NormalizeRbac(const std::string& kind, Json& doc);

}  // namespace warren::diff
