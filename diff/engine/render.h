// Rendering a DiffReport for people (text, coloured on a terminal) and for programs (JSON).
// Masked changes (Secret values) render as "(value hidden)" and carry no from/to in JSON.
#pragma once

#include <string>

#include "diff/engine/report.h"

namespace warren::diff {

std::string RenderText(const DiffReport& report, bool color);

// {"objects":[{apiVersion,kind,namespace,name,action,reason?,changes:[{path,field,op,from?,to?,
//   changedBy?:{manager,operation,subresource?,time}}]}],
//  "summary":{create,update,recreate,prune,unchanged}}
Json ToJson(const DiffReport& report);

}  // namespace warren::diff
