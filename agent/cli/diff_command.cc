#include "agent/cli/commands.h"
#include "agent/cli/rabbit_connect.h"
#include "agent/fs/disk_file_tree.h"
#include "agent/rabbitmq/live_topology.h"
#include "diff/engine/diff.h"
#include "diff/engine/render.h"
#include "diff/model/loader.h"
#include "diff/rabbit/desired_topology.h"
#include "diff/rabbit/topology_diff.h"

namespace warren::cli {
namespace {

Result<diff::IgnoreConfig> LoadIgnoreConfig(const DiskFileTree& tree, const std::string& file) {
  auto text = tree.Read(file);
  if (!text.ok()) return text.status();
  auto docs = DecodeYaml(text.value(), file);
  if (!docs.ok()) return docs.status();
  if (docs.value().empty()) return Status::Invalid(file + ": empty ignore config");
  return diff::ParseIgnoreConfig(docs.value()[0].value, file);
}

Result<diff::DiffReport> DiffKubernetes(const DiskFileTree& tree, const DiffArgs& args,
                                        const std::vector<Object>& desired, const LoadOptions& options) {
  // Same loader as the manifests: size limit, any extension, Lists, duplicate identities.
  auto live = LoadManifests(tree, {args.live_file}, options);
  if (!live.ok()) return live.status().WithContext("live state");
  diff::DiffOptions diff_options;
  if (!args.ignore_config.empty()) {
    auto ignore = LoadIgnoreConfig(tree, args.ignore_config);
    if (!ignore.ok()) return ignore.status();
    diff_options.ignore = std::move(ignore).value();
  }
  return diff::Diff(desired, live.value(), diff_options);
}

Result<diff::DiffReport> DiffRabbit(const RabbitArgs& args, const LoadedManifests& repo) {
  auto desired = rabbit::DesiredTopology(repo.objects, repo.definitions);
  if (!desired.ok()) return desired.status();
  auto client = ConnectRabbit(args);
  if (!client.ok()) return client.status();
  auto live = rabbitmq::ReadLiveTopology(*client.value(), args.inventory);
  if (!live.ok()) return live.status();
  return rabbit::DiffTopology(desired.value(), live.value().state, live.value().inventory);
}

}  // namespace

int RunDiff(const DiffArgs& args, std::ostream& out, std::ostream& err) {
  if (args.live_file.empty() && !args.rabbit.enabled()) {
    err << "warren diff: nothing to compare with: give --live-file (Kubernetes) and/or --rabbitmq-url\n";
    return kExitError;
  }
  DiskFileTree tree;
  LoadOptions options;
  options.default_namespace = args.default_namespace;
  auto repo = LoadRepository(tree, args.paths, options);
  if (!repo.ok()) {
    err << "warren diff: " << repo.status().message() << "\n";
    return kExitError;
  }
  diff::DiffReport report;
  if (!args.live_file.empty()) {
    // With a broker to compare against, the topology documents are RabbitMQ's business, not the
    // API server's.
    std::vector<Object> kube;
    for (const Object& o : repo.value().objects)
      if (!args.rabbit.enabled() || !rabbit::IsTopologyObject(o)) kube.push_back(o);
    auto k = DiffKubernetes(tree, args, kube, options);
    if (!k.ok()) {
      err << "warren diff: " << k.status().message() << "\n";
      return kExitError;
    }
    report.Append(std::move(k).value());
  }
  if (args.rabbit.enabled()) {
    auto r = DiffRabbit(args.rabbit, repo.value());
    if (!r.ok()) {
      err << "warren diff: " << r.status().message() << "\n";
      return kExitError;
    }
    report.Append(std::move(r).value());
  }
  if (args.output == "json") out << diff::ToJson(report).dump(2) << "\n";
  else out << diff::RenderText(report, args.color);
  return report.HasDrift() ? kExitFindings : kExitClean;
}

}  // namespace warren::cli
