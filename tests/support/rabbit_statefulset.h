// A RabbitMQ StatefulSet as git would write it, for the rollout tests: a change of `roll` (an
// environment variable) is a change of the pod template.
#pragma once

#include <string>

#include "diff/model/object.h"

namespace warren::testing {

inline Object RabbitStatefulSet(const std::string& roll, int replicas = 3, const std::string& image = "rabbitmq:3.10",
                                const std::string& strategy = "RollingUpdate") {
  Json env = Json::array({{{"name", "ROLL"}, {"value", roll}}});
  Json container = {{"name", "rabbitmq"}, {"image", image}, {"env", env}};
  Json doc = {
      {"apiVersion", "apps/v1"},
      {"kind", "StatefulSet"},
      {"metadata", {{"name", "rabbitmq"}, {"namespace", "dev"}}},
      {"spec",
       {{"replicas", replicas},
        {"serviceName", "rabbitmq-nodes"},
        {"selector", {{"matchLabels", {{"app", "rabbitmq"}}}}},
        {"template",
         {{"metadata", {{"labels", {{"app", "rabbitmq"}}}}}, {"spec", {{"containers", Json::array({container})}}}}}}}};
  if (strategy == "OnDelete") doc["spec"]["updateStrategy"] = {{"type", "OnDelete"}};
  return Object(doc, SourceLocation{"statefulset.yaml"});
}

}  // namespace warren::testing
