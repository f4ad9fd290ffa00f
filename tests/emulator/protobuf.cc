#include "tests/emulator/protobuf.h"

#include <map>
#include <vector>

namespace emulator {
namespace {

// The fields of one message: field number → raw values (varints as numbers, the rest as bytes).
struct Message {
  std::multimap<int, std::string> bytes;
  std::multimap<int, unsigned long long> varints;
  std::string String(int f) const {
    auto it = bytes.find(f);
    return it == bytes.end() ? "" : it->second;
  }
};

bool ReadVarint(const std::string& s, size_t& i, unsigned long long* v) {
  *v = 0;
  for (int shift = 0; i < s.size() && shift < 64; shift += 7) {
    unsigned char b = static_cast<unsigned char>(s[i++]);
    *v |= static_cast<unsigned long long>(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

std::optional<Message> Parse(const std::string& s) {
  Message m;
  size_t i = 0;
  while (i < s.size()) {
    unsigned long long tag;
    if (!ReadVarint(s, i, &tag)) return std::nullopt;
    int field = static_cast<int>(tag >> 3), wire = static_cast<int>(tag & 7);
    if (wire == 0) {
      unsigned long long v;
      if (!ReadVarint(s, i, &v)) return std::nullopt;
      m.varints.emplace(field, v);
    } else if (wire == 2) {
      unsigned long long len;
      if (!ReadVarint(s, i, &len) || i + len > s.size()) return std::nullopt;
      m.bytes.emplace(field, s.substr(i, len));
      i += len;
    } else if (wire == 1) {
      i += 8;
    } else if (wire == 5) {
      i += 4;
    } else {
      return std::nullopt;
    }
  }
  if (i != s.size()) return std::nullopt;
  return m;
}

}  // namespace

std::optional<Json> DecodeSelfSubjectAccessReview(const std::string& body) {
  if (body.size() < 4 || body.compare(0, 4, std::string("k8s\0", 4)) != 0) return std::nullopt;
  auto unknown = Parse(body.substr(4));
  if (!unknown) return std::nullopt;
  auto type_meta = Parse(unknown->String(1));
  if (!type_meta || type_meta->String(2) != "SelfSubjectAccessReview") return std::nullopt;
  auto review = Parse(unknown->String(2));
  if (!review) return std::nullopt;
  auto spec = Parse(review->String(2));
  if (!spec) return std::nullopt;
  Json out = {{"apiVersion", "authorization.k8s.io/v1"}, {"kind", "SelfSubjectAccessReview"}, {"metadata", Json::object()}};
  if (spec->bytes.count(1)) {
    auto ra = Parse(spec->String(1));
    if (!ra) return std::nullopt;
    Json attrs = Json::object();
    const char* names[] = {"", "namespace", "verb", "group", "version", "resource", "subresource", "name"};
    for (int f = 1; f <= 7; ++f)
      if (ra->bytes.count(f)) attrs[names[f]] = ra->String(f);
    out["spec"]["resourceAttributes"] = attrs;
  } else if (spec->bytes.count(2)) {
    auto nra = Parse(spec->String(2));
    if (!nra) return std::nullopt;
    out["spec"]["nonResourceAttributes"] = {{"path", nra->String(1)}, {"verb", nra->String(2)}};
  }
  return out;
}

}  // namespace emulator
