// A small blocking HTTP(S) client over libcurl: one connection cache per client (connections are
// reused between requests), a timeout on every request, TLS with a CA file. Credentials are set
// as options, never put in URLs, so no error message can contain them.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "diff/model/status.h"

namespace warren::net {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::map<std::string, std::string> headers;
  std::string body;
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

struct HttpClientOptions {
  long timeout_ms = 10000;
  long connect_timeout_ms = 3000;
  std::string ca_file;      // verify the server against this CA bundle (default: the system's)
  bool insecure_skip_verify = false;
  std::string username, password;  // HTTP basic auth, when username is set
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Transport failures (refused, timeout, TLS) are kUnavailable errors naming the URL; any HTTP
  // status, 4xx and 5xx included, is a response.
  Result<HttpResponse> Send(const HttpRequest& request);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Percent-encodes one URL path segment: everything but unreserved characters ("/" → "%2F").
std::string EscapePathSegment(const std::string& s);

}  // namespace warren::net
