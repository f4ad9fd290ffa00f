// What a desired topology needs of the broker's version, decided before anything is applied.
//
// Stream queues (and so SuperStreams, which are made of them) exist from RabbitMQ 3.9; a broker
// older than that is an error naming the object, rather than a management API refusal halfway
// through a sync. Stream clients read a SuperStream as one (partitions, routing) from 3.11: on
// 3.9 and 3.10 its items are managed all the same, and a note says so.
#pragma once

#include <string>
#include <vector>

#include "diff/model/status.h"
#include "diff/rabbit/topology_state.h"

namespace warren::rabbit {

// "3.10.8" → {3, 10, 8}; a suffix ("3.12.0-rc.1", "3.10.8+1.g1234") is ignored. Empty when the
// text does not start with a version.
std::vector<int> ParseBrokerVersion(const std::string& text);

// An error when `version` (as /api/definitions reports it) cannot hold `desired`. An empty or
// unreadable version checks nothing: the broker then answers for itself.
Status CheckBrokerVersion(const TopologyState& desired, const std::string& version);

// Lines for the user about what works only partly on `version`.
std::vector<std::string> BrokerVersionNotes(const TopologyState& desired, const std::string& version);

}  // namespace warren::rabbit
