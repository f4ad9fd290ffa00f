// The seed article's manifests and the reference manifests, through the real `warren` binary.
#include <array>
#include <cstdio>
#include <memory>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include "run_warren.h"

namespace {

using warren::testing::RunResult;
using warren::testing::Warren;

const std::string kSeed = std::string(WARREN_SOURCE_DIR) + "/tests/fixtures/seed";

TEST(LintSeed, NamesEveryClassicMistake) {
  RunResult r = Warren("lint " + kSeed);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  for (const char* want : {
           "[missing-role] RoleBinding dev/rabbitmq: RoleBinding dev/rabbitmq refers to Role dev/dev",
           "Role rbac.authorization.k8s.io/v1beta1 is no longer served since Kubernetes 1.22",
           "RoleBinding rbac.authorization.k8s.io/v1beta1 is no longer served",
           "StatefulSet apps/v1beta1 is no longer served since Kubernetes 1.16",
           "[statefulset-selector] StatefulSet dev/rabbitmq: StatefulSet dev/rabbitmq has no spec.selector",
           "[peer-discovery-rbac]", "Secret dev/devsecret", "Secret dev/regsecret", "[management-exposed]",
           "[rabbitmq-memory]",
           // The comments' NXDOMAIN: autocluster's default API host is kubernetes.default.svc.cluster.local.
           "rabbitmq.statefulset.yaml:95:18: warning [cluster-domain] StatefulSet dev/rabbitmq: AUTOCLUSTER_TYPE=k8s "
           "without K8S_HOST",
           "rabbitmq.rbac.yaml:31:9:",  // the roleRef name line
       })
    EXPECT_NE(r.out.find(want), std::string::npos) << want << "\n" << r.out;
}

TEST(LintSeed, JsonOutputListsTheSameRules) {
  RunResult r = Warren("lint --output json " + kSeed);
  EXPECT_EQ(r.exit_code, 1);
  auto j = nlohmann::json::parse(r.out);
  std::set<std::string> rules;
  for (const auto& f : j) rules.insert(f["rule"].get<std::string>());
  EXPECT_EQ(rules,
            (std::set<std::string>{"removed-api-version", "missing-role", "peer-discovery-rbac", "missing-secret",
                                   "statefulset-selector", "management-exposed", "rabbitmq-memory", "cluster-domain"}));
}

TEST(LintSeed, ReferenceManifestsHaveNoErrors) {
  RunResult r = Warren("lint " + std::string(WARREN_SOURCE_DIR) + "/manifests");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("0 error(s)"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("cluster-domain"), std::string::npos) << "the reference resolves on any DNS domain\n" << r.out;
}

TEST(LintSeed, UnusableInputExitsTwo) {
  RunResult r = Warren("lint /nonexistent/dir");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("/nonexistent/dir: no such file or directory"), std::string::npos) << r.out;
  r = Warren("lint --output xml " + kSeed);
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
