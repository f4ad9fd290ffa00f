// Label and field selectors as LIST and WATCH take them.
#pragma once

#include <string>

#include "tests/emulator/schema.h"

namespace emulator {

// a=b, a==b, a!=b, a, !a, a in (x,y), a notin (x,y); "" selects everything.
bool MatchesLabels(const Json& labels, const std::string& selector);
// metadata.name=x, metadata.namespace!=y.
bool MatchesFields(const Json& obj, const std::string& selector);
bool Selected(const Json& obj, const std::string& labels, const std::string& fields);

}  // namespace emulator
