// The controllers a RabbitMQ deployment needs from a cluster: the StatefulSet controller (PVCs from
// volumeClaimTemplates, pods created in order and made ready one tick at a time, scale down,
// rolling updates by revision and partition, orphan adoption, status) and an endpoints controller.
//
// As the real StatefulSet controller does: pods below the partition are (re)created at the
// current revision, at or above it at the update revision; a rolling update deletes one outdated
// pod at a time, highest first, only while every pod is Ready and none is terminating;
// currentRevision becomes the update revision once every replica is updated and Ready. With a pod
// hook (Options::pod_hook) pods take real time to stop and to become Ready.
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "tests/emulator/api_server.h"
#include "tests/emulator/call.h"
#include "tests/emulator/defaults.h"
#include "tests/emulator/selectors.h"

namespace emulator {
namespace {

std::string RevisionHash(const Json& template_spec) {
  size_t h = std::hash<std::string>{}(template_spec.dump());
  static const char* alphabet = "bcdfghjklmnpqrstvwxz2456789";
  std::string out;
  for (int i = 0; i < 10; ++i, h /= 27) out += alphabet[h % 27];
  return out;
}

bool Ready(const Json& pod) {
  for (const Json& c : pod.value("status", Json::object()).value("conditions", Json::array()))
    if (c.value("type", "") == "Ready") return c.value("status", "") == "True";
  return false;
}

int Ordinal(const std::string& pod, const std::string& sts) {
  if (pod.rfind(sts + "-", 0) != 0) return -1;
  std::string rest = pod.substr(sts.size() + 1);
  if (rest.empty() || rest.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::stoi(rest);
}

bool Terminating(const Json& pod) { return pod["metadata"].contains("deletionTimestamp"); }

}  // namespace

bool ApiServer::Hook(const std::string& verb, const Json& pod, int* rc) {
  const Json& meta = pod["metadata"];
  std::string key = meta.value("uid", "") + "/" + verb;
  std::shared_ptr<HookRun> run;
  {
    std::lock_guard<std::mutex> lock(hooks_mu_);
    std::shared_ptr<HookRun>& slot = hook_runs_[key];
    if (!slot) {
      slot = std::make_shared<HookRun>();
      std::string name = meta.value("name", "");
      std::string ordinal = name.substr(name.rfind('-') + 1);
      std::string cmd = options_.pod_hook + " " + verb + " " + meta.value("namespace", "") + " " + name + " " + ordinal;
      std::thread([r = slot, cmd] {
        int status = std::system(cmd.c_str());
        r->rc = status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        r->done = true;
      }).detach();
    }
    run = slot;
    if (run->done && run->rc != 0 && verb == "ready") hook_runs_.erase(key);  // probed again next time
  }
  if (!run->done) return false;
  if (rc) *rc = run->rc;
  return true;
}

Json ApiServer::TerminatePod(Json pod) {
  const Resource& pods_r = *FindResource("", "v1", "pods");
  if (options_.pod_hook.empty()) {
    store_.Remove(pods_r, pod["metadata"].value("namespace", ""), pod["metadata"].value("name", ""));
    return pod;
  }
  if (Terminating(pod)) return pod;
  pod["metadata"]["deletionTimestamp"] = Now();
  pod["metadata"]["deletionGracePeriodSeconds"] = 30;
  pod = store_.Put(pods_r, pod);
  Hook("stop", pod);
  return pod;
}

void ApiServer::ControllerLoop() {
  while (!stopping_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(options_.tick_ms));
    std::lock_guard<std::mutex> lock(store_.mu());
    for (const Json& sts : store_.List(*FindResource("apps", "v1", "statefulsets"), "")) ReconcileStatefulSet(sts);
    ReconcileEndpoints();
  }
}

void ApiServer::ReconcileStatefulSet(const Json& sts) {
  const Resource& pods_r = *FindResource("", "v1", "pods");
  const Resource& pvcs_r = *FindResource("", "v1", "persistentvolumeclaims");
  const Json& meta = sts["metadata"];
  const Json& spec = sts["spec"];
  const std::string ns = meta.value("namespace", ""), name = meta.value("name", ""), uid = meta.value("uid", "");
  const int replicas = spec.value("replicas", 1);
  const Json labels = spec.value("selector", Json::object()).value("matchLabels", Json::object());
  const Json tmpl = spec.value("template", Json::object());
  const std::string revision = name + "-" + RevisionHash(tmpl);
  const Json rolling = spec.value("updateStrategy", Json::object()).value("rollingUpdate", Json::object());
  const int partition = rolling.value("partition", 0);
  const bool ordered = spec.value("podManagementPolicy", "OrderedReady") == "OrderedReady";
  const Json owner = {{"apiVersion", "apps/v1"}, {"kind", "StatefulSet"},     {"name", name}, {"uid", uid},
                      {"controller", true},      {"blockOwnerDeletion", true}};

  // Pods of this set by ordinal; orphans that match the selector are adopted (a StatefulSet
  // deleted with propagationPolicy Orphan and created again gets its pods back).
  std::map<int, Json> pods;
  for (Json pod : store_.List(pods_r, ns)) {
    int i = Ordinal(pod["metadata"].value("name", ""), name);
    if (i < 0 || !MatchesLabels(pod["metadata"].value("labels", Json::object()), [&] {
          std::string s;
          for (auto it = labels.begin(); it != labels.end(); ++it)
            s += (s.empty() ? "" : ",") + it.key() + "=" + it->get<std::string>();
          return s;
        }()))
      continue;
    Json refs = pod["metadata"].value("ownerReferences", Json::array());
    if (refs.empty()) {
      pod["metadata"]["ownerReferences"] = Json::array({owner});
      pod = store_.Put(pods_r, pod);
    } else if (refs[0].value("uid", "") != uid) {
      continue;  // someone else's
    }
    if (Terminating(pod) && Hook("stop", pod)) {  // the kubelet is done with it
      store_.Remove(pods_r, ns, pod["metadata"].value("name", ""));
      continue;
    }
    pods[i] = pod;
  }
  revisions_[revision] = tmpl;
  const Json old_status = sts.value("status", Json::object());
  const std::string current_revision = old_status.value("currentRevision", revision);

  // Claims from the templates, for every ordinal; never deleted here (retention: Retain).
  for (const Json& t : spec.value("volumeClaimTemplates", Json::array())) {
    for (int i = 0; i < replicas; ++i) {
      std::string claim = t["metadata"].value("name", "") + "-" + name + "-" + std::to_string(i);
      if (store_.Get(pvcs_r, ns, claim)) continue;
      Json pvc = {
          {"apiVersion", "v1"},
          {"kind", "PersistentVolumeClaim"},
          {"metadata",
           {{"name", claim}, {"namespace", ns}, {"uid", NewUid()}, {"creationTimestamp", Now()}, {"labels", labels}}},
          {"spec", t.value("spec", Json::object())}};
      pvc["spec"]["storageClassName"] = pvc["spec"].value("storageClassName", "standard");
      pvc["spec"]["volumeName"] = "pvc-" + NewUid();
      Json capacity = pvc["spec"].value("resources", Json::object()).value("requests", Json::object());
      pvc["status"] = {
          {"phase", "Bound"}, {"accessModes", pvc["spec"].value("accessModes", Json::array())}, {"capacity", capacity}};
      Allocator none{[] { return std::string(); }, [] { return 0; }};
      ApplyDefaults("PersistentVolumeClaim", pvc, nullptr, none);
      pvc["status"]["phase"] = "Bound";
      store_.Put(pvcs_r, pvc);
    }
  }

  // Pending pods become ready, one step per tick (with a hook: once started and probed ready).
  for (auto& [i, pod] : pods) {
    if (Ready(pod) || Terminating(pod)) continue;
    if (!options_.pod_hook.empty()) {
      int rc = -1;
      if (!Hook("start", pod) || !Hook("ready", pod, &rc) || rc != 0) continue;
    }
    // As the kubelet reports a started pod: each container ready, running, never restarted.
    Json statuses = Json::array();
    for (const Json& c : pod["spec"].value("containers", Json::array()))
      statuses.push_back({{"name", c.value("name", "")},
                          {"image", c.value("image", "")},
                          {"ready", true},
                          {"started", true},
                          {"restartCount", 0},
                          {"state", {{"running", {{"startedAt", pod["metadata"].value("creationTimestamp", "")}}}}}});
    pod["status"] = {{"phase", "Running"},
                     {"podIP", "10.244.0." + std::to_string(10 + i)},
                     {"conditions", Json::array({{{"type", "Ready"}, {"status", "True"}}})},
                     {"containerStatuses", statuses}};
    pod = store_.Put(pods_r, pod);
  }

  bool all_ready = true;
  for (auto& [i, pod] : pods) all_ready = all_ready && Ready(pod) && !Terminating(pod);
  // Scale down from the highest ordinal, one pod at a time; scale up in order (OrderedReady
  // waits for readiness).
  if (!pods.empty() && pods.rbegin()->first >= replicas) {
    if (!Terminating(pods.rbegin()->second)) pods.rbegin()->second = TerminatePod(pods.rbegin()->second);
    if (options_.pod_hook.empty()) pods.erase(std::prev(pods.end()));
  } else {
    for (int i = 0; i < replicas; ++i) {
      if (pods.count(i)) continue;
      if (ordered && !all_ready) break;
      std::string pod_name = name + "-" + std::to_string(i);
      // Below the partition a pod comes back as it was: at the current revision.
      const bool old = i < partition && current_revision != revision && revisions_.count(current_revision);
      const Json& from = old ? revisions_[current_revision] : tmpl;
      Json pmeta = from.value("metadata", Json::object());
      pmeta.erase("creationTimestamp");
      pmeta["name"] = pod_name;
      pmeta["namespace"] = ns;
      pmeta["uid"] = NewUid();
      pmeta["creationTimestamp"] = Now();
      pmeta["labels"]["controller-revision-hash"] = old ? current_revision : revision;
      pmeta["labels"]["statefulset.kubernetes.io/pod-name"] = pod_name;
      pmeta["labels"]["apps.kubernetes.io/pod-index"] = std::to_string(i);
      pmeta["ownerReferences"] = Json::array({owner});
      Json pspec = from.value("spec", Json::object());
      pspec["hostname"] = pod_name;
      pspec["subdomain"] = spec.value("serviceName", "");
      for (const Json& t : spec.value("volumeClaimTemplates", Json::array()))
        pspec["volumes"].push_back(
            {{"name", t["metadata"].value("name", "")},
             {"persistentVolumeClaim", {{"claimName", t["metadata"].value("name", "") + "-" + pod_name}}}});
      Json pod = {{"apiVersion", "v1"},
                  {"kind", "Pod"},
                  {"metadata", pmeta},
                  {"spec", pspec},
                  {"status", {{"phase", "Pending"}}}};
      Allocator none{[] { return std::string(); }, [] { return 0; }};
      ApplyDefaults("Pod", pod, nullptr, none);
      pods[i] = store_.Put(pods_r, pod);
      if (ordered) break;
    }
  }

  // Rolling update: once everything is ready, replace the highest outdated pod at or above the partition.
  if (all_ready && static_cast<int>(pods.size()) == replicas &&
      spec.value("updateStrategy", Json::object()).value("type", "RollingUpdate") == "RollingUpdate") {
    for (auto it = pods.rbegin(); it != pods.rend(); ++it) {
      if (it->first < partition) break;
      if (it->second["metadata"]["labels"].value("controller-revision-hash", "") == revision) continue;
      it->second = TerminatePod(it->second);
      if (options_.pod_hook.empty()) pods.erase(it->first);
      break;
    }
  }

  // Terminating pods count as ready while Ready, never as current or updated.
  int ready = 0, updated = 0, current = 0;
  for (auto& [i, pod] : pods) {
    ready += Ready(pod);
    if (Terminating(pod)) continue;
    std::string hash = pod["metadata"]["labels"].value("controller-revision-hash", "");
    updated += hash == revision;
    current += hash == current_revision;
  }
  const bool rolled = updated == replicas && ready == replicas && static_cast<int>(pods.size()) == replicas;
  Json status = {{"observedGeneration", meta.value("generation", 1)},
                 {"replicas", pods.size()},
                 {"readyReplicas", ready},
                 {"currentReplicas", rolled ? updated : current},
                 {"updatedReplicas", updated},
                 {"availableReplicas", ready},
                 {"updateRevision", revision},
                 {"collisionCount", 0},
                 {"currentRevision", rolled ? revision : current_revision}};
  if (status != old_status) {
    Json next = sts;
    next["status"] = status;
    store_.Put(*FindResource("apps", "v1", "statefulsets"), next);
  }
}

void ApiServer::ReconcileEndpoints() {
  const Resource& svc_r = *FindResource("", "v1", "services");
  const Resource& ep_r = *FindResource("", "v1", "endpoints");
  const Resource& pods_r = *FindResource("", "v1", "pods");
  for (const Json& svc : store_.List(svc_r, "")) {
    const Json selector = svc["spec"].value("selector", Json::object());
    if (selector.empty()) continue;
    std::string ns = svc["metadata"].value("namespace", ""), name = svc["metadata"].value("name", "");
    std::string sel;
    for (auto it = selector.begin(); it != selector.end(); ++it)
      sel += (sel.empty() ? "" : ",") + it.key() + "=" + it->get<std::string>();
    Json addresses = Json::array();
    Json named_ports = Json::object();  // a named targetPort resolves to the pods' containerPort of that name
    for (const Json& pod : store_.List(pods_r, ns)) {
      if (!MatchesLabels(pod["metadata"].value("labels", Json::object()), sel) || !Ready(pod)) continue;
      for (const Json& c : pod["spec"].value("containers", Json::array()))
        for (const Json& cp : c.value("ports", Json::array()))
          if (cp.contains("name") && cp.contains("containerPort"))
            named_ports[cp["name"].get<std::string>()] = cp["containerPort"];
      addresses.push_back({{"ip", pod["status"].value("podIP", "")},
                           {"hostname", pod["metadata"].value("name", "")},
                           {"targetRef",
                            {{"kind", "Pod"},
                             {"namespace", ns},
                             {"name", pod["metadata"].value("name", "")},
                             {"uid", pod["metadata"].value("uid", "")}}}});
    }
    Json ports = Json::array();
    for (const Json& p : svc["spec"].value("ports", Json::array())) {
      Json target = p.contains("targetPort") ? p["targetPort"] : p.value("port", Json(0));
      if (target.is_string()) {
        if (!named_ports.contains(target.get<std::string>())) continue;  // no pod names it: not an endpoint port
        target = named_ports[target.get<std::string>()];
      }
      ports.push_back({{"name", p.value("name", "")}, {"port", target}, {"protocol", p.value("protocol", "TCP")}});
    }
    Json subsets = addresses.empty() ? Json::array() : Json::array({{{"addresses", addresses}, {"ports", ports}}});
    auto current = store_.Get(ep_r, ns, name);
    if (current && current->value("subsets", Json::array()) == subsets) continue;
    Json ep =
        current
            ? *current
            : Json{{"apiVersion", "v1"},
                   {"kind", "Endpoints"},
                   {"metadata", {{"name", name}, {"namespace", ns}, {"uid", NewUid()}, {"creationTimestamp", Now()}}}};
    if (subsets.empty())
      ep.erase("subsets");
    else
      ep["subsets"] = subsets;
    store_.Put(ep_r, ep);
  }
}

}  // namespace emulator
