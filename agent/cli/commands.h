// The CLI's commands. Each takes parsed arguments, writes to the given streams and returns the
// process exit code: 0 clean, 1 findings/drift, 2 unusable input or error.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace warren::cli {

enum ExitCode { kExitClean = 0, kExitFindings = 1, kExitError = 2 };

// Age identities for SOPS files: --decryption-key-file (repeatable), SOPS_AGE_KEY_FILE and
// SOPS_AGE_KEY from the environment, and --decryption-secret (in the cluster; diff, sync, run).
struct DecryptionArgs {
  std::vector<std::string> key_files;
  std::string secret;  // NAMESPACE/NAME
};

struct LintArgs {
  std::vector<std::string> paths;
  std::string output = "text";  // text | json
  std::string default_namespace = "default";
  std::string kustomize_command;
  DecryptionArgs decryption;  // without any key, SOPS files are checked for structure only
};
int RunLint(const LintArgs& args, std::ostream& out, std::ostream& err);

// warren decrypt FILE: the document as the agent would see it after decryption.
struct DecryptArgs {
  std::string file;
  std::string output = "yaml";  // yaml | json
  DecryptionArgs decryption;
};
// Exit 0 with the decrypted document(s) on `out`, 2 with the reason.
int RunDecrypt(const DecryptArgs& args, std::ostream& out, std::ostream& err);

// Where the RabbitMQ management API is and how to log in. Credentials come from a file (or a
// mounted Secret directory) or the environment, never from the command line.
struct RabbitArgs {
  std::vector<std::string> urls;  // --rabbitmq-url, repeatable or comma-separated; failover in order
  std::string credentials_file;
  std::string ca_file;
  long timeout_ms = 10000;
  std::string inventory = "warren-inventory";  // global parameter recording what warren created
  // Each node's own management listener, for the checks before its pod restarts.
  std::string pod_url_template;        // {pod} {ordinal} {service} {namespace}; "" = the default
  std::vector<std::string> node_urls;  // [STATEFULSET/]ORDINAL=URL overrides
  bool enabled() const { return !urls.empty(); }
};

// Where the Kubernetes API is, as kubectl finds it: --kubeconfig, KUBECONFIG, ~/.kube/config,
// --context; or --in-cluster (the pod's service account).
struct KubeArgs {
  std::string kubeconfig, context;
  bool in_cluster = false;
  long timeout_ms = 15000;
};

// Where the manifests come from when not the local disk: a git repository (issue: git source).
struct SourceArgs {
  std::string repo, ref = "main", path, cache_dir;
  std::string auth_file, ssh_key, known_hosts, ca_file;
  std::string allowed_signers;
  bool require_signed = false;
  std::string kustomize_command;  // "" = kustomize, else kubectl kustomize
  DecryptionArgs decryption;
  bool enabled() const { return !repo.empty(); }
};

// Where commit statuses go (--status-*): GitHub, Gitea/Forgejo or GitLab.
struct CommitStatusArgs {
  std::string provider, api_url, repo, token_file, ca_file, target_url;
  bool enabled() const { return !provider.empty(); }
};

struct DiffArgs {
  std::vector<std::string> paths;
  SourceArgs source;             // --repo: the manifests come from a commit instead of PATHs
  std::string live_file;         // Kubernetes live state captured with kubectl get -o json|yaml
  KubeArgs kube;                 // otherwise the live state comes from the cluster
  bool server_dry_run = false;   // compare with the server's prediction of the apply
  bool namespace_given = false;  // -n was given (else the kubeconfig context's namespace)
  RabbitArgs rabbit;             // RabbitMQ topology compared with the broker, when set
  std::string output = "text";   // text | json
  std::string ignore_config;
  std::string default_namespace = "default";
  std::string inventory_namespace;  // where sync keeps its inventory ("" = the default namespace)
  bool color = false;
};
int RunDiff(const DiffArgs& args, std::ostream& out, std::ostream& err);

struct SyncArgs {
  std::vector<std::string> paths;
  SourceArgs source;
  KubeArgs kube;  // Kubernetes target when given (or KUBECONFIG is set, or --in-cluster)
  bool force_conflicts = false;
  bool continue_on_error = false;
  int apply_concurrency = 8;
  int timeout_seconds = 300;
  bool namespace_given = false;
  RabbitArgs rabbit;
  std::string output = "text";
  std::string default_namespace = "default";
  bool dry_run = false;
  bool prune = false;
  bool recreate_empty_queues = false;
  std::string inventory_namespace;  // "" = the objects' default namespace
  bool report_status = false;       // post warren/sync (and health, mirrors) for the commit
  CommitStatusArgs status;
};
// Exit 0 in sync after the run, 1 something could not be corrected, 2 error.
int RunSync(const SyncArgs& args, std::ostream& out, std::ostream& err);

// warren run: the agent. Durations are Go durations ("90s", "5m", "1h30m").
struct RunArgs {
  std::vector<std::string> paths;
  SourceArgs source;
  KubeArgs kube;
  bool namespace_given = false;
  std::string default_namespace = "default";
  RabbitArgs rabbit;
  std::string config;          // several sources from a file instead of PATHs/--repo
  bool watch_sources = false;  // sources from WarrenSource objects too (or only)
  std::string sources_namespace, state_dir;
  std::string inventory_namespace;
  std::string interval = "5m", health_interval = "30s", timeout = "5m";
  bool dry_run = false, prune = false, force_conflicts = false;
  int apply_concurrency = 8;
  std::string listen = ":8080";
  std::string health_addr, metrics_addr;  // "" = on --listen
  bool leader_elect = false;
  std::string lease_name = "warren", lease_namespace, lease_duration = "15s";
  std::string advertise_url;  // "" = http://$POD_IP:<listen port> when POD_IP is set
  std::string log_format = "text", log_level = "info";
  std::string webhook_secret_file;
  CommitStatusArgs status;
};
// Runs until SIGTERM or SIGINT: exit 0 after a clean stop, 2 when it cannot start.
int RunAgent(const RunArgs& args, std::ostream& err);

// warren suspend|resume|reconcile source NAME: steering a WarrenSource, as flux does a Kustomization.
struct SourceRequestArgs {
  std::string verb;  // suspend, resume, reconcile
  std::string kind, name;
  KubeArgs kube;
  bool namespace_given = false;
  std::string default_namespace = "default";
  long timeout_ms = 120000;  // reconcile: how long to wait for the agent's answer
};
// Exit 0 done (reconcile: Ready), 1 reconciled but not Ready, 2 error.
int RunSourceRequest(const SourceRequestArgs& args, std::ostream& out, std::ostream& err);

struct StatusArgs {
  std::vector<std::string> paths;  // optional: the StatefulSet's replicas give the expected node count
  RabbitArgs rabbit;
  int expected_nodes = 0;
  std::string output = "text";
  std::string kustomize_command;
};
// Exit 0 healthy, 1 degraded, 2 error.
int RunStatus(const StatusArgs& args, std::ostream& out, std::ostream& err);

}  // namespace warren::cli
