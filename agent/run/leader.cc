#include "agent/run/leader.h"

#include <unistd.h>

#include <random>

#include "diff/model/object.h"

namespace warren::run {

LeaderElector::LeaderElector(kube::Api& client, LeaderOptions options)
    : client_(client), o_(std::move(options)), clock_(o_.clock ? *o_.clock : Clock::Real()) {}

Json LeaderElector::Record(const Json* old, bool taking_over) const {
  std::string now = clock_.WallTimeMicros();
  Json spec = {{"holderIdentity", o_.identity},
               {"leaseDurationSeconds",
                std::max<long>(1, std::chrono::duration_cast<std::chrono::seconds>(o_.duration).count())},
               {"renewTime", now}};
  const Json& old_spec = old ? Field(*old, "spec") : Json();
  long transitions =
      Field(old_spec, "leaseTransitions").is_number_integer() ? Field(old_spec, "leaseTransitions").get<long>() : 0;
  if (taking_over || !old) {
    spec["acquireTime"] = now;
    spec["leaseTransitions"] = old ? transitions + 1 : 0;
  } else {
    spec["acquireTime"] = Field(old_spec, "acquireTime").is_string() ? Field(old_spec, "acquireTime") : Json(now);
    spec["leaseTransitions"] = transitions;
  }
  Json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                {"kind", "Lease"},
                {"metadata", {{"name", o_.name}, {"namespace", o_.ns}}},
                {"spec", spec}};
  if (old) lease["metadata"]["resourceVersion"] = StringField(Field(*old, "metadata"), "resourceVersion");
  if (!o_.advertise_url.empty()) lease["metadata"]["annotations"] = {{kLeaderUrlAnnotation, o_.advertise_url}};
  return lease;
}

Result<bool> LeaderElector::TryAcquireOrRenew() {
  WARREN_ASSIGN_OR_RETURN(auto r, client_.Resolve("coordination.k8s.io/v1", "Lease"));
  WARREN_ASSIGN_OR_RETURN(auto got, client_.Get(r, o_.ns, o_.name));
  if (!got) {
    auto created = client_.Create(r, o_.ns, Record(nullptr, true));
    if (!created.ok()) return created.status().code() == StatusCode::kConflict ? Result<bool>(false) : created.status();
    observed_rv_ = StringField(Field(created.value(), "metadata"), "resourceVersion");
    observed_holder_ = o_.identity;
    observed_at_ = clock_.Now();
    SeeLeaderUrl("");
    return true;
  }
  const Json& lease = *got;
  const Json& spec = Field(lease, "spec");
  std::string holder = StringField(spec, "holderIdentity");
  std::string renew = StringField(spec, "renewTime");
  long duration_s =
      Field(spec, "leaseDurationSeconds").is_number_integer() ? Field(spec, "leaseDurationSeconds").get<long>() : 0;
  // Validity by our own clock: the record must change (be renewed) within its duration.
  if (holder != observed_holder_ || renew != observed_renew_) {
    observed_holder_ = holder;
    observed_renew_ = renew;
    observed_at_ = clock_.Now();
  }
  bool held_by_other = !holder.empty() && holder != o_.identity;
  SeeLeaderUrl(held_by_other ? StringField(Field(Field(lease, "metadata"), "annotations"), kLeaderUrlAnnotation) : "");
  if (held_by_other && clock_.Now() < observed_at_ + std::chrono::seconds(duration_s)) return false;
  auto updated = client_.Update(r, o_.ns, Record(&lease, holder != o_.identity));
  if (!updated.ok()) return updated.status().code() == StatusCode::kConflict ? Result<bool>(false) : updated.status();
  const Json& new_spec = Field(updated.value(), "spec");
  observed_holder_ = o_.identity;
  observed_renew_ = StringField(new_spec, "renewTime");
  observed_at_ = clock_.Now();
  SeeLeaderUrl("");  // this replica leads now (it saw the old leader's URL before taking over)
  return true;
}

void LeaderElector::SeeLeaderUrl(const std::string& url) {
  if (url == leader_url_) return;
  leader_url_ = url;
  if (o_.on_leader_url) o_.on_leader_url(url);
}

void LeaderElector::Run(const StopToken& stop, const std::function<void(bool)>& on_change) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  const auto retry = o_.duration / 3;
  const auto renew_deadline = o_.duration * 2 / 3;
  Clock::TimePoint last_renew = clock_.Now();
  std::string last_error;
  while (!stop.stop_requested()) {
    auto held = TryAcquireOrRenew();
    if (held.ok() && held.value()) {
      last_renew = clock_.Now();
      last_error.clear();
      if (!leading_) {
        leading_ = true;
        if (o_.log) o_.log("became leader", o_.ns + "/" + o_.name);
        on_change(true);
      }
    } else {
      if (!held.ok() && held.status().message() != last_error && o_.log) {
        last_error = held.status().message();
        o_.log("lease round failed", last_error);
      }
      // Stop writing before the Lease can expire and a follower take over.
      if (leading_ && (!held.ok() ? clock_.Now() - last_renew >= renew_deadline : true)) {
        leading_ = false;
        if (o_.log) o_.log("lost leadership", o_.ns + "/" + o_.name);
        on_change(false);
      }
    }
    // A follower retries with jitter so two of them do not race every round.
    auto wait = leading_
                    ? retry
                    : retry + std::chrono::milliseconds(std::uniform_int_distribution<long>(0, retry.count() / 5)(rng));
    if (!clock_.SleepFor(std::chrono::duration_cast<std::chrono::milliseconds>(wait), stop)) break;
  }
  if (leading_) {
    leading_ = false;
    on_change(false);
  }
}

Status LeaderElector::Release(kube::Api& client) {
  WARREN_ASSIGN_OR_RETURN(auto r, client.Resolve("coordination.k8s.io/v1", "Lease"));
  for (int attempt = 0; attempt < 3; ++attempt) {
    WARREN_ASSIGN_OR_RETURN(auto got, client.Get(r, o_.ns, o_.name));
    if (!got || StringField(Field(*got, "spec"), "holderIdentity") != o_.identity) return Status::Ok();
    Json lease = *got;
    std::string now = clock_.WallTimeMicros();
    lease["spec"]["holderIdentity"] = "";
    lease["spec"]["leaseDurationSeconds"] = 1;
    lease["spec"]["renewTime"] = now;
    lease["spec"]["acquireTime"] = now;
    auto updated = client.Update(r, o_.ns, lease);
    if (updated.ok()) return Status::Ok();
    if (updated.status().code() != StatusCode::kConflict) return updated.status();
  }
  return Status(StatusCode::kConflict, "release Lease " + o_.ns + "/" + o_.name + ": kept changing");
}

std::string DefaultIdentity() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  std::random_device rd;
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%08x", rd());
  return std::string(host) + "_" + suffix;
}

}  // namespace warren::run
