// The one base64 codec: RFC 4648's test vectors, unpadded output, and the lenient decoding that
// kubeconfig data fields and SSH armour need.
#include <gtest/gtest.h>

#include "diff/model/base64.h"

namespace warren {
namespace {

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    EXPECT_EQ(Base64Decode(encoded), std::string(plain));
  }
  EXPECT_EQ(Base64Encode("fo", /*pad=*/false), "Zm8");
}

TEST(Base64, DecodingIsLenientOnlyWhereItMustBe) {
  EXPECT_EQ(Base64Decode("Zm9v\nYmFy\r\n"), "foobar");
  EXPECT_EQ(Base64Decode("-_8"), Base64Decode("+/8"));
  EXPECT_FALSE(Base64Decode("Zm9v!").has_value());
}

}  // namespace
}  // namespace warren
