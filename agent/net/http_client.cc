#include "agent/net/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>

namespace warren::net {
namespace {

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t WriteHeader(char* data, size_t size, size_t n, void* user) {
  std::string line(data, size * n);
  size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    value.erase(value.find_last_not_of(" \t\r\n") + 1);
    (*static_cast<std::map<std::string, std::string>*>(user))[name] = value;
  }
  return size * n;
}

}  // namespace

struct HttpClient::Impl {
  HttpClientOptions options;
  CURL* curl = nullptr;  // kept between requests: libcurl reuses its connections
};

HttpClient::HttpClient(HttpClientOptions options) : impl_(std::make_unique<Impl>()) {
  GlobalInitOnce();
  impl_->options = std::move(options);
  impl_->curl = curl_easy_init();
}

HttpClient::~HttpClient() {
  if (impl_->curl) curl_easy_cleanup(impl_->curl);
}

namespace {

struct StreamState {
  HttpResponse* response;
  const std::function<bool(std::string_view)>* on_data;
  const StopToken* stop;
};

// libcurl calls this about every 100 ms even while no byte moves: a non-zero answer aborts.
int AbortWhenStopped(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const StopToken*>(user)->stop_requested() ? 1 : 0;
}

size_t WriteStream(char* data, size_t size, size_t n, void* user) {
  auto* s = static_cast<StreamState*>(user);
  long code = s->response->status;
  if (code != 0 && code / 100 != 2) {  // an error body is kept whole for the caller
    s->response->body.append(data, size * n);
    return size * n;
  }
  return (*s->on_data)(std::string_view(data, size * n)) ? size * n : 0;
}

// "host:port" of an http(s) URL, for CURLOPT_CONNECT_TO.
std::pair<std::string, std::string> HostPort(const std::string& url) {
  size_t start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  size_t end = url.find('/', start);
  std::string hp = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  size_t colon = hp.rfind(':');
  if (colon == std::string::npos || hp.back() == ']') return {hp, url.rfind("https", 0) == 0 ? "443" : "80"};
  return {hp.substr(0, colon), hp.substr(colon + 1)};
}

}  // namespace

Result<HttpResponse> HttpClient::Send(const HttpRequest& request) { return Perform(request, nullptr); }

Result<HttpResponse> HttpClient::Stream(const HttpRequest& request,
                                        const std::function<bool(std::string_view)>& on_data) {
  return Perform(request, &on_data);
}

Result<HttpResponse> HttpClient::Perform(const HttpRequest& request,
                                         const std::function<bool(std::string_view)>* on_data) {
  CURL* c = impl_->curl;
  if (!c) return Status::Internal("HTTP client: curl_easy_init failed");
  const HttpClientOptions& o = impl_->options;
  curl_easy_reset(c);  // keeps the connection cache, clears per-request options
  HttpResponse response;
  std::string url = request.url;
  curl_slist* connect_to = nullptr;
  if (!o.tls_server_name.empty()) {
    // Ask for the TLS name, connect to the real address.
    auto [host, port] = HostPort(url);
    size_t at = url.find(host);
    url.replace(at, host.size(), o.tls_server_name);
    connect_to = curl_slist_append(nullptr, (o.tls_server_name + ":" + port + ":" + host + ":" + port).c_str());
    curl_easy_setopt(c, CURLOPT_CONNECT_TO, connect_to);
  }
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  if (request.method == "HEAD") curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  if (!request.body.empty() || request.method == "PUT" || request.method == "POST" || request.method == "PATCH") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, o.timeout_ms);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, o.connect_timeout_ms);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  if (!o.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, o.ca_file.c_str());
  curl_blob ca{const_cast<char*>(o.ca_pem.data()), o.ca_pem.size(), CURL_BLOB_NOCOPY};
  if (!o.ca_pem.empty()) curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca);
  curl_blob cert{const_cast<char*>(o.client_cert_pem.data()), o.client_cert_pem.size(), CURL_BLOB_NOCOPY};
  curl_blob key{const_cast<char*>(o.client_key_pem.data()), o.client_key_pem.size(), CURL_BLOB_NOCOPY};
  if (!o.client_cert_pem.empty()) {
    curl_easy_setopt(c, CURLOPT_SSLCERT_BLOB, &cert);
    curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
    curl_easy_setopt(c, CURLOPT_SSLKEY_BLOB, &key);
    curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
  }
  if (o.insecure_skip_verify) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!o.username.empty()) {
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(c, CURLOPT_USERNAME, o.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, o.password.c_str());
  }
  curl_slist* headers = nullptr;
  for (const auto& [k, v] : request.headers) headers = curl_slist_append(headers, (k + ": " + v).c_str());
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip on PUT
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  StreamState stream{&response, on_data, &request.stop};
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, AbortWhenStopped);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &request.stop);
  if (on_data) {
    // A watch lasts as long as the server keeps it: no total timeout, but a stalled stream ends.
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 0L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, std::max(1L, o.timeout_ms / 1000));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, WriteStream);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &stream);
  } else {
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, WriteBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &response.body);
  }
  // The status is known before the body: WriteStream needs it to tell errors from events.
  curl_easy_setopt(
      c, CURLOPT_HEADERFUNCTION, +[](char* data, size_t size, size_t n, void* user) -> size_t {
        auto* s = static_cast<StreamState*>(user);
        std::string line(data, size * n);
        if (line.rfind("HTTP/", 0) == 0) {
          size_t sp = line.find(' ');
          if (sp != std::string::npos) s->response->status = std::atol(line.c_str() + sp + 1);
          s->response->headers.clear();
        }
        return WriteHeader(data, size, n, &s->response->headers);
      });
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &stream);
  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(headers);
  curl_slist_free_all(connect_to);
  if (on_data && rc == CURLE_WRITE_ERROR) rc = CURLE_OK;  // the caller stopped the stream
  if (rc == CURLE_ABORTED_BY_CALLBACK) return Status::Cancelled(request.method + " " + request.url + ": stopped");
  if (rc != CURLE_OK) {
    std::string what = rc == CURLE_OPERATION_TIMEDOUT ? "timed out after " + std::to_string(o.timeout_ms) + " ms"
                                                      : curl_easy_strerror(rc);
    return Status::Unavailable(request.method + " " + request.url + ": " + what);
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

StatusCode StatusCodeForHttp(long status) {
  switch (status) {
    case 400:
    case 422:
      return StatusCode::kInvalidArgument;
    case 401:
      return StatusCode::kUnauthenticated;
    case 403:
      return StatusCode::kForbidden;
    case 404:
      return StatusCode::kNotFound;
    case 409:
      return StatusCode::kConflict;
    case 410:
      return StatusCode::kExpired;
    default:
      return status == 429 || status >= 500 ? StatusCode::kUnavailable : StatusCode::kInternal;
  }
}

std::string EscapePathSegment(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    }
  }
  return out;
}

}  // namespace warren::net
