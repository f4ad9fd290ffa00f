// Internal to the emulator: one request on its way through the server, and the small helpers every
// handler uses to answer as the API server does.
#pragma once

#include <httplib.h>

#include <string>
#include <vector>

#include "tests/emulator/api_server.h"

namespace emulator {

struct ApiServer::Call {
  const httplib::Request& req;
  httplib::Response& res;
  UserInfo user;
  const Resource* resource = nullptr;
  std::string ns, name, sub;
  std::string verb;  // get, list, watch, create, update, patch, delete
  bool dry_run = false;
  bool write = false;  // something was persisted (the request log's write flag)
};

// A metav1.Status failure body.
Json StatusBody(int code, const std::string& reason, const std::string& message, Json details = nullptr);
void Reply(httplib::Response& res, int code, const Json& body);
void Fail(httplib::Response& res, int code, const std::string& reason, const std::string& message,
          Json details = nullptr);
// The plain-text 404 of a path nothing serves (removed API versions end up here).
void NoSuchPath(httplib::Response& res);

std::string Now();     // RFC 3339, seconds, UTC
std::string NewUid();  // a v4 UUID
std::vector<std::string> Split(const std::string& s, char sep);
std::string Trim(std::string s);

}  // namespace emulator
