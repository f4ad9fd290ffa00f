// The agent's HTTP listener: a small HTTP/1.1 server built for an address exposed to the internet
// (the forges' webhooks) and for probes that must answer at once.
//
// One thread reads every connection (poll), so a slow or idle client costs a file descriptor, not
// a thread: the request head must arrive within header_timeout of the connection, the body within
// body_timeout of the head, or the connection is closed. At most max_connections are read at
// once; a new one beyond that closes the one that has been reading longest (a slow client, by
// then), so a client that sends its request at once is served whatever others are doing. Only a
// whole request reaches a handler, on one of a few worker threads; every response closes its
// connection. A body over max_body_bytes is refused (413) from its Content-Length, unread;
// chunked bodies are refused (411): the forges send a length.
//
// Threads: Handle() before Listen(); Stop() (or the destructor) from any thread, once.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "diff/model/status.h"

namespace warren::net {

struct ServerRequest {
  std::string method, path;  // path: the target without its query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // A header's value, by case-insensitive name ("" when absent).
  std::string Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
};

struct ServerResponse {
  int status = 200;
  std::string content_type = "text/plain";
  std::string body;
};

using Handler = std::function<void(const ServerRequest&, ServerResponse&)>;

struct HttpServerOptions {
  std::chrono::milliseconds header_timeout{5000};  // from accept to the end of the request head
  std::chrono::milliseconds body_timeout{10000};   // from the end of the head to the end of the body
  std::chrono::milliseconds write_timeout{10000};  // the response, to a client that reads slowly
  size_t max_connections = 64;                     // read at once; see above
  size_t max_header_bytes = 16 << 10;
  size_t max_body_bytes = 1 << 20;
  int workers = 4;
  size_t max_queued = 256;  // whole requests waiting for a worker; more are answered 503
  // Why a request reached no handler: "timeout", "evicted", "too_large", "bad_request", "busy"
  // (metrics), and its path when the head was read ("" before).
  std::function<void(const std::string& reason, const std::string& path)> on_refused;
};

class HttpServer {
 public:
  explicit HttpServer(HttpServerOptions options = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // `method` and exact `path`; another method on a known path is 405, an unknown path 404.
  void Handle(const std::string& method, const std::string& path, Handler handler);
  // "HOST:PORT", ":PORT" (every address) or "[::1]:PORT"; port 0 picks a free one.
  Status Listen(const std::string& address);
  int port() const;
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "HOST:PORT" split, with "" → 0.0.0.0 and brackets off an IPv6 host; an error names the address.
Result<std::pair<std::string, int>> ParseListenAddress(const std::string& address);

}  // namespace warren::net
