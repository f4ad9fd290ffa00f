// Drift attribution from managedFields (diff/engine/attribution.h): entries shaped as the API
// server writes them for kubectl scale (subresource scale), kubectl edit, kubectl patch and
// kubectl set env, next to warren's own Apply entry.
#include <gtest/gtest.h>

#include "diff/engine/diff.h"
#include "diff/engine/render.h"

namespace warren::diff {
namespace {

Object Desired() {
  return Object(Json::parse(R"({"apiVersion":"apps/v1","kind":"StatefulSet",
    "metadata":{"name":"rabbitmq","namespace":"dev","labels":{"app":"rabbitmq"}},
    "spec":{"replicas":3,"serviceName":"rabbitmq","selector":{"matchLabels":{"app":"rabbitmq"}},
      "template":{"metadata":{"labels":{"app":"rabbitmq"}},
        "spec":{"containers":[{"name":"rabbitmq","image":"rabbitmq:3.10","env":[{"name":"A","value":"1"}],
                               "resources":{"limits":{"memory":"1Gi"}}}]}}}})"),
                SourceLocation{"sts.yaml"});
}

// Live: replicas 4 by `kubectl scale`, the image by `kubectl edit`, an env var FOO by `kubectl set
// env`, the app label by kubectl patch and later by helm; the memory limit is warren's own (git
// changed it since).
Object Live() {
  return Object(Json::parse(R"({"apiVersion":"apps/v1","kind":"StatefulSet",
    "metadata":{"name":"rabbitmq","namespace":"dev","labels":{"app":"rabbit"},
      "managedFields":[
        {"manager":"warren","operation":"Apply","apiVersion":"apps/v1","time":"2026-12-01T09:00:00Z",
         "fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:labels":{}},"f:spec":{"f:serviceName":{},
           "f:selector":{},"f:template":{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":{
             "k:{\"name\":\"rabbitmq\"}":{".":{},"f:name":{},"f:env":{"k:{\"name\":\"A\"}":{".":{},"f:name":{},"f:value":{}}},
               "f:resources":{"f:limits":{"f:memory":{}}}}}}}}}},
        {"manager":"kubectl","operation":"Update","apiVersion":"autoscaling/v1","subresource":"scale",
         "time":"2026-12-02T14:02:11Z","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:replicas":{}}}},
        {"manager":"kubectl-edit","operation":"Update","apiVersion":"apps/v1","time":"2026-12-02T15:00:00Z",
         "fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:template":{"f:spec":{"f:containers":{
           "k:{\"name\":\"rabbitmq\"}":{"f:image":{}}}}}}}},
        {"manager":"kubectl-set","operation":"Update","apiVersion":"apps/v1","time":"2026-12-02T15:30:00Z",
         "fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:template":{"f:spec":{"f:containers":{
           "k:{\"name\":\"rabbitmq\"}":{"f:env":{"k:{\"name\":\"FOO\"}":{".":{},"f:name":{},"f:value":{}}}}}}}}}},
        {"manager":"kubectl-patch","operation":"Update","apiVersion":"apps/v1","time":"2026-12-02T10:00:00Z",
         "fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:labels":{"f:app":{}}}}},
        {"manager":"helm","operation":"Update","apiVersion":"apps/v1","time":"2026-12-02T16:00:00Z",
         "fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:labels":{"f:app":{}}}}}]},
    "spec":{"replicas":4,"serviceName":"rabbitmq","selector":{"matchLabels":{"app":"rabbitmq"}},
      "template":{"metadata":{"labels":{"app":"rabbitmq"}},
        "spec":{"containers":[{"name":"rabbitmq","image":"rabbitmq:3.11",
                               "env":[{"name":"A","value":"1"},{"name":"FOO","value":"bar"}],
                               "resources":{"limits":{"memory":"2Gi"}}}]}}}})"),
                SourceLocation{"(live)"});
}

const Change* At(const ObjectDiff& d, const std::string& path) {
  for (const Change& c : d.changes)
    if (c.path == path) return &c;
  return nullptr;
}

TEST(Attribution, EachChangedFieldNamesItsLastWriter) {
  Object live = Live();
  ObjectDiff d = DiffObject(Desired(), &live, {});
  ASSERT_EQ(d.action, Action::kUpdate);

  const Change* replicas = At(d, "/spec/replicas");
  ASSERT_NE(replicas, nullptr);
  ASSERT_TRUE(replicas->changed_by);
  EXPECT_EQ(*replicas->changed_by, (FieldWriter{"kubectl", "Update", "scale", "2026-12-02T14:02:11Z"}));

  const Change* image = At(d, "/spec/template/spec/containers/0/image");
  ASSERT_NE(image, nullptr);
  ASSERT_TRUE(image->changed_by);
  EXPECT_EQ(image->changed_by->manager, "kubectl-edit");

  // kubectl-edit owns the container's image only: the memory limit beside it is warren's own.
  const Change* memory = At(d, "/spec/template/spec/containers/0/resources/limits/memory");
  ASSERT_NE(memory, nullptr);
  EXPECT_FALSE(memory->changed_by) << WriterText(*memory->changed_by);

  const Change* foo = At(d, "/spec/template/spec/containers/0/env/1");
  ASSERT_NE(foo, nullptr);
  EXPECT_EQ(foo->op, Op::kRemove);
  ASSERT_TRUE(foo->changed_by);
  EXPECT_EQ(foo->changed_by->manager, "kubectl-set");

  // Owned by two managers (kubectl patch, then helm): the most recent writer.
  const Change* label = At(d, "/metadata/labels/app");
  ASSERT_NE(label, nullptr);
  ASSERT_TRUE(label->changed_by);
  EXPECT_EQ(label->changed_by->manager, "helm");
}

TEST(Attribution, TextAndJsonSayWhoSetIt) {
  Object live = Live();
  DiffReport r;
  r.objects.push_back(DiffObject(Desired(), &live, {}));
  std::string text = RenderText(r, false);
  EXPECT_NE(text.find("    .spec.replicas: 4 → 3  (set by kubectl, Update /scale, 2026-12-02T14:02:11Z)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(".resources.limits.memory: \"2Gi\" → \"1Gi\"\n"), std::string::npos)
      << "nothing extra for a field only warren owns\n"
      << text;
  Json j = ToJson(r);
  Json by;
  for (const Json& c : j["objects"][0]["changes"])
    if (c["path"] == "/spec/replicas") by = c["changedBy"];
  EXPECT_EQ(by, Json::parse(R"({"manager":"kubectl","operation":"Update","subresource":"scale",
                                "time":"2026-12-02T14:02:11Z"})"));
}

// Another field manager name for warren (--field-manager) is "self" too; an object without
// managedFields (a captured List from an old server) says nothing extra.
TEST(Attribution, SelfAndMissingManagedFieldsSayNothing) {
  Object live = Live();
  DiffOptions o;
  o.field_manager = "kubectl";
  ObjectDiff d = DiffObject(Desired(), &live, o);
  const Change* replicas = At(d, "/spec/replicas");
  ASSERT_NE(replicas, nullptr);
  EXPECT_FALSE(replicas->changed_by);

  Json bare = Live().doc();
  bare["metadata"].erase("managedFields");
  Object plain(bare, SourceLocation{"(live)"});
  for (const Change& c : DiffObject(Desired(), &plain, {}).changes) EXPECT_FALSE(c.changed_by) << c.path;
}

// The digest the agent compares to decide whether something that needed action changed.
TEST(Attribution, FingerprintFollowsValuesAndWriters) {
  Object live = Live();
  ObjectDiff a = DiffObject(Desired(), &live, {});
  EXPECT_EQ(Fingerprint(a), Fingerprint(DiffObject(Desired(), &live, {})));
  Json other = Live().doc();
  other["spec"]["replicas"] = 5;
  Object five(other, SourceLocation{"(live)"});
  EXPECT_NE(Fingerprint(a), Fingerprint(DiffObject(Desired(), &five, {})));
  Json rewritten = Live().doc();
  rewritten["metadata"]["managedFields"][1]["time"] = "2026-12-03T08:00:00Z";
  Object again(rewritten, SourceLocation{"(live)"});
  EXPECT_NE(Fingerprint(a), Fingerprint(DiffObject(Desired(), &again, {}))) << "scaled again, to the same value";
}

}  // namespace
}  // namespace warren::diff
