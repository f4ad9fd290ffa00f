// Secret: stringData is write-only and overwrites data, so desired stringData is folded into
// base64 data. Values are only ever compared, never shown.

#include "diff/engine/normalize.h"

namespace warren::diff {
namespace {

std::string Base64(const std::string& in) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8) | static_cast<unsigned char>(in[i + 2]);
    for (int s : {18, 12, 6, 0}) out += kAlphabet[(v >> s) & 63];
  }
  if (i + 1 == in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    for (int s : {18, 12, 6}) out += kAlphabet[(v >> s) & 63];
    out += "=";
  }
  return out;
}

}  // namespace

void NormalizeSecret(Side side, Json& doc) {
  if (side == Side::kDesired) {
    auto sd = doc.find("stringData");
    if (sd != doc.end() && sd->is_object()) {
      Json& data = doc["data"];
      if (!data.is_object()) data = Json::object();
      for (auto& [k, v] : sd->items())
        data[k] = Base64(v.is_string() ? v.get<std::string>() : v.dump());
    }
    doc.erase("stringData");
  }
  // The last-applied annotation of a Secret holds its values: never compare or show it.
  if (doc.contains("/metadata/annotations"_json_pointer))
    doc["metadata"]["annotations"].erase("kubectl.kubernetes.io/last-applied-configuration");
}

}  // namespace warren::diff
