// Secret: stringData is write-only and overwrites data, so desired stringData is folded into
// base64 data. Values are only ever compared, never shown.

#include "diff/engine/normalize.h"
#include "diff/model/base64.h"

namespace warren::diff {

void NormalizeSecret(Side side, Json& doc) {
  if (side == Side::kDesired) {
    // Taken out first: adding "data" may move the object's other members (see sorted_map.h).
    Json string_data;
    if (auto sd = doc.find("stringData"); sd != doc.end()) string_data = std::move(*sd);
    doc.erase("stringData");
    if (string_data.is_object()) {
      Json& data = doc["data"];
      if (!data.is_object()) data = Json::object();
      for (auto& [k, v] : string_data.items()) data[k] = Base64Encode(v.is_string() ? v.get<std::string>() : v.dump());
    }
  }
  // The last-applied annotation of a Secret holds its values: never compare or show it.
  if (doc.contains("/metadata/annotations"_json_pointer))
    doc["metadata"]["annotations"].erase("kubectl.kubernetes.io/last-applied-configuration");
}

}  // namespace warren::diff
