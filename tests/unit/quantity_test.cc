#include "diff/model/quantity.h"

#include <gtest/gtest.h>

namespace warren {
namespace {

std::string Canon(const Json& v) {
  auto q = ParseQuantity(v);
  return q ? CanonicalQuantity(*q) : "<invalid>";
}

TEST(Quantity, EqualValuesHaveOneCanonicalForm) {
  struct Case {
    Json in;
    const char* want;
  } cases[] = {
      {"512Mi", "512Mi"}, {"0.5Gi", "512Mi"}, {"536870912", "512Mi"},
      {"250m", "250m"},   {"0.25", "250m"},   {"1000m", "1"},
      {"1", "1"},         {1, "1"},           {"1.0", "1"},
      {"1G", "1G"},       {"1000M", "1G"},    {"1e3", "1k"},
      {"1E3", "1k"},      {"2Gi", "2Gi"},     {"1.5Gi", "1536Mi"},
      {"100n", "1m"},     {"0", "0"},         {0.5, "500m"},
      {"1E", "1E"},       {"5Gi", "5Gi"},     {"1T", "1T"},
      {"2048", "2Ki"},
  };
  for (const auto& c : cases) EXPECT_EQ(Canon(c.in), c.want) << c.in.dump();
}

TEST(Quantity, RejectsWhatIsNotAQuantity) {
  // The last: 30 digits of pebibytes overflowed 128 bits (found by fuzzing).
  for (const char* bad : {"", "Mi", "12Q", "1.2.3", "abc", "1e", "1e9999", "--1", "566666666666666666666666666666Ei"})
    EXPECT_FALSE(ParseQuantity(std::string(bad)).has_value()) << bad;
  EXPECT_FALSE(ParseQuantity(Json(true)).has_value());
}

TEST(Quantity, Bytes) { EXPECT_EQ(QuantityBytes(*ParseQuantity(std::string("512Mi"))), 536870912LL); }

}  // namespace
}  // namespace warren
