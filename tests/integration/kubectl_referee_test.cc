// The real kubectl (1.32) against the API emulator: if kubectl disagrees, the emulator is wrong.
// Each case is something kubectl does against a real cluster: server-side apply and its conflicts,
// diff --server-side exit codes, delete, auth can-i for an RBAC-limited token (with the RBAC
// authorizer's reasons), typed create (protobuf bodies), server-side Tables (get, -o wide, -w),
// explain, and the errors a real server gives for removed API versions and immutable fields.
#include <gtest/gtest.h>

#include "tests/integration/emulator_process.h"

namespace warren::testing {
namespace {

const std::string kManifests = std::string(WARREN_SOURCE_DIR) + "/manifests";

class KubectlReferee : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    emu_ = new EmulatorProcess("referee");
    ASSERT_TRUE(emu_->ok()) << "the emulator did not start";
    std::string ns = WriteTemp("ns-dev.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: dev}\n");
    RunResult r = emu_->Kubectl("apply --server-side -f " + ns);
    ASSERT_EQ(r.exit_code, 0) << r.out;
    applied_ = emu_->Kubectl("apply --server-side -R -f " + kManifests);
    ASSERT_EQ(applied_.exit_code, 0) << applied_.out;
    // Let the StatefulSet controller finish, or a diff races its status updates (as on a real cluster).
    RunResult rollout = emu_->Kubectl("rollout status statefulset/rabbitmq -n dev --timeout=60s");
    ASSERT_EQ(rollout.exit_code, 0) << rollout.out;
  }
  static void TearDownTestSuite() { delete emu_; }
  // What `kubectl get ARGS -w` printed while `act` ran (started 1.5 s before it, stopped after
  // `seconds`, as a person watching would).
  static std::string WatchWhile(const std::string& args, int seconds, const std::function<void()>& act) {
    std::string out = emu_->dir() + "/watch-" + std::to_string(seconds) + ".txt";
    std::string cmd = "timeout " + std::to_string(seconds) + " kubectl --kubeconfig " + emu_->kubeconfig() +
                      " --cache-dir " + emu_->dir() + "/cache get " + args + " -w > " + out + " 2>&1 &";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    act();
    std::this_thread::sleep_for(std::chrono::seconds(seconds) - std::chrono::milliseconds(1000));
    return ReadText(out);
  }
  static EmulatorProcess* emu_;
  static RunResult applied_;  // kubectl apply --server-side -R -f manifests/
};
EmulatorProcess* KubectlReferee::emu_ = nullptr;
RunResult KubectlReferee::applied_;

TEST_F(KubectlReferee, ServerSideApplyCreatesWithDefaultsThenIsANoOp) {
  const RunResult& first = applied_;
  EXPECT_TRUE(Has(first.out, "statefulset.apps/rabbitmq serverside-applied")) << first.out;
  EXPECT_TRUE(Has(first.out, "policy.rabbitmq.com/ha-all serverside-applied")) << first.out;
  RunResult sts = emu_->Kubectl("get statefulset rabbitmq -n dev -o json --show-managed-fields");
  ASSERT_EQ(sts.exit_code, 0) << sts.out;
  Json obj = Json::parse(sts.out);
  EXPECT_EQ(obj["spec"]["revisionHistoryLimit"], 10);
  EXPECT_EQ(obj["spec"]["template"]["spec"]["dnsPolicy"], "ClusterFirst");
  EXPECT_EQ(obj["spec"]["template"]["spec"]["serviceAccount"], "rabbitmq");
  EXPECT_EQ(obj["spec"]["volumeClaimTemplates"][0]["apiVersion"], "v1");
  EXPECT_EQ(obj["spec"]["volumeClaimTemplates"][0]["spec"]["volumeMode"], "Filesystem");
  EXPECT_EQ(obj["metadata"]["managedFields"][0]["manager"], "kubectl");
  EXPECT_EQ(obj["metadata"]["managedFields"][0]["operation"], "Apply");
  EXPECT_EQ(obj["metadata"]["generation"], 1);
  std::string rv = obj["metadata"]["resourceVersion"];

  RunResult again = emu_->Kubectl("apply --server-side -f " + kManifests + "/kubernetes/statefulset.yaml");
  EXPECT_EQ(again.exit_code, 0) << again.out;
  Json after = Json::parse(emu_->Kubectl("get statefulset rabbitmq -n dev -o json").out);
  EXPECT_EQ(after["metadata"]["generation"], 1) << "an identical apply changes no spec";
}

TEST_F(KubectlReferee, DiffServerSideExitCodesAndConflicts) {
  RunResult clean = emu_->Kubectl("diff --server-side -f " + kManifests + "/kubernetes/statefulset.yaml");
  EXPECT_EQ(clean.exit_code, 0) << clean.out;

  ASSERT_EQ(emu_->Kubectl("scale statefulset rabbitmq -n dev --replicas=5").exit_code, 0);
  RunResult conflict = emu_->Kubectl("apply --server-side -f " + kManifests + "/kubernetes/statefulset.yaml");
  EXPECT_EQ(conflict.exit_code, 1) << conflict.out;
  EXPECT_TRUE(Has(conflict.out,
                  "Apply failed with 1 conflict: conflict with \"kubectl\" with subresource \"scale\" using apps/v1: "
                  ".spec.replicas"))
      << conflict.out;

  RunResult drift =
      emu_->Kubectl("diff --server-side --force-conflicts -f " + kManifests + "/kubernetes/statefulset.yaml");
  EXPECT_EQ(drift.exit_code, 1) << drift.out;
  EXPECT_TRUE(Has(drift.out, "-  replicas: 5")) << drift.out;
  EXPECT_TRUE(Has(drift.out, "+  replicas: 3")) << drift.out;

  RunResult forced =
      emu_->Kubectl("apply --server-side --force-conflicts -f " + kManifests + "/kubernetes/statefulset.yaml");
  EXPECT_EQ(forced.exit_code, 0) << forced.out;
  EXPECT_EQ(Json::parse(emu_->Kubectl("get statefulset rabbitmq -n dev -o json").out)["spec"]["replicas"], 3);
}

TEST_F(KubectlReferee, DeleteThenNotFound) {
  std::string cm = WriteTemp("cm-gone.yaml",
                             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: gone, namespace: dev}\ndata: {a: b}\n");
  ASSERT_EQ(emu_->Kubectl("apply --server-side -f " + cm).exit_code, 0);
  RunResult del = emu_->Kubectl("delete configmap gone -n dev");
  EXPECT_EQ(del.exit_code, 0) << del.out;
  EXPECT_TRUE(Has(del.out, "configmap \"gone\" deleted")) << del.out;
  RunResult get = emu_->Kubectl("get configmap gone -n dev");
  EXPECT_EQ(get.exit_code, 1);
  EXPECT_TRUE(Has(get.out, "Error from server (NotFound): configmaps \"gone\" not found")) << get.out;
}

TEST_F(KubectlReferee, AuthCanIFollowsStoredRbac) {
  std::string limited = std::string("--token ") + kLimitedToken;
  RunResult no = emu_->Kubectl("auth can-i get statefulsets -n dev " + limited);
  EXPECT_EQ(no.exit_code, 1) << no.out;
  EXPECT_TRUE(Has(no.out, "no")) << no.out;
  RunResult denied = emu_->Kubectl("get statefulsets -n dev " + limited);
  EXPECT_TRUE(Has(denied.out,
                  "User \"system:serviceaccount:dev:warren\" cannot list resource \"statefulsets\" in API group "
                  "\"apps\" in the namespace \"dev\""))
      << denied.out;

  // The seed's mistake: a RoleBinding naming a Role that does not exist grants nothing.
  std::string broken = WriteTemp("rb-broken.yaml", R"(apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: warren-reader, namespace: dev}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: dev}
subjects: [{kind: ServiceAccount, name: warren, namespace: dev}]
)");
  ASSERT_EQ(emu_->Kubectl("apply --server-side -f " + broken).exit_code, 0);
  EXPECT_EQ(emu_->Kubectl("auth can-i get statefulsets -n dev " + limited).exit_code, 1);
  // ... and the RBAC authorizer says why, in the review and in the 403.
  RunResult why = emu_->Kubectl("auth can-i get statefulsets -n dev --as system:serviceaccount:dev:warren");
  EXPECT_EQ(why.exit_code, 1) << why.out;
  EXPECT_TRUE(Has(why.out, "no - RBAC: role.rbac.authorization.k8s.io \"dev\" not found")) << why.out;
  RunResult forbidden = emu_->Kubectl("get statefulsets -n dev " + limited);
  EXPECT_TRUE(Has(forbidden.out, "in the namespace \"dev\": RBAC: role.rbac.authorization.k8s.io \"dev\" not found"))
      << forbidden.out;

  std::string role = WriteTemp("role-dev.yaml", R"(apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: dev, namespace: dev}
rules: [{apiGroups: [apps], resources: [statefulsets], verbs: [get, list]}]
)");
  ASSERT_EQ(emu_->Kubectl("apply --server-side -f " + role).exit_code, 0);
  RunResult yes = emu_->Kubectl("auth can-i get statefulsets -n dev " + limited);
  EXPECT_EQ(yes.exit_code, 0) << yes.out;
  EXPECT_EQ(emu_->Kubectl("auth can-i delete statefulsets -n dev " + limited).exit_code, 1);
  // Impersonation by an admin gives the same answers (kubectl sends the review as protobuf).
  EXPECT_EQ(emu_->Kubectl("auth can-i list statefulsets -n dev --as system:serviceaccount:dev:warren").exit_code, 0);
  EXPECT_EQ(emu_->Kubectl("auth can-i list secrets -n dev --as system:serviceaccount:dev:warren").exit_code, 1);
}

// kubectl's typed create commands send protobuf bodies (the "k8s\0" envelope).
TEST_F(KubectlReferee, TypedCreateCommandsSendProtobuf) {
  for (const char* cmd :
       {"create namespace typed", "create configmap c1 -n typed --from-literal=a=b --from-literal=c=d",
        "create secret generic s1 -n typed --from-literal=password=hunter2 --type=example.com/x",
        "create serviceaccount sa1 -n typed", "create role r1 -n typed --verb=get,list --resource=endpoints",
        "create rolebinding rb1 -n typed --role=r1 --serviceaccount=typed:sa1",
        "create clusterrole cr1 --verb=get --resource=pods",
        "create clusterrolebinding crb1 --clusterrole=cr1 --user=alice",
        "create deployment web -n typed --image=nginx:1.27 --replicas=2 --port=8080",
        "create service clusterip web -n typed --tcp=80:8080", "create service nodeport np -n typed --tcp=81:http"}) {
    RunResult r = emu_->Kubectl(cmd);
    EXPECT_EQ(r.exit_code, 0) << cmd << "\n" << r.out;
    EXPECT_TRUE(Has(r.out, " created")) << r.out;
  }
  auto get = [&](const std::string& what) { return Json::parse(emu_->Kubectl("get " + what + " -o json").out); };
  EXPECT_EQ(get("namespace typed")["metadata"]["labels"]["kubernetes.io/metadata.name"], "typed");
  Json cm = get("configmap c1 -n typed");
  EXPECT_EQ(cm["data"], Json({{"a", "b"}, {"c", "d"}}));
  EXPECT_FALSE(cm["metadata"].contains("generateName")) << "empty strings are absent, as in JSON";
  Json secret = get("secret s1 -n typed");
  EXPECT_EQ(secret["data"]["password"], "aHVudGVyMg==");
  EXPECT_EQ(secret["type"], "example.com/x");
  EXPECT_EQ(get("role r1 -n typed")["rules"],
            Json::parse(R"([{"apiGroups":[""],"resources":["endpoints"],"verbs":["get","list"]}])"));
  Json rb = get("rolebinding rb1 -n typed");
  EXPECT_EQ(rb["roleRef"], Json({{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "Role"}, {"name", "r1"}}));
  EXPECT_EQ(rb["subjects"], Json::parse(R"([{"kind":"ServiceAccount","name":"sa1","namespace":"typed"}])"));
  EXPECT_EQ(get("clusterrolebinding crb1")["subjects"][0]["name"], "alice");
  Json deploy = get("deployment web -n typed");
  EXPECT_EQ(deploy["spec"]["replicas"], 2);
  EXPECT_EQ(deploy["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:1.27");
  EXPECT_EQ(deploy["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"], 8080);
  Json web = get("service web -n typed")["spec"];
  EXPECT_EQ(web["ports"][0]["targetPort"], 8080);
  EXPECT_FALSE(web["ports"][0].contains("nodePort")) << web.dump();
  Json np = get("service np -n typed")["spec"];
  EXPECT_EQ(np["type"], "NodePort");
  EXPECT_EQ(np["ports"][0]["targetPort"], "http");
  EXPECT_GE(np["ports"][0]["nodePort"].get<int>(), 30000) << "allocated by the server";
  // What the typed binding grants is what the authorizer sees.
  EXPECT_EQ(emu_->Kubectl("auth can-i list endpoints -n typed --as system:serviceaccount:typed:sa1").exit_code, 0);
  // A second create is AlreadyExists, as on a real server.
  RunResult again = emu_->Kubectl("create configmap c1 -n typed --from-literal=a=b");
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_TRUE(Has(again.out, "configmaps \"c1\" already exists")) << again.out;
}

// kubectl get asks for server-side Tables: the columns a real server prints.
TEST_F(KubectlReferee, GetPrintsTheServersColumns) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"statefulsets -n dev", {"NAME       READY   AGE", "rabbitmq   3/3"}},
      {"statefulset rabbitmq -n dev -o wide", {"CONTAINERS   IMAGES", "rabbitmq     rabbitmq:3.13-management"}},
      {"pods -n dev -o wide", {"READY   STATUS    RESTARTS", "rabbitmq-0   1/1     Running   0", "10.244.0."}},
      {"services -n dev -o wide",
       {"TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)",
        "ClusterIP   None         <none>        4369/TCP,5672/TCP,25672/TCP", "app.kubernetes.io/name=rabbitmq"}},
      {"pvc -n dev", {"Bound", "5Gi        RWO"}},
      {"all -n dev", {"statefulset.apps/rabbitmq   3/3", "service/rabbitmq-client   ClusterIP"}},
      {"rolebindings -n dev -o wide", {"Role/rabbitmq-peer-discovery", "dev/rabbitmq"}},
  };
  for (const auto& [args, wants] : cases) {
    RunResult r = emu_->Kubectl("get " + args);
    EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.out;
    for (const std::string& want : wants) EXPECT_TRUE(Has(r.out, want)) << "kubectl get " << args << "\n" << r.out;
  }
}

// kubectl explain walks the OpenAPI v3 schemas down to the pod template's containers.
TEST_F(KubectlReferee, ExplainReachesThePodTemplate) {
  RunResult tmpl = emu_->Kubectl("explain statefulset.spec.template");
  EXPECT_EQ(tmpl.exit_code, 0) << tmpl.out;
  EXPECT_TRUE(Has(tmpl.out, "KIND:       StatefulSet")) << tmpl.out;
  EXPECT_TRUE(Has(tmpl.out, "FIELD: template <PodTemplateSpec>")) << tmpl.out;
  EXPECT_TRUE(Has(tmpl.out, "spec\t<PodSpec>")) << tmpl.out;
  RunResult ports = emu_->Kubectl("explain statefulset.spec.template.spec.containers.ports");
  EXPECT_TRUE(Has(ports.out, "FIELD: ports <[]ContainerPort>")) << ports.out;
  EXPECT_TRUE(Has(ports.out, "containerPort\t<integer> -required-")) << ports.out;
  RunResult vct = emu_->Kubectl("explain sts.spec.volumeClaimTemplates.spec");
  EXPECT_TRUE(Has(vct.out, "accessModes\t<[]string>")) << vct.out;
  RunResult missing = emu_->Kubectl("explain statefulset.spec.nosuchfield");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(Has(missing.out, "field \"nosuchfield\" does not exist")) << missing.out;
}

// kubectl get -w shows the READY column move as the controller brings a pod up.
TEST_F(KubectlReferee, GetWatchShowsReadinessChange) {
  std::string text = WatchWhile("statefulsets -n dev", 6, [] {
    ASSERT_EQ(emu_->Kubectl("scale statefulset rabbitmq -n dev --replicas=4").exit_code, 0);
  });
  EXPECT_TRUE(Has(text, "rabbitmq   3/3")) << text;
  EXPECT_TRUE(Has(text, "rabbitmq   3/4")) << text;
  EXPECT_TRUE(Has(text, "rabbitmq   4/4")) << text;
}

TEST_F(KubectlReferee, GetWatchPrintsChanges) {
  std::string text = WatchWhile("configmaps -n dev --output-watch-events", 4, [] {
    std::string cm =
        WriteTemp("cm-watched.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: watched, namespace: dev}\n");
    ASSERT_EQ(emu_->Kubectl("apply --server-side -f " + cm).exit_code, 0);
    ASSERT_EQ(emu_->Kubectl("delete configmap watched -n dev").exit_code, 0);
  });
  EXPECT_TRUE(Has(text, "ADDED      watched")) << text;
  EXPECT_TRUE(Has(text, "DELETED    watched")) << text;
}

// A body that is no object of its kind: create and update answer Go's JSON decoding error (400),
// server-side apply the typed-conversion error a 1.32 server answers with 500 (kubernetes#139253).
TEST_F(KubectlReferee, MisshapenBodiesFailAsOnARealServer) {
  std::string sts =
      WriteTemp("misshapen-sts.yaml",
                "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: m, namespace: dev}\nspec: \"3\"\n");
  RunResult create = emu_->Kubectl("create -f " + sts);
  EXPECT_NE(create.exit_code, 0);
  EXPECT_TRUE(
      Has(create.out,
          "Error from server (BadRequest): error when creating \"" + sts +
              "\": StatefulSet in version \"v1\" cannot be "
              "handled as a StatefulSet: json: cannot unmarshal string into Go struct field StatefulSet.spec of type "
              "v1.StatefulSetSpec"))
      << create.out;
  RunResult apply = emu_->Kubectl("apply --server-side -f " + sts);
  EXPECT_NE(apply.exit_code, 0);
  EXPECT_TRUE(
      Has(apply.out,
          "Error from server (InternalError): failed to create typed patch object (dev/m; apps/v1, Kind=StatefulSet): "
          ".spec: expected map, got string"))
      << apply.out;
  std::string svc = WriteTemp("misshapen-svc.yaml",
                              "apiVersion: v1\nkind: Service\nmetadata: {name: m, namespace: dev}\n"
                              "spec: {ports: {port: 80}}\n");
  RunResult nested = emu_->Kubectl("create -f " + svc);
  EXPECT_TRUE(Has(nested.out,
                  "json: cannot unmarshal object into Go struct field ServiceSpec.spec.ports of type []v1.ServicePort"))
      << nested.out;
  EXPECT_NE(emu_->Kubectl("get statefulset m -n dev").exit_code, 0) << "nothing stored";
}

TEST_F(KubectlReferee, RemovedVersionsAndImmutableFieldsFailAsOnARealServer) {
  RunResult raw = emu_->Kubectl("get --raw /apis/apps/v1beta1");
  EXPECT_NE(raw.exit_code, 0);
  EXPECT_TRUE(Has(raw.out, "the server could not find the requested resource")) << raw.out;
  RunResult old = emu_->Kubectl("apply --server-side -f " + std::string(WARREN_SOURCE_DIR) +
                                "/tests/fixtures/seed/rabbitmq.statefulset.yaml");
  EXPECT_NE(old.exit_code, 0);
  EXPECT_TRUE(Has(old.out, "no matches for kind \"StatefulSet\" in version \"apps/v1beta1\"")) << old.out;

  // A bigger volumeClaimTemplate: the StatefulSet spec is immutable outside a few fields.
  std::ifstream in(kManifests + "/kubernetes/statefulset.yaml");
  std::string sts((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t at = sts.find("storage: ");
  ASSERT_NE(at, std::string::npos);
  sts.replace(at, sts.find('\n', at) - at, "storage: 50Gi");
  RunResult vct = emu_->Kubectl("apply --server-side --force-conflicts -f " + WriteTemp("sts-vct.yaml", sts));
  EXPECT_NE(vct.exit_code, 0);
  // (kubectl rewords the Status message of an Invalid error as "The StatefulSet ... is invalid".)
  EXPECT_TRUE(Has(vct.out,
                  "\"rabbitmq\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than "
                  "'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and "
                  "'minReadySeconds' are forbidden"))
      << vct.out;

  std::ifstream rin(kManifests + "/kubernetes/rbac.yaml");
  std::string rbac((std::istreambuf_iterator<char>(rin)), std::istreambuf_iterator<char>());
  std::string moved = rbac;
  at = moved.find("name: rabbitmq-peer-discovery", moved.find("roleRef"));
  ASSERT_NE(at, std::string::npos);
  moved.replace(at, std::string("name: rabbitmq-peer-discovery").size(), "name: other-role");
  RunResult roleref = emu_->Kubectl("apply --server-side --force-conflicts -f " + WriteTemp("rb-moved.yaml", moved));
  EXPECT_NE(roleref.exit_code, 0);
  EXPECT_TRUE(Has(roleref.out, "cannot change roleRef")) << roleref.out;
}

}  // namespace
}  // namespace warren::testing
