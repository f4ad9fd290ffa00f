// Kubernetes resource quantities ("512Mi", "0.5Gi", "250m", "1e3", "1000m").
//
// ParseQuantity gives the exact value in milli-units (what the API server keeps; smaller values
// round up to 1m as it does). CanonicalQuantity writes a value one way only, so equal values give
// equal strings: "512Mi" = "0.5Gi" = "536870912" -> "512Mi"; "1000m" = "1" -> "1"; "0.25" -> "250m".
#pragma once

#include <optional>
#include <string>

#include "diff/model/object.h"

namespace warren {

__extension__ typedef __int128 MilliValue;

std::optional<MilliValue> ParseQuantity(const std::string& text);

// Accepts a string or a JSON number (YAML `cpu: 1`); nullopt when it is not a quantity.
std::optional<MilliValue> ParseQuantity(const Json& value);

std::string CanonicalQuantity(MilliValue milli);

// Bytes for memory quantities (milli / 1000, rounded up).
inline long long QuantityBytes(MilliValue milli) { return static_cast<long long>((milli + 999) / 1000); }

}  // namespace warren
