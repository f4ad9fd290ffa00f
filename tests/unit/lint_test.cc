// Each lint rule with a case that passes and one that fails.
#include "diff/check/lint.h"

#include <gtest/gtest.h>

#include "diff/model/loader.h"

namespace warren::check {
namespace {

// Lints `yaml` as one file. Its Secrets count as SOPS-encrypted in git (as a correct repository
// keeps them) unless `plaintext_secrets`.
Findings LintYaml(const std::string& yaml, bool plaintext_secrets = false) {
  LoadOptions o;
  o.decode.record_positions = true;
  auto objects = ObjectsFromText(yaml, "case.yaml", o);
  EXPECT_TRUE(objects.ok()) << objects.status().message();
  if (!objects.ok()) return {};
  for (Object& obj : objects.value()) {
    if (obj.kind() != "Secret" || plaintext_secrets) continue;
    std::vector<std::string> sealed;
    for (const char* field : {"data", "stringData"})
      for (auto it = Field(obj.doc(), field).begin(); it != Field(obj.doc(), field).end(); ++it)
        sealed.push_back(std::string("/") + field + "/" + it.key());
    obj.set_encrypted(sealed);
  }
  return Lint(objects.value());
}

std::vector<std::string> Messages(const Findings& f, const std::string& rule) {
  std::vector<std::string> out;
  for (const Finding& x : f)
    if (x.rule == rule) out.push_back(x.message + " | " + x.fix);
  return out;
}

// A small, correct RabbitMQ StatefulSet with its Service, ServiceAccount, RBAC and Secret.
std::string Base(const std::string& env_extra = "", const std::string& sts_extra = "") {
  return R"(apiVersion: v1
kind: ServiceAccount
metadata: {name: rmq, namespace: ns}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: rmq, namespace: ns}
rules:
- {apiGroups: [""], resources: [endpoints], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: rmq, namespace: ns}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: rmq}
subjects: [{kind: ServiceAccount, name: rmq, namespace: ns}]
---
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: ns}
stringData: {password: x, cookie: y}
---
apiVersion: v1
kind: Service
metadata: {name: rmq, namespace: ns}
spec: {clusterIP: None, selector: {app: rmq}, ports: [{port: 5672}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: rmq, namespace: ns}
spec:
  serviceName: rmq
  selector: {matchLabels: {app: rmq}}
)" + sts_extra +
         R"(
  template:
    metadata: {labels: {app: rmq}}
    spec:
      serviceAccountName: rmq
      containers:
      - name: rabbitmq
        image: rabbitmq:3.13
        env:
        - {name: MY_POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
        - {name: AUTOCLUSTER_TYPE, value: k8s}
        - {name: K8S_HOST, value: kubernetes.default.svc}
        - {name: RABBITMQ_DEFAULT_PASS, valueFrom: {secretKeyRef: {name: creds, key: password}}}
)" + env_extra;
}

// A ConfigMap "conf" in ns holding rabbitmq.conf with `lines` (each "    key = value\n"), and the
// volume that mounts it, to append to Base().
std::string WithRabbitConf(const std::string& lines) {
  return "      volumes: [{name: c, configMap: {name: conf}}]\n---\napiVersion: v1\nkind: ConfigMap\n"
         "metadata: {name: conf, namespace: ns}\ndata:\n  rabbitmq.conf: |\n" +
         lines;
}

TEST(Lint, BaseIsClean) {
  Findings f = LintYaml(Base());
  EXPECT_TRUE(f.empty()) << RenderText(f);
}

TEST(Lint, SecretValuesInPlaintextAreAWarningNamingKeysNotValues) {
  Findings f = LintYaml(Base(), true);
  auto m = Messages(f, "secret-in-plaintext");
  ASSERT_EQ(m.size(), 1u) << RenderText(f);
  EXPECT_NE(m[0].find("2 value(s) kept in git unencrypted (stringData.cookie, stringData.password)"), std::string::npos)
      << m[0];
  EXPECT_NE(m[0].find("SOPS"), std::string::npos);
  EXPECT_FALSE(HasErrors(f));

  // One value left out of the SOPS rule (an _unencrypted key, say) is still named.
  LoadOptions o;
  auto objects = ObjectsFromText(Base(), "case.yaml", o);
  ASSERT_TRUE(objects.ok());
  for (Object& obj : objects.value())
    if (obj.kind() == "Secret") obj.set_encrypted({"/stringData/password"});
  m = Messages(Lint(objects.value()), "secret-in-plaintext");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_NE(m[0].find("1 value(s) kept in git unencrypted (stringData.cookie)"), std::string::npos) << m[0];
}

TEST(Lint, RemovedApiVersion) {
  std::string yaml = Base();
  yaml.replace(yaml.find("apiVersion: apps/v1"), 19, "apiVersion: apps/v1beta2");
  auto m = Messages(LintYaml(yaml), "removed-api-version");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_NE(m[0].find("no longer served since Kubernetes 1.16"), std::string::npos);
  EXPECT_NE(m[0].find("use apiVersion: apps/v1"), std::string::npos);
}

TEST(Lint, MissingRoleAndBrokenPeerDiscovery) {
  std::string yaml = Base();
  yaml.replace(yaml.find("kind: Role, name: rmq"), 21, "kind: Role, name: dev");
  Findings f = LintYaml(yaml);
  auto role = Messages(f, "missing-role");
  ASSERT_EQ(role.size(), 1u);
  EXPECT_NE(role[0].find("refers to Role ns/dev"), std::string::npos);
  EXPECT_NE(role[0].find("set roleRef.name to \"rmq\""), std::string::npos);
  auto pd = Messages(f, "peer-discovery-rbac");
  ASSERT_EQ(pd.size(), 1u);
  EXPECT_NE(pd[0].find("403"), std::string::npos);
}

TEST(Lint, PeerDiscoveryNeedsGetOnEndpoints) {
  std::string yaml = Base();
  yaml.replace(yaml.find("verbs: [get]"), 12, "verbs: [list]");
  auto pd = Messages(LintYaml(yaml), "peer-discovery-rbac");
  ASSERT_EQ(pd.size(), 1u);
  EXPECT_NE(pd[0].find("Role ns/rmq does not allow get on endpoints"), std::string::npos);
  // A built-in ClusterRole (view) grants it.
  yaml = Base();
  yaml.replace(yaml.find("kind: Role, name: rmq"), 21, "kind: ClusterRole, name: view");
  EXPECT_TRUE(Messages(LintYaml(yaml), "peer-discovery-rbac").empty());
}

TEST(Lint, PeerDiscoveryFromConfigMap) {
  std::string yaml =
      Base() + WithRabbitConf("    cluster_formation.peer_discovery_backend = rabbit_peer_discovery_k8s\n");
  yaml.replace(yaml.find("        - {name: AUTOCLUSTER_TYPE, value: k8s}\n"), 47, "");
  yaml.replace(yaml.find("subjects: [{kind: ServiceAccount, name: rmq"), 43,
               "subjects: [{kind: ServiceAccount, name: other");
  auto pd = Messages(LintYaml(yaml), "peer-discovery-rbac");
  ASSERT_EQ(pd.size(), 1u);
  EXPECT_NE(pd[0].find("cluster_formation.peer_discovery_backend"), std::string::npos);
}

TEST(Lint, MissingServiceAccount) {
  std::string yaml = Base();
  yaml.replace(yaml.find("serviceAccountName: rmq"), 23, "serviceAccountName: ghost");
  EXPECT_EQ(Messages(LintYaml(yaml), "missing-serviceaccount").size(), 1u);
}

TEST(Lint, MissingSecretKeyAndExternalSecrets) {
  std::string yaml = Base(
      "        - {name: RABBITMQ_ERLANG_COOKIE, valueFrom: {secretKeyRef: {name: creds, key: erlang}}}\n"
      "        - {name: X, valueFrom: {secretKeyRef: {name: other, key: k}}}\n"
      "        - {name: Y, valueFrom: {secretKeyRef: {name: opt, key: k, optional: true}}}\n"
      "        envFrom: [{configMapRef: {name: nocm}}]\n"
      "      imagePullSecrets: [{name: regsecret}]\n");
  Findings f = LintYaml(yaml);
  auto key = Messages(f, "missing-secret-key");
  ASSERT_EQ(key.size(), 1u);
  EXPECT_NE(key[0].find("Secret ns/creds has no key \"erlang\""), std::string::npos);
  auto missing = Messages(f, "missing-secret");
  ASSERT_EQ(missing.size(), 2u);  // "other" and "regsecret"; "opt" is optional
  EXPECT_EQ(Messages(f, "missing-configmap").size(), 1u);
  std::string annotated = yaml;
  annotated.replace(
      annotated.find("metadata: {name: rmq, namespace: ns}\nspec:\n  serviceName"), 36,
      "metadata: {name: rmq, namespace: ns, annotations: {warren.io/external-secrets: 'other, regsecret'}}");
  EXPECT_TRUE(Messages(LintYaml(annotated), "missing-secret").empty());
}

TEST(Lint, StatefulSetSelectorAndService) {
  std::string yaml = Base();
  yaml.replace(yaml.find("  selector: {matchLabels: {app: rmq}}\n"), 38, "");
  Findings f = LintYaml(yaml);
  auto sel = Messages(f, "statefulset-selector");
  ASSERT_EQ(sel.size(), 1u);
  EXPECT_NE(sel[0].find("add spec.selector.matchLabels: {\"app\":\"rmq\"}"), std::string::npos);

  yaml = Base();
  yaml.replace(yaml.find("spec: {clusterIP: None, "), 24, "spec: {");
  auto svc = Messages(LintYaml(yaml), "statefulset-service");
  ASSERT_EQ(svc.size(), 1u);
  EXPECT_NE(svc[0].find("is not headless"), std::string::npos);

  yaml = Base();
  yaml.replace(yaml.find("serviceName: rmq"), 16, "serviceName: nope");
  EXPECT_EQ(Messages(LintYaml(yaml), "statefulset-service").size(), 1u);
}

TEST(Lint, NodeNaming) {
  const char* good =
      "        - {name: K8S_SERVICE_NAME, value: rmq}\n"
      "        - {name: RABBITMQ_USE_LONGNAME, value: 'true'}\n"
      "        - {name: RABBITMQ_NODENAME, value: 'rabbit@$(MY_POD_NAME).$(K8S_SERVICE_NAME)'}\n"
      "        - {name: K8S_HOSTNAME_SUFFIX, value: '.$(K8S_SERVICE_NAME)'}\n";
  EXPECT_TRUE(Messages(LintYaml(Base(good)), "node-name").empty());
  EXPECT_TRUE(Messages(LintYaml(Base(good)), "env-reference").empty());

  std::string wrong_service = good;
  wrong_service.replace(wrong_service.find("value: rmq}"), 11, "value: rabbit}");
  auto m = Messages(LintYaml(Base(wrong_service)), "node-name");
  EXPECT_EQ(m.size(), 3u);  // node name, suffix and K8S_SERVICE_NAME all point at "rabbit"

  std::string short_name = good;
  short_name.replace(short_name.find("'true'"), 6, "'false'");
  m = Messages(LintYaml(Base(short_name)), "node-name");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_NE(m[0].find("RABBITMQ_USE_LONGNAME is not \"true\""), std::string::npos);

  // A variable used before it is defined is not expanded by the kubelet.
  std::string late =
      "        - {name: RABBITMQ_NODENAME, value: 'rabbit@$(LATER)'}\n"
      "        - {name: LATER, value: x}\n";
  EXPECT_EQ(Messages(LintYaml(Base(late)), "env-reference").size(), 1u);
}

// The seed article's NXDOMAIN: names that only resolve where the DNS domain is cluster.local.
TEST(Lint, ClusterDomain) {
  std::string yaml = Base();
  yaml.replace(yaml.find("        - {name: K8S_HOST, value: kubernetes.default.svc}\n"), 58, "");
  auto m = Messages(LintYaml(yaml), "cluster-domain");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_NE(
      m[0].find("AUTOCLUSTER_TYPE=k8s without K8S_HOST uses the default API host kubernetes.default.svc.cluster.local"),
      std::string::npos)
      << m[0];
  EXPECT_NE(m[0].find("NXDOMAIN"), std::string::npos);
  EXPECT_NE(m[0].find("set K8S_HOST to \"kubernetes.default.svc\""), std::string::npos);

  m = Messages(
      LintYaml(
          Base("        - {name: MY_NS, value: ns}\n"
               "        - {name: K8S_HOSTNAME_SUFFIX, value: .rmq.$(MY_NS).svc.cluster.local}\n"
               "        - {name: RABBITMQ_USE_LONGNAME, value: \"true\"}\n"
               "        - {name: RABBITMQ_NODENAME, value: rabbit@$(MY_POD_NAME).rmq.$(MY_NS).svc.cluster.local.}\n")),
      "cluster-domain");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_NE(m[0].find("K8S_HOSTNAME_SUFFIX (.rmq.ns.svc.cluster.local)"), std::string::npos) << m[0];
  EXPECT_NE(m[0].find("set K8S_HOSTNAME_SUFFIX to \".rmq.$(MY_NS).svc\""), std::string::npos) << m[0];
  EXPECT_NE(m[1].find("set RABBITMQ_NODENAME to \"rabbit@$(MY_POD_NAME).rmq.$(MY_NS).svc\""), std::string::npos)
      << m[1];

  // rabbitmq.conf: the host and the suffix named, and the plugin's default host.
  yaml = Base() + WithRabbitConf(
                      "    cluster_formation.peer_discovery_backend = rabbit_peer_discovery_k8s\n"
                      "    cluster_formation.k8s.host = kubernetes.default.svc.cluster.local\n"
                      "    cluster_formation.k8s.hostname_suffix = .rmq.ns.svc.cluster.local\n");
  yaml.replace(yaml.find("        - {name: K8S_HOST, value: kubernetes.default.svc}\n"), 58, "");
  yaml.replace(yaml.find("        - {name: AUTOCLUSTER_TYPE, value: k8s}\n"), 47, "");
  m = Messages(LintYaml(yaml), "cluster-domain");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_NE(m[0].find("set cluster_formation.k8s.host = kubernetes.default.svc"), std::string::npos) << m[0];
  EXPECT_NE(m[1].find("set cluster_formation.k8s.hostname_suffix = .rmq.ns.svc"), std::string::npos) << m[1];
  yaml.replace(yaml.find("    cluster_formation.k8s.host = kubernetes.default.svc.cluster.local\n"), 70, "");
  m = Messages(LintYaml(yaml), "cluster-domain");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_NE(m[0].find("rabbit_peer_discovery_k8s without cluster_formation.k8s.host"), std::string::npos) << m[0];

  // Names that merely contain the text are left alone.
  EXPECT_TRUE(Messages(LintYaml(Base("        - {name: K8S_HOSTNAME_SUFFIX, value: .rmq.cluster.localhost}\n")),
                       "cluster-domain")
                  .empty());
}

// Fields of the wrong type are one finding, never a crash (fuzzing found lint rules aborting).
TEST(Lint, InvalidShape) {
  auto m =
      Messages(LintYaml("apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: s, namespace: ns}\nspec: \"3\"\n"),
               "invalid-shape");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_NE(m[0].find(".spec is a string, not a mapping"), std::string::npos) << m[0];
  std::string yaml = Base();
  yaml.replace(yaml.find("{name: MY_POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}"), 70,
               "{name: MY_POD_NAME, valueFrom: [1]}");
  Findings f = LintYaml(yaml);
  m = Messages(f, "invalid-shape");
  ASSERT_EQ(m.size(), 1u) << RenderText(f);
  EXPECT_NE(m[0].find("a field has a type its kind does not allow"), std::string::npos) << m[0];
  m = Messages(LintYaml(Base("        ports: [{name: amqp}]\n")), "invalid-shape");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_NE(m[0].find(".ports.0 is without its containerPort"), std::string::npos) << m[0];
}

TEST(Lint, LiteralCredentials) {
  std::string yaml = Base("        - {name: RABBITMQ_ERLANG_COOKIE, value: s3cr3tcookie}\n");
  Findings f = LintYaml(yaml);
  auto m = Messages(f, "literal-credential");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(RenderText(f).find("s3cr3tcookie"), std::string::npos);  // never echo the value
  std::string cm =
      "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: ns}\n"
      "data: {rabbitmq.conf: \"default_pass = hunter2\\n\"}\n";
  Findings g = LintYaml(Base() + cm);
  EXPECT_EQ(Messages(g, "literal-credential").size(), 1u);
  EXPECT_EQ(RenderText(g).find("hunter2"), std::string::npos);
}

TEST(Lint, MemoryLimitNeedsRabbitSetting) {
  std::string limits = "        resources: {limits: {memory: 1Gi}}\n";
  auto m = Messages(LintYaml(Base(limits)), "rabbitmq-memory");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_NE(m[0].find("total_memory_available_override_value = 1073741824"), std::string::npos);
  std::string cm =
      "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: conf, namespace: ns}\n"
      "data: {rabbitmq.conf: \"total_memory_available_override_value = 858993459\\n\"}\n";
  std::string with_conf = Base(limits + "      volumes: [{name: c, configMap: {name: conf}}]\n") + cm;
  EXPECT_TRUE(Messages(LintYaml(with_conf), "rabbitmq-memory").empty());
  std::string too_big = with_conf;
  too_big.replace(too_big.find("858993459"), 9, "4GB");
  EXPECT_EQ(Messages(LintYaml(too_big), "rabbitmq-memory").size(), 1u);
}

TEST(Lint, ClassicMirroringAndInvalidPolicies) {
  std::string policy =
      "---\napiVersion: rabbitmq.com/v1beta1\nkind: Policy\nmetadata: {name: p, namespace: ns}\n"
      "spec: {name: ha-all, pattern: '^ha\\.', definition: {ha-mode: MODE}}\n";
  auto with = [&](const std::string& mode) {
    std::string p = policy;
    p.replace(p.find("MODE"), 4, mode);
    return LintYaml(Base() + p);
  };
  Findings all = with("all");
  EXPECT_EQ(Messages(all, "classic-mirrored-queues").size(), 1u);
  EXPECT_FALSE(HasErrors(all));
  EXPECT_EQ(Messages(with("exactly"), "invalid-rabbitmq-object").size(), 1u);  // no ha-params
  std::string quorum =
      "---\napiVersion: rabbitmq.com/v1beta1\nkind: Policy\nmetadata: {name: q, namespace: ns}\n"
      "spec: {name: limits, pattern: '.*', definition: {max-length: 1000}}\n";
  EXPECT_TRUE(LintYaml(Base() + quorum).empty());
  std::string bad =
      "---\napiVersion: rabbitmq.com/v1beta1\nkind: Queue\nmetadata: {name: q, namespace: ns}\nspec: {vhost: x}\n";
  auto m = Messages(LintYaml(Base() + bad), "invalid-rabbitmq-object");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_NE(m[0].find("spec.name is required"), std::string::npos);
}

// A User or Shovel whose Secret lives in the cluster: its credentials cannot be read from files,
// but the rest of it is still checked.
TEST(Lint, ObjectsWithCredentialsInTheClusterAreStillChecked) {
  std::string user =
      "---\napiVersion: rabbitmq.com/v1beta1\nkind: User\nmetadata: {name: u, namespace: ns}\n"
      "spec: {tags: management, importCredentialsSecret: {name: in-cluster}}\n";
  auto m = Messages(LintYaml(Base() + user), "invalid-rabbitmq-object");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_NE(m[0].find("spec.tags must be a list of strings"), std::string::npos) << m[0];

  std::string shovel =
      "---\napiVersion: rabbitmq.com/v1beta1\nkind: Shovel\nmetadata: {name: s, namespace: ns}\n"
      "spec: {name: s, uriSecret: {name: in-cluster}, srcQueue: a, destQueue: b, ackMode: sometimes}\n";
  auto sm = Messages(LintYaml(Base() + shovel), "invalid-rabbitmq-object");
  ASSERT_EQ(sm.size(), 1u);
  EXPECT_NE(sm[0].find("ackMode"), std::string::npos) << sm[0];

  std::string fine =
      "---\napiVersion: rabbitmq.com/v1beta1\nkind: User\nmetadata: {name: u, namespace: ns}\n"
      "spec: {tags: [management], importCredentialsSecret: {name: in-cluster}}\n";
  EXPECT_TRUE(LintYaml(Base() + fine).empty()) << "the Secret being elsewhere is no finding";
}

TEST(Lint, ManagementExposed) {
  std::string np =
      "---\napiVersion: v1\nkind: Service\nmetadata: {name: mgmt, namespace: ns}\n"
      "spec: {type: NodePort, selector: {app: rmq}, ports: [{port: 15672}]}\n";
  EXPECT_EQ(Messages(LintYaml(Base() + np), "management-exposed").size(), 1u);
  std::string cluster_ip = np;
  cluster_ip.replace(cluster_ip.find("type: NodePort, "), 16, "");
  EXPECT_TRUE(Messages(LintYaml(Base() + cluster_ip), "management-exposed").empty());
}

TEST(Lint, Yaml11BooleansWhereStringsBelong) {
  std::string yaml = Base("        - {name: FLAG, value: yes}\n        - {name: PORT, value: 5672}\n");
  yaml.replace(yaml.find("metadata: {name: creds, namespace: ns}"), 38,
               "metadata: {name: creds, namespace: ns, labels: {enabled: on}}");
  Findings f = LintYaml(yaml);
  auto m = Messages(f, "non-string-value");
  ASSERT_EQ(m.size(), 3u);
  EXPECT_NE(m[0].find("label enabled is the boolean true"), std::string::npos) << m[0];
  EXPECT_NE(RenderText(f).find("case.yaml:"), std::string::npos);
}

TEST(Lint, JsonOutputHasEveryField) {
  std::string yaml = Base();
  yaml.replace(yaml.find("kind: Role, name: rmq"), 21, "kind: Role, name: dev");
  Json j = ToJson(LintYaml(yaml));
  ASSERT_FALSE(j.empty());
  for (const char* field : {"rule", "severity", "object", "file", "line", "message", "fix"})
    EXPECT_TRUE(j[0].contains(field)) << field;
  EXPECT_EQ(j[0]["object"]["kind"].is_string(), true);
}

}  // namespace
}  // namespace warren::check
