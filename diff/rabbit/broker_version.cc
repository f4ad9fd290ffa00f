#include "diff/rabbit/broker_version.h"

#include <cctype>

namespace warren::rabbit {
namespace {

const std::vector<int> kStreams = {3, 9};
const std::vector<int> kSuperStreamClients = {3, 11};

bool Before(const std::vector<int>& v, const std::vector<int>& than) {
  return std::lexicographical_compare(v.begin(), v.end(), than.begin(), than.end());
}

std::string OriginOf(const TopologyState& desired, const ResourceKey& key) {
  auto it = desired.origins.find(key);
  return it == desired.origins.end() ? "" : it->second + ": ";
}

std::string Where(const std::string& vhost) { return " (vhost " + vhost + ")"; }

// "file:line:col: SuperStream invoices (vhost /)": the place is that of its exchange, as of all its items.
std::string Named(const TopologyState& desired, const SuperStream& s) {
  return OriginOf(desired, KeyOf(Exchange{s.name, s.vhost})) + "SuperStream " + s.name + Where(s.vhost);
}

}  // namespace

std::vector<int> ParseBrokerVersion(const std::string& text) {
  std::vector<int> out;
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    int n = 0;
    for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) && n < 100000; ++i)
      n = n * 10 + (text[i] - '0');
    out.push_back(n);
    if (i < text.size() && text[i] == '.')
      ++i;
    else
      break;
  }
  return out.size() >= 2 ? out : std::vector<int>{};
}

Status CheckBrokerVersion(const TopologyState& desired, const std::string& version) {
  std::vector<int> v = ParseBrokerVersion(version);
  if (v.empty() || !Before(v, kStreams)) return Status::Ok();
  const std::string suffix = ", which RabbitMQ has from 3.9 on; the broker runs " + version;
  if (!desired.super_streams.empty())
    return Status::Invalid(Named(desired, desired.super_streams.front()) + " is made of stream queues" + suffix);
  for (const Queue& q : desired.queues)
    if (q.type == "stream")
      return Status::Invalid(OriginOf(desired, KeyOf(q)) + "queue " + q.name + Where(q.vhost) + " is a stream queue" +
                             suffix);
  return Status::Ok();
}

std::vector<std::string> BrokerVersionNotes(const TopologyState& desired, const std::string& version) {
  std::vector<std::string> out;
  std::vector<int> v = ParseBrokerVersion(version);
  if (v.empty() || !Before(v, kSuperStreamClients) || Before(v, kStreams)) return out;
  for (const SuperStream& s : desired.super_streams)
    out.push_back(
        Named(desired, s) + ": its exchange, " + std::to_string(s.routing_keys.size()) +
        " stream queue(s) and bindings are managed, but stream clients use super streams from RabbitMQ 3.11 on; "
        "the broker runs " +
        version);
  return out;
}

}  // namespace warren::rabbit
