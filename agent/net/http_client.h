// A small blocking HTTP(S) client over libcurl: one connection cache per client (connections are
// reused between requests), a timeout on every request, TLS with a CA file. Credentials are set
// as options, never put in URLs, so no error message can contain them.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "agent/util/cancel.h"
#include "diff/model/status.h"

namespace warren::net {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::map<std::string, std::string> headers;
  std::string body;
  StopToken stop;  // a stop aborts the transfer (a watch too) within ~100 ms: kCancelled
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

struct HttpClientOptions {
  long timeout_ms = 10000;
  long connect_timeout_ms = 3000;
  std::string ca_file;  // verify the server against this CA bundle (default: the system's)
  std::string ca_pem;   // or against these PEM certificates (kubeconfig certificate-authority-data)
  bool insecure_skip_verify = false;
  std::string username, password;               // HTTP basic auth, when username is set
  std::string client_cert_pem, client_key_pem;  // TLS client certificate
  // Verify the server certificate for this name instead of the URL's host (kubeconfig
  // tls-server-name): the request goes to the URL's address, TLS checks this name.
  std::string tls_server_name;
};

// One connection cache, so one request at a time: not safe to share between threads (each
// thread, or a pool, gets its own).
class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Transport failures (refused, timeout, TLS) are kUnavailable errors naming the URL; any HTTP
  // status, 4xx and 5xx included, is a response.
  Result<HttpResponse> Send(const HttpRequest& request);

  // Streams the body to `on_data` as it arrives (watch); `on_data` returns false to stop. The
  // response's status and headers are filled; its body stays empty unless the status is not 2xx.
  Result<HttpResponse> Stream(const HttpRequest& request, const std::function<bool(std::string_view)>& on_data);

 private:
  Result<HttpResponse> Perform(const HttpRequest& request, const std::function<bool(std::string_view)>* on_data);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The StatusCode an HTTP error status means, for every client: 400/422 kInvalidArgument, 401
// kUnauthenticated, 403 kForbidden, 404 kNotFound, 409 kConflict, 410 kExpired, 429 and 5xx
// kUnavailable, anything else kInternal.
StatusCode StatusCodeForHttp(long status);

// Percent-encodes one URL path segment: everything but unreserved characters ("/" → "%2F").
std::string EscapePathSegment(const std::string& s);

}  // namespace warren::net
