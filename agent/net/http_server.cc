#include "agent/net/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <list>
#include <map>
#include <mutex>
#include <thread>

namespace warren::net {
namespace {

using SteadyClock = std::chrono::steady_clock;

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 202:
      return "Accepted";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "";
  }
}

std::string Serialize(const ServerResponse& r) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + Reason(r.status) + "\r\n";
  out += "Content-Type: " + r.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  out += "Connection: close\r\n\r\n";
  out += r.body;
  return out;
}

// Sends all of `data` before `deadline` (the socket is non-blocking); false when it could not.
bool SendAll(int fd, const std::string& data, SteadyClock::time_point deadline) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, POLLOUT, 0};
    if (poll(&p, 1, static_cast<int>(left)) < 0 && errno != EINTR) return false;
  }
  return true;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return std::string(s);
}

// The request line and headers of `head` (without the blank line); false when malformed.
bool ParseHead(std::string_view head, ServerRequest* r) {
  size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) return false;
  r->method = std::string(line.substr(0, sp1));
  std::string target(line.substr(sp1 + 1, sp2 - sp1 - 1));
  if (line.substr(sp2 + 1).rfind("HTTP/1.", 0) != 0 || target.empty() || target[0] != '/') return false;
  r->path = target.substr(0, target.find('?'));
  while (eol != std::string_view::npos) {
    size_t start = eol + 2;
    eol = head.find("\r\n", start);
    std::string_view h = head.substr(start, eol == std::string_view::npos ? std::string_view::npos : eol - start);
    if (h.empty()) continue;
    size_t colon = h.find(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    r->headers.emplace_back(std::string(h.substr(0, colon)), Trim(h.substr(colon + 1)));
  }
  return true;
}

}  // namespace

std::string ServerRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), name.size()) == 0) return v;
  return "";
}

bool ServerRequest::HasHeader(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), name.size()) == 0) return true;
  return false;
}

Result<std::pair<std::string, int>> ParseListenAddress(const std::string& address) {
  size_t colon = address.rfind(':');
  std::string host = colon == std::string::npos ? "" : address.substr(0, colon);
  std::string port = colon == std::string::npos ? address : address.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) > 65535)
    return Status::Invalid("listen address \"" + address + "\" is not HOST:PORT");
  return std::make_pair(host, std::stoi(port));
}

struct HttpServer::Impl {
  // A connection being read.
  struct Conn {
    int fd = -1;
    std::string buffer;
    bool draining = false;  // answered with an error: what the client still sends is read and dropped
    size_t head_end = 0;    // past the blank line, once the head is in
    size_t body_length = 0;
    ServerRequest request;
    SteadyClock::time_point accepted, deadline;
  };
  struct Ready {  // a whole request, for a worker
    int fd;
    ServerRequest request;
  };

  HttpServerOptions o;
  std::map<std::string, std::map<std::string, Handler>> routes;  // path → method → handler
  int listen_fd = -1, wake_fd = -1, port = 0;
  std::thread reader;
  std::vector<std::thread> workers;
  std::list<Conn> conns;  // in accept order: the front has been reading longest

  std::mutex mu;
  std::condition_variable cv;
  std::deque<Ready> queue;
  bool stopping = false;

  void Refused(const char* why, const std::string& path) {
    if (o.on_refused) o.on_refused(why, path);
  }

  // Answers an error from the reader thread (small: best effort, never waits). The connection is
  // then drained for a moment rather than closed: closing with unread bytes resets it, and the
  // client could lose the answer while it is still sending its body.
  void Reject(Conn& c, int status, const std::string& body, const char* why) {
    std::string bytes = Serialize(ServerResponse{status, "text/plain", body});
    (void)send(c.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    shutdown(c.fd, SHUT_WR);
    c.draining = true;
    c.deadline = SteadyClock::now() + std::chrono::seconds(2);
    Refused(why, c.request.path);
  }

  void Accept() {
    while (true) {
      int fd = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;                       // EAGAIN: all taken; other errors: the next poll tries again
      if (conns.size() >= o.max_connections) {  // make room: the longest reader goes
        close(conns.front().fd);
        conns.pop_front();
        Refused("evicted", "");
      }
      Conn c;
      c.fd = fd;
      c.accepted = SteadyClock::now();
      c.deadline = c.accepted + o.header_timeout;
      conns.push_back(std::move(c));
    }
  }

  // Reads what `c` has; true when the connection is finished with here (closed or handed on).
  bool Read(Conn& c) {
    char buf[16384];
    while (true) {
      ssize_t n = recv(c.fd, buf, sizeof buf, 0);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        close(c.fd);  // the client went away (or finished sending what was refused)
        return true;
      }
      if (n < 0) return false;  // nothing more for now
      if (c.draining) continue;
      c.buffer.append(buf, static_cast<size_t>(n));
      if (c.head_end == 0) {
        size_t end = c.buffer.find("\r\n\r\n");
        if (end == std::string::npos) {
          if (c.buffer.size() > o.max_header_bytes) {
            Reject(c, 431, "request head over " + std::to_string(o.max_header_bytes) + " bytes\n", "too_large");
            return false;
          }
          continue;
        }
        if (end + 4 > o.max_header_bytes) {
          Reject(c, 431, "request head over " + std::to_string(o.max_header_bytes) + " bytes\n", "too_large");
          return false;
        }
        if (!ParseHead(std::string_view(c.buffer).substr(0, end + 2), &c.request)) {
          Reject(c, 400, "malformed request\n", "bad_request");
          return false;
        }
        c.head_end = end + 4;
        if (!c.request.Header("Transfer-Encoding").empty()) {
          Reject(c, 411, "send a Content-Length\n", "bad_request");
          return false;
        }
        std::string length = c.request.Header("Content-Length");
        if (!length.empty()) {
          if (length.size() > 12 || length.find_first_not_of("0123456789") != std::string::npos) {
            Reject(c, 400, "malformed Content-Length\n", "bad_request");
            return false;
          }
          c.body_length = std::stoull(length);
        }
        if (c.body_length > o.max_body_bytes) {
          Reject(c, 413, "body over " + std::to_string(o.max_body_bytes) + " bytes\n", "too_large");
          return false;
        }
        c.deadline = SteadyClock::now() + o.body_timeout;
        // curl asks before a large body; the forges send it at once.
        if (strcasecmp(c.request.Header("Expect").c_str(), "100-continue") == 0 && c.body_length > 0 &&
            c.buffer.size() < c.head_end + c.body_length) {
          static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
          (void)send(c.fd, kContinue, sizeof kContinue - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        }
      }
      if (c.buffer.size() >= c.head_end + c.body_length) {
        c.request.body = c.buffer.substr(c.head_end, c.body_length);
        Enqueue(c);
        return !c.draining;
      }
    }
  }

  void Enqueue(Conn& c) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (queue.size() < o.max_queued) {
        queue.push_back({c.fd, std::move(c.request)});
        cv.notify_one();
        return;
      }
    }
    Reject(c, 503, "busy\n", "busy");
  }

  void ReadLoop() {
    std::vector<pollfd> fds;
    while (true) {
      fds.clear();
      fds.push_back({wake_fd, POLLIN, 0});
      fds.push_back({listen_fd, POLLIN, 0});
      auto now = SteadyClock::now();
      auto next = now + std::chrono::seconds(60);
      for (const Conn& c : conns) {
        fds.push_back({c.fd, POLLIN, 0});
        next = std::min(next, c.deadline);
      }
      int timeout = static_cast<int>(
          std::max<long>(0, std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count() + 1));
      if (poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) continue;
      if (fds[0].revents) return;  // Stop()
      size_t i = 2;
      now = SteadyClock::now();
      for (auto it = conns.begin(); it != conns.end(); ++i) {
        bool done;
        if (fds[i].revents)
          done = Read(*it);
        else if (now >= it->deadline) {
          // A slow client gets a word, not a wait; a drained one has had its answer.
          if (!it->draining) {
            static const char kTimeout[] = "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n";
            (void)send(it->fd, kTimeout, sizeof kTimeout - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
            Refused("timeout", it->request.path);
          }
          close(it->fd);
          done = true;
        } else {
          done = false;
        }
        it = done ? conns.erase(it) : std::next(it);
      }
      if (fds[1].revents) Accept();
    }
  }

  void WorkLoop() {
    while (true) {
      Ready w;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return stopping || !queue.empty(); });
        if (queue.empty()) return;
        w = std::move(queue.front());
        queue.pop_front();
      }
      ServerResponse res;
      auto path = routes.find(w.request.path);
      if (path == routes.end()) {
        res = {404, "text/plain", "not found\n"};
      } else if (auto h = path->second.find(w.request.method); h == path->second.end()) {
        res = {405, "text/plain", "method not allowed\n"};
      } else {
        h->second(w.request, res);
      }
      SendAll(w.fd, Serialize(res), SteadyClock::now() + o.write_timeout);
      shutdown(w.fd, SHUT_WR);
      close(w.fd);
    }
  }
};

HttpServer::HttpServer(HttpServerOptions options) : impl_(std::make_unique<Impl>()) { impl_->o = std::move(options); }

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Handle(const std::string& method, const std::string& path, Handler handler) {
  impl_->routes[path][method] = std::move(handler);
}

Status HttpServer::Listen(const std::string& address) {
  WARREN_ASSIGN_OR_RETURN(auto host_port, ParseListenAddress(address));
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string port = std::to_string(host_port.second);
  if (int rc = getaddrinfo(host_port.first.c_str(), port.c_str(), &hints, &found); rc != 0)
    return Status::Invalid("listen on " + address + ": " + gai_strerror(rc));
  int fd = socket(found->ai_family, found->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, found->ai_protocol);
  int one = 1;
  bool ok = fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
            bind(fd, found->ai_addr, found->ai_addrlen) == 0 && listen(fd, 1024) == 0;
  freeaddrinfo(found);
  if (!ok) {
    std::string why = strerror(errno);
    if (fd >= 0) close(fd);
    return Status::Unavailable("cannot listen on " + address + ": " + why);
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  impl_->port = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                  : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  impl_->listen_fd = fd;
  impl_->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  Impl* impl = impl_.get();
  impl->reader = std::thread([impl] { impl->ReadLoop(); });
  for (int i = 0; i < std::max(1, impl->o.workers); ++i) impl->workers.emplace_back([impl] { impl->WorkLoop(); });
  return Status::Ok();
}

int HttpServer::port() const { return impl_->port; }

void HttpServer::Stop() {
  Impl* impl = impl_.get();
  if (impl->listen_fd < 0) return;
  uint64_t one = 1;
  (void)write(impl->wake_fd, &one, sizeof one);
  if (impl->reader.joinable()) impl->reader.join();
  {
    std::lock_guard<std::mutex> lock(impl->mu);
    impl->stopping = true;
  }
  impl->cv.notify_all();
  for (auto& w : impl->workers) w.join();  // each finishes the queue first
  impl->workers.clear();
  for (auto& c : impl->conns) close(c.fd);
  impl->conns.clear();
  close(impl->listen_fd);
  close(impl->wake_fd);
  impl->listen_fd = impl->wake_fd = -1;
}

}  // namespace warren::net
