// yaml-cpp's node trees for a SOPS file, read with the guard the manifest decoder has: Debian's
// yaml-cpp 0.7 can stop consuming input and report one empty document after another, which
// YAML::LoadAll collects until memory runs out (found by fuzzing). This loader stops there with
// an error instead.
#pragma once

#include <string>
#include <string_view>
#include <vector>

// g++ 12 reports a dangling pointer inside yaml-cpp's Node::Tag() where there is none.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpragmas"
#pragma GCC diagnostic ignored "-Wunknown-warning-option"
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#include <yaml-cpp/yaml.h>
#pragma GCC diagnostic pop

#include "diff/model/status.h"

namespace warren::sops {

// The documents of `text` as YAML::LoadAll makes them: tags kept ("?" on a plain scalar, "!" on a
// quoted one), duplicate keys kept, aliases sharing their anchor's node. Errors name
// `file:line:column`. Callers run CheckLeadingCommas first: the guard catches the loop, not the
// memory a single stalled document may take.
Result<std::vector<YAML::Node>> LoadYamlNodes(std::string_view text, const std::string& file);

}  // namespace warren::sops
