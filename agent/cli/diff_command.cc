#include "agent/cli/commands.h"
#include "agent/fs/disk_file_tree.h"
#include "diff/engine/diff.h"
#include "diff/engine/render.h"
#include "diff/model/loader.h"

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

}  // namespace

int RunDiff(const DiffArgs& args, std::ostream& out, std::ostream& err) {
  DiskFileTree tree;
  LoadOptions options;
  options.default_namespace = args.default_namespace;
  auto desired = LoadManifests(tree, args.paths, options);
  if (!desired.ok()) {
    err << "warren diff: " << desired.status().message() << "\n";
    return kExitError;
  }
  // Same loader as the manifests: size limit, any extension, Lists, duplicate identities.
  auto live = LoadManifests(tree, {args.live_file}, options);
  if (!live.ok()) {
    err << "warren diff: live state: " << live.status().message() << "\n";
    return kExitError;
  }
  diff::DiffOptions diff_options;
  if (!args.ignore_config.empty()) {
    auto ignore = LoadIgnoreConfig(tree, args.ignore_config);
    if (!ignore.ok()) {
      err << "warren diff: " << ignore.status().message() << "\n";
      return kExitError;
    }
    diff_options.ignore = std::move(ignore).value();
  }
  diff::DiffReport report = diff::Diff(desired.value(), live.value(), diff_options);
  if (args.output == "json") out << diff::ToJson(report).dump(2) << "\n";
  else out << diff::RenderText(report, args.color);
  return report.HasDrift() ? kExitFindings : kExitClean;
}

}  // namespace warren::cli
