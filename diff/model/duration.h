// Go durations, as kubectl, Flux and Argo CD take them: a sequence of decimal numbers, each with
// a unit (ns, us, µs, ms, s, m, h): "300ms", "90s", "5m", "1h30m", "1.5h". A bare number is
// seconds (what warren's older flags took). Negative and overflowing values are errors.
#pragma once

#include <chrono>
#include <string>

#include "diff/model/status.h"

namespace warren {

Result<std::chrono::milliseconds> ParseDuration(const std::string& text);

// The short Go spelling of a whole number of milliseconds: 1h30m, 90s -> 1m30s, 500ms.
std::string FormatDuration(std::chrono::milliseconds d);

}  // namespace warren
