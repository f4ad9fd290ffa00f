// warren: keeps a RabbitMQ deployment on Kubernetes equal to a git repository.
// This file is wiring only: flags -> argument structs -> commands.
#include <unistd.h>

#include <iostream>
#include <memory>
#include <vector>

#include <CLI/CLI.hpp>

#include "agent/cli/commands.h"
#include "diff/model/duration.h"

namespace {

// A Go duration flag ("500ms", "90s", "5m"; a bare number is seconds) written into a number of
// milliseconds or seconds once parsing is done. Bad input: exit 2 naming the accepted form.
struct Durations {
  struct Entry {
    std::string flag, text;
    long* ms = nullptr;
    int* seconds = nullptr;
  };
  std::vector<std::unique_ptr<Entry>> entries;

  void Add(CLI::App* cmd, const std::string& flag, long* ms, int* seconds, const std::string& help) {
    entries.push_back(std::make_unique<Entry>(Entry{flag, "", ms, seconds}));
    cmd->add_option(flag, entries.back()->text, help);
  }
  // False (and a message on err) when a given duration is malformed.
  bool Apply(std::ostream& err) {
    for (const auto& e : entries) {
      if (e->text.empty()) continue;
      auto d = warren::ParseDuration(e->text);
      if (!d.ok()) {
        err << "warren: " << e->flag << ": " << d.status().message() << "\n";
        return false;
      }
      if (e->ms) *e->ms = static_cast<long>(d.value().count());
      if (e->seconds) *e->seconds = static_cast<int>(std::max<long long>(1, d.value().count() / 1000));
    }
    return true;
  }
};
Durations durations;

void AddKustomizeFlag(CLI::App* cmd, std::string* command) {
  cmd->add_option("--kustomize-command", *command,
                  "Program that builds directories holding a kustomization.yaml: kustomize or kubectl, "
                  "or a path to either (default: kustomize if installed, else kubectl kustomize)");
}

// Age identities for SOPS files; `secret`: the command also reads them from a cluster Secret.
void AddDecryptionFlags(CLI::App* cmd, warren::cli::DecryptionArgs* d, bool secret) {
  cmd->add_option("--decryption-key-file", d->key_files,
                  "age identity file (AGE-SECRET-KEY-1... lines) for SOPS files; repeatable; also "
                  "SOPS_AGE_KEY_FILE and SOPS_AGE_KEY");
  if (secret)
    cmd->add_option("--decryption-secret", d->secret,
                    "NAMESPACE/NAME of a Secret whose *.agekey entries are age identity files, read at every load");
}

void AddSourceFlags(CLI::App* cmd, warren::cli::SourceArgs* g) {
  cmd->add_option("--repo", g->repo, "Git repository URL (file://, https://, ssh://) instead of local PATHs");
  cmd->add_option("--ref", g->ref, "Branch, tag or full commit id (default: main)");
  cmd->add_option("--path", g->path, "Directory of the manifests inside the repository");
  cmd->add_option("--cache-dir", g->cache_dir, "Where the repository is cached (default: ~/.cache/warren/repos/...)");
  cmd->add_option("--auth-file", g->auth_file, "https: file with username:password, or a token");
  cmd->add_option("--ssh-key", g->ssh_key, "ssh: private key file");
  cmd->add_option("--known-hosts", g->known_hosts, "ssh: known_hosts file the server's key must be in");
  cmd->add_option("--ca-file", g->ca_file, "https: CA bundle");
  cmd->add_option("--allowed-signers", g->allowed_signers, "git allowed_signers file for SSH commit signatures");
  cmd->add_flag("--require-signed", g->require_signed, "Refuse commits (and tags) not signed by an allowed signer");
  AddKustomizeFlag(cmd, &g->kustomize_command);
  AddDecryptionFlags(cmd, &g->decryption, true);
}

// Where the cluster is, as kubectl's flags say it; --request-timeout-ms is the old, hidden spelling.
void AddKubeFlags(CLI::App* cmd, warren::cli::KubeArgs* k, const std::string& kubeconfig_help) {
  cmd->add_option("--kubeconfig", k->kubeconfig, kubeconfig_help);
  cmd->add_option("--context", k->context, "Kubeconfig context");
  cmd->add_flag("--in-cluster", k->in_cluster, "Use the pod's service account");
  durations.Add(cmd, "--request-timeout", &k->timeout_ms, nullptr,
                "Timeout of each Kubernetes API request (default 15s)");
  cmd->add_option("--request-timeout-ms", k->timeout_ms, "")->group("");
}

void AddRabbitFlags(CLI::App* cmd, warren::cli::RabbitArgs* r) {
  cmd->add_option("--rabbitmq-url", r->urls,
                  "RabbitMQ management URL (repeat or comma-separate for failover), e.g. http://127.0.0.1:15672");
  cmd->add_option("--rabbitmq-credentials-file", r->credentials_file,
                  "File with username:password, or a mounted Secret directory (username, password); "
                  "default: RABBITMQ_USERNAME/RABBITMQ_PASSWORD");
  cmd->add_option("--rabbitmq-ca-file", r->ca_file, "CA bundle for https management URLs");
  durations.Add(cmd, "--rabbitmq-timeout", &r->timeout_ms, nullptr,
                "Timeout of each management API request (default 10s)");
  cmd->add_option("--rabbitmq-timeout-ms", r->timeout_ms, "")->group("");  // the old spelling, hidden
  cmd->add_option("--rabbitmq-inventory", r->inventory,
                  "Global parameter where warren records what it created (one per source sharing a cluster)");
  cmd->add_option("--rabbitmq-pod-url-template", r->pod_url_template,
                  "Where each RabbitMQ pod's own management API answers, asked before that pod restarts: "
                  "{pod}, {ordinal}, {service}, {namespace} (default http://{pod}.{service}.{namespace}.svc:15672, "
                  "scheme and port as in --rabbitmq-url)");
  cmd->add_option("--rabbitmq-node-url", r->node_urls,
                  "[STATEFULSET/]ORDINAL=URL: one pod's management API (repeatable; for tests and running outside "
                  "the cluster)");
}

void AddCommitStatusFlags(CLI::App* cmd, warren::cli::CommitStatusArgs* s) {
  cmd->add_option("--status-provider", s->provider, "Post commit statuses to github, gitea or gitlab")
      ->check(CLI::IsMember({"github", "gitea", "gitlab"}));
  cmd->add_option("--status-api-url", s->api_url,
                  "The forge's API: https://api.github.com, https://HOST/api/v1 (Gitea), https://HOST/api/v4 (GitLab)");
  cmd->add_option("--status-repo", s->repo, "owner/name (GitLab: the project id or group/name)");
  cmd->add_option("--status-token-file", s->token_file, "File holding the API token (never printed)");
  cmd->add_option("--status-ca-file", s->ca_file, "CA bundle for the forge's API");
  cmd->add_option("--status-target-url", s->target_url, "Link shown with each status");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"warren: GitOps for RabbitMQ on Kubernetes"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "warren 0.1.0");

  warren::cli::LintArgs lint;
  auto* lint_cmd = app.add_subcommand("lint", "Check manifests for the classic RabbitMQ-on-Kubernetes mistakes");
  lint_cmd->add_option("paths", lint.paths, "Files or directories of manifests")->required();
  lint_cmd->add_option("-o,--output", lint.output, "text or json")->check(CLI::IsMember({"text", "json"}));
  lint_cmd->add_option("-n,--namespace", lint.default_namespace, "Namespace for objects that name none");
  AddKustomizeFlag(lint_cmd, &lint.kustomize_command);
  AddDecryptionFlags(lint_cmd, &lint.decryption, false);

  warren::cli::DecryptArgs decrypt;
  auto* decrypt_cmd =
      app.add_subcommand("decrypt", "Print a SOPS-encrypted file decrypted, as warren reads it (MAC verified)");
  decrypt_cmd->add_option("file", decrypt.file, "A SOPS file (YAML or JSON)")->required();
  decrypt_cmd->add_option("-o,--output", decrypt.output, "yaml or json")->check(CLI::IsMember({"yaml", "json"}));
  AddDecryptionFlags(decrypt_cmd, &decrypt.decryption, false);

  warren::cli::DiffArgs diff;
  auto* diff_cmd = app.add_subcommand("diff", "Show how the live state differs from the manifests");
  diff_cmd->add_option("paths", diff.paths, "Files or directories of manifests (or --repo)");
  AddSourceFlags(diff_cmd, &diff.source);
  diff_cmd->add_option("--live-file", diff.live_file,
                       "Live Kubernetes state as `kubectl get -o json|yaml` prints it (default: read the cluster)");
  AddKubeFlags(diff_cmd, &diff.kube, "Kubeconfig file (default: KUBECONFIG, ~/.kube/config)");
  diff_cmd->add_flag("--server-dry-run", diff.server_dry_run,
                     "Compare with the API server's own prediction of the apply (server-side apply, dryRun=All)");
  AddRabbitFlags(diff_cmd, &diff.rabbit);
  diff_cmd->add_option("-o,--output", diff.output, "text or json")->check(CLI::IsMember({"text", "json"}));
  diff_cmd->add_option("--ignore-config", diff.ignore_config, "YAML file of ignoreDifferences rules");
  diff_cmd->add_option("--inventory-namespace", diff.inventory_namespace,
                       "Namespace of warren's inventory ConfigMap: prune is judged from it (default: the namespace all "
                       "objects share, else that of -n)");
  auto* diff_ns =
      diff_cmd->add_option("-n,--namespace", diff.default_namespace, "Namespace for objects that name none");

  warren::cli::SyncArgs sync;
  auto* sync_cmd =
      app.add_subcommand("sync", "Apply the manifests once: Kubernetes objects, then the RabbitMQ topology");
  sync_cmd->add_option("paths", sync.paths, "Files or directories of manifests (or --repo)");
  AddSourceFlags(sync_cmd, &sync.source);
  AddKubeFlags(sync_cmd, &sync.kube, "Kubeconfig file (a Kubernetes target; also KUBECONFIG)");
  sync_cmd->add_flag("--force-conflicts", sync.force_conflicts, "Take over fields other managers own");
  sync_cmd->add_flag("--continue-on-error", sync.continue_on_error, "Go on after a failing stage");
  sync_cmd
      ->add_option("--apply-concurrency", sync.apply_concurrency,
                   "Server-side applies in flight at once within a stage (Namespaces, ServiceAccounts, ...)")
      ->check(CLI::Range(1, 64))
      ->default_val(8);
  durations.Add(sync_cmd, "--timeout", nullptr, &sync.timeout_seconds,
                "Wait for readiness and for the broker (default 5m)");
  AddRabbitFlags(sync_cmd, &sync.rabbit);
  sync_cmd->add_flag("--dry-run", sync.dry_run, "Compute and report, write nothing");
  sync_cmd->add_flag("--prune", sync.prune, "Delete what warren created and git no longer has");
  sync_cmd->add_flag("--recreate-empty-queues", sync.recreate_empty_queues,
                     "Recreate queues whose immutable properties changed, only while they are empty");
  sync_cmd->add_option("-o,--output", sync.output, "text or json")->check(CLI::IsMember({"text", "json"}));
  sync_cmd->add_option(
      "--inventory-namespace", sync.inventory_namespace,
      "Namespace of warren's inventory ConfigMap (default: the namespace all objects share, else that of -n)");
  sync_cmd->add_flag("--report-status", sync.report_status,
                     "Post warren/sync (and warren/health, warren/mirrors with --rabbitmq-url) for the commit");
  AddCommitStatusFlags(sync_cmd, &sync.status);
  auto* sync_ns =
      sync_cmd->add_option("-n,--namespace", sync.default_namespace, "Namespace for objects that name none");

  warren::cli::RunArgs run;
  auto* run_cmd = app.add_subcommand("run", "Keep the cluster and the broker equal to git: the long-running agent");
  run_cmd->add_option("paths", run.paths, "Files or directories of manifests (or --repo, or --config)");
  AddSourceFlags(run_cmd, &run.source);
  run_cmd->add_option("--config", run.config, "YAML file listing several sources (see deploy/README.md)");
  run_cmd->add_flag("--watch-sources", run.watch_sources,
                    "Run a source for each WarrenSource object (deploy/crd-warrensource.yaml)");
  run_cmd->add_option("--sources-namespace", run.sources_namespace,
                      "Watch WarrenSources of this namespace only (default: every namespace)");
  run_cmd->add_option("--state-dir", run.state_dir,
                      "Git caches and credential files of WarrenSources (default: ~/.cache/warren/sources)");
  AddKubeFlags(run_cmd, &run.kube, "Kubeconfig file (a Kubernetes target; also KUBECONFIG)");
  AddRabbitFlags(run_cmd, &run.rabbit);
  run_cmd->add_option("--interval", run.interval, "Git poll and full resync period (Go duration, default 5m)");
  run_cmd->add_option("--health-interval", run.health_interval,
                      "RabbitMQ health and topology check period (default 30s)");
  run_cmd->add_option("--timeout", run.timeout, "Readiness and broker waits inside one reconcile (default 5m)");
  run_cmd->add_flag("--dry-run", run.dry_run, "Report drift, write nothing");
  run_cmd->add_flag("--prune", run.prune, "Delete what warren created and git no longer has");
  run_cmd->add_flag("--force-conflicts", run.force_conflicts, "Take over fields other managers own");
  run_cmd
      ->add_option("--apply-concurrency", run.apply_concurrency,
                   "Server-side applies in flight at once within a stage (Namespaces, ServiceAccounts, ...)")
      ->check(CLI::Range(1, 64))
      ->default_val(8);
  run_cmd->add_option("--listen", run.listen,
                      "Address of the webhooks, and of /healthz, /readyz and /metrics unless given their own "
                      "(default :8080)");
  run_cmd->add_option("--health-addr", run.health_addr,
                      "Address of /healthz and /readyz on a listener of their own, e.g. :8081");
  run_cmd->add_option("--metrics-addr", run.metrics_addr, "Address of /metrics on a listener of its own, e.g. :8082");
  run_cmd->add_flag("--leader-elect", run.leader_elect, "Take part in leader election: only the leader writes");
  run_cmd->add_option("--lease-name", run.lease_name, "Name of the leader election Lease (default warren)");
  run_cmd->add_option("--lease-namespace", run.lease_namespace, "Namespace of the Lease (default: the cluster's)");
  run_cmd->add_option("--lease-duration", run.lease_duration, "Lease duration (default 15s; renewed every third)");
  run_cmd->add_option("--advertise-url", run.advertise_url,
                      "URL at which the other replicas reach this one, to hand it webhooks while it leads "
                      "(default http://$POD_IP:<listen port> when POD_IP is set)");
  run_cmd->add_option("--log-format", run.log_format, "text or json")->check(CLI::IsMember({"text", "json"}));
  run_cmd->add_option("--log-level", run.log_level, "debug, info, warn or error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  run_cmd->add_option("--inventory-namespace", run.inventory_namespace,
                      "Namespace of warren's inventory ConfigMap (default: that of -n, or the context's)");
  run_cmd->add_option("--webhook-secret-file", run.webhook_secret_file,
                      "Serve POST /hooks/github|gitea|gitlab, verified with the secret in this file");
  AddCommitStatusFlags(run_cmd, &run.status);
  auto* run_ns = run_cmd->add_option("-n,--namespace", run.default_namespace,
                                     "Namespace for objects that name none, and of warren's inventory");

  warren::cli::StatusArgs status;
  auto* status_cmd = app.add_subcommand("status", "RabbitMQ cluster health and queue mirror status");
  status_cmd->add_option("paths", status.paths,
                         "Manifests: the RabbitMQ StatefulSet's replicas are the expected nodes");
  AddRabbitFlags(status_cmd, &status.rabbit);
  status_cmd->add_option("--expected-nodes", status.expected_nodes, "Nodes the cluster should have");
  status_cmd->add_option("-o,--output", status.output, "text or json")->check(CLI::IsMember({"text", "json"}));
  AddKustomizeFlag(status_cmd, &status.kustomize_command);

  // suspend, resume, reconcile: `warren VERB source NAME`, as `flux VERB kustomization NAME`.
  warren::cli::SourceRequestArgs request;
  std::vector<std::pair<CLI::App*, CLI::Option*>> request_cmds;
  for (const char* verb : {"suspend", "resume", "reconcile"}) {
    std::string what = std::string(verb) == "suspend" ? "Stop a WarrenSource's writes (drift is still reported)"
                       : std::string(verb) == "resume"
                           ? "Let a suspended WarrenSource write again"
                           : "Ask the agent to fetch and apply a WarrenSource now, and wait";
    auto* cmd = app.add_subcommand(verb, what);
    cmd->add_option("kind", request.kind, "source (or warrensource, ws)")
        ->required()
        ->check(CLI::IsMember({"source", "warrensource", "warrensources", "ws"}));
    cmd->add_option("name", request.name, "The WarrenSource's name")->required();
    AddKubeFlags(cmd, &request.kube, "Kubeconfig file (default: KUBECONFIG, ~/.kube/config)");
    if (std::string(verb) == "reconcile")
      durations.Add(cmd, "--timeout", &request.timeout_ms, nullptr, "How long to wait for the agent (default 2m)");
    request_cmds.emplace_back(cmd, cmd->add_option("-n,--namespace", request.default_namespace,
                                                   "The WarrenSource's namespace (default: the context's)"));
  }

  // An unknown command is an error, as kubectl says it, even with --help after it (CLI11 would
  // print the top-level help and exit 0).
  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    for (const CLI::App* cmd : app.get_subcommands({})) known = known || cmd->check_name(argv[1]);
    if (!known) {
      std::cerr << "error: unknown command \"" << argv[1] << "\" for \"warren\"\nRun 'warren --help' for usage.\n";
      return warren::cli::kExitError;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : warren::cli::kExitError;
  }
  if (!durations.Apply(std::cerr)) return warren::cli::kExitError;
  // -n given or not: otherwise the kubeconfig context's namespace applies, as for kubectl.
  diff.namespace_given = diff_ns->count() > 0;
  sync.namespace_given = sync_ns->count() > 0;
  run.namespace_given = run_ns->count() > 0;
  if (*run_cmd) return warren::cli::RunAgent(run, std::cerr);
  for (const auto& [cmd, ns] : request_cmds)
    if (*cmd) {
      request.verb = cmd->get_name();
      request.namespace_given = ns->count() > 0;
      return warren::cli::RunSourceRequest(request, std::cout, std::cerr);
    }
  if (*lint_cmd) return warren::cli::RunLint(lint, std::cout, std::cerr);
  if (*decrypt_cmd) return warren::cli::RunDecrypt(decrypt, std::cout, std::cerr);
  if (*sync_cmd) return warren::cli::RunSync(sync, std::cout, std::cerr);
  if (*status_cmd) {
    if (!status.rabbit.enabled()) {
      std::cerr << "warren status: give --rabbitmq-url\n";
      return warren::cli::kExitError;
    }
    return warren::cli::RunStatus(status, std::cout, std::cerr);
  }
  diff.color = isatty(STDOUT_FILENO) && diff.output == "text";
  return warren::cli::RunDiff(diff, std::cout, std::cerr);
}
