#include "sinks/http_sink.h"

#include <openssl/ssl.h>
#include <rapidjson/document.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <cmath>
#include <future>
#include <optional>
#include <random>

#include "core/json_out.h"
#include "core/serialize.h"
#include "core/text.h"
#include "sinks/ocsf.h"

namespace loghunt {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

bool ParseHttpPreset(std::string_view name, HttpPreset* preset) {
  if (name == "webhook") {
    *preset = HttpPreset::kWebhook;
  } else if (name == "webhook_ndjson") {
    *preset = HttpPreset::kWebhookNdjson;
  } else if (name == "elasticsearch" || name == "opensearch") {
    *preset = HttpPreset::kElasticsearch;
  } else if (name == "splunk_hec") {
    *preset = HttpPreset::kSplunkHec;
  } else {
    return false;
  }
  return true;
}

namespace {

struct Url {
  bool tls = false;
  std::string host;
  std::string port;
  std::string target;
  std::string host_header;  // host, [v6] bracketed, with a port that is not the scheme's
};

bool ParseUrl(std::string_view url, Url* out, std::string* error) {
  std::string_view rest;
  if (url.substr(0, 7) == "http://") {
    rest = url.substr(7);
  } else if (url.substr(0, 8) == "https://") {
    out->tls = true;
    rest = url.substr(8);
  } else {
    *error = "url must start with http:// or https://";
    return false;
  }
  rest = rest.substr(0, rest.find('#'));  // a fragment is not sent
  size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  out->target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (out->target[0] == '?') out->target.insert(0, "/");
  if (authority.find('@') != std::string_view::npos) {
    // It was taken for part of the host name: every request failed to
    // resolve, retried for ever, with the password in every log line.
    *error =
        "url: credentials in the url (user:password@host) are not supported; use token: or "
        "headers: {Authorization: ...} (both read ${env:NAME} and ${file:PATH})";
    return false;
  }
  std::string_view host = authority, port;
  bool v6 = false;
  if (!authority.empty() && authority[0] == '[') {  // [IPv6]:port
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      *error = "url has an unclosed [ in its host";
      return false;
    }
    v6 = true;
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':')
      port = authority.substr(close + 2);
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) {
    *error = "url has no host";
    return false;
  }
  if (!port.empty()) {
    auto p = ParseInt(port);
    if (!p || *p < 1 || *p > 65535) {
      *error = "url has a bad port";
      return false;
    }
  }
  out->host = std::string(host);
  const std::string_view default_port = out->tls ? "443" : "80";
  out->port = port.empty() ? std::string(default_port) : std::string(port);
  // RFC 9110 7.2: the port unless it is the scheme's (virtual hosts on
  // another port were not found).
  out->host_header = v6 ? "[" + out->host + "]" : out->host;
  if (out->port != default_port) out->host_header += ":" + out->port;
  return true;
}

}  // namespace

bool CheckHttpUrl(std::string_view url, std::string* error) {
  Url parsed;
  return ParseUrl(url, &parsed, error);
}

bool CheckCaFile(const std::string& path, std::string* error) {
  asio::ssl::context ssl(asio::ssl::context::tls_client);
  beast::error_code ec;
  ssl.load_verify_file(path, ec);
  if (ec) *error = "no PEM certificate could be read from " + path + " (" + ec.message() + ")";
  return !ec;
}

namespace {

bool Retryable(int status) { return status == 408 || status == 429 || status >= 500; }

}  // namespace

// One kept-alive HTTP(S) connection, used by the sender thread only. Each
// step runs as an Asio async operation with a deadline on a private
// io_context, so a silent peer costs at most timeout_ms per step; once
// `abort` is set (the sink gives up at shutdown) the step under way ends
// within kAbortPollMs and no other starts.
class HttpSink::Client {
 public:
  Client(Url url, const HttpSinkOptions& options, const std::atomic<bool>& abort)
      : url_(std::move(url)),
        options_(options),
        abort_(abort),
        ssl_(asio::ssl::context::tls_client) {}

  bool InitTls(std::string* error) {
    if (!url_.tls) return true;
    beast::error_code ec;
    ssl_.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                     asio::ssl::context::no_tlsv1_1);
    if (options_.tls_verify) {
      if (options_.ca_file.empty()) {
        ssl_.set_default_verify_paths(ec);
      } else {
        ssl_.load_verify_file(options_.ca_file, ec);
      }
      if (ec) {
        *error = "TLS trust store " + (options_.ca_file.empty() ? "(system)" : options_.ca_file) +
                 ": " + ec.message();
        return false;
      }
      ssl_.set_verify_mode(asio::ssl::verify_peer);
    } else {
      ssl_.set_verify_mode(asio::ssl::verify_none);
    }
    return true;
  }

  void Close() {
    if (tls_) {
      beast::error_code ec;
      beast::get_lowest_layer(*tls_).socket().close(ec);
      tls_.reset();
    }
    if (tcp_) {
      beast::error_code ec;
      tcp_->socket().close(ec);
      tcp_.reset();
    }
  }

  // POSTs `body`; returns the HTTP status, or -1 with *error on a transport
  // failure (the connection is then closed).
  // `retry_after_ms` gets the answer's Retry-After in ms (delay-seconds
  // form), -1 when it has none.
  int Post(const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body,
           std::string* response_body, int64_t* retry_after_ms, std::string* error) {
    *retry_after_ms = -1;
    http::request<http::string_body> req{http::verb::post, url_.target, 11};
    req.set(http::field::host, url_.host_header);
    req.set(http::field::user_agent, "loghuntd");
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    // A kept-alive connection the server has closed meanwhile fails at once:
    // once more on a new connection, without counting it as a failure.
    for (int attempt = 0;; ++attempt) {
      const bool reused = tcp_ || tls_;
      if (!reused && !Connect(error)) {
        Close();
        return -1;
      }
      // Bodies up to 64 MiB (Beast's default of 8 MiB made a large _bulk
      // answer a transport error, and the delivered batch was sent again).
      std::optional<http::response_parser<http::string_body>> parser;
      beast::flat_buffer buffer;
      beast::error_code ec;
      auto read = [&] {
        parser.emplace();
        parser->body_limit(64ULL << 20);
        if (tls_) {
          ec = Run([&](auto handler) { http::async_read(*tls_, buffer, *parser, handler); }, *tls_);
        } else {
          ec = Run([&](auto handler) { http::async_read(*tcp_, buffer, *parser, handler); }, *tcp_);
        }
      };
      if (tls_) {
        ec = Run([&](auto handler) { http::async_write(*tls_, req, handler); }, *tls_);
      } else {
        ec = Run([&](auto handler) { http::async_write(*tcp_, req, handler); }, *tcp_);
      }
      if (!ec) read();
      // An interim answer (100 Continue, 103 Early Hints) comes before the
      // final one (RFC 9110 15.2): it was taken for a refusal.
      for (int interim = 0; !ec && parser->get().result_int() / 100 == 1; ++interim) {
        if (interim == kMaxInterimAnswers) {
          // Not taken for the final answer (which would then be left unread
          // on the connection for the next request): the request failed.
          Close();
          *error = "more than " + std::to_string(kMaxInterimAnswers) + " interim (1xx) answers";
          return -1;
        }
        read();
      }
      if (ec) {
        Close();
        if (reused && attempt == 0 &&
            (ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
             ec == asio::error::broken_pipe || ec == asio::error::eof)) {
          continue;
        }
        *error = ec.message();
        return -1;
      }
      http::response<http::string_body> res = parser->release();
      if (!res.keep_alive()) Close();
      if (auto it = res.find(http::field::retry_after); it != res.end()) {
        if (auto seconds = ParseInt(Trim(std::string_view(it->value().data(), it->value().size())));
            seconds && *seconds >= 0) {
          *retry_after_ms = std::min<int64_t>(*seconds, 86'400) * 1000;
        }
      }
      *response_body = std::move(res.body());
      return static_cast<int>(res.result_int());
    }
  }

 private:
  static constexpr int kAbortPollMs = 50;
  static constexpr int kMaxInterimAnswers = 8;

  // Starts one async operation, runs the io_context until it completes.
  template <typename Start, typename Stream>
  beast::error_code Run(Start start, Stream& stream) {
    if (abort_) return asio::error::operation_aborted;
    auto& lowest = beast::get_lowest_layer(stream);
    lowest.expires_after(std::chrono::milliseconds(options_.timeout_ms));
    beast::error_code result = asio::error::would_block;
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc_.restart();
    bool closed = false;
    while (!ioc_.stopped()) {  // stopped: out of work, the operation completed
      ioc_.run_for(std::chrono::milliseconds(kAbortPollMs));
      if (abort_ && !closed && !ioc_.stopped()) {
        lowest.close();  // the operation completes with operation_aborted
        closed = true;
      }
    }
    return result;
  }

  bool Connect(std::string* error) {
    beast::error_code ec;
    tcp::resolver resolver(ioc_);
    auto endpoints = resolver.resolve(url_.host, url_.port, ec);
    if (ec) {
      *error = "resolve " + url_.host + ": " + ec.message();
      return false;
    }
    if (url_.tls) {
      tls_.emplace(ioc_, ssl_);
      if (!SSL_set_tlsext_host_name(tls_->native_handle(), url_.host.c_str())) {
        *error = "TLS SNI setup failed";
        return false;
      }
      if (options_.tls_verify) {
        tls_->set_verify_callback(asio::ssl::host_name_verification(url_.host));
      }
      auto& lowest = beast::get_lowest_layer(*tls_);
      ec = Run([&](auto handler) { lowest.async_connect(endpoints, handler); }, lowest);
      if (!ec) {
        ec = Run(
            [&](auto handler) { tls_->async_handshake(asio::ssl::stream_base::client, handler); },
            *tls_);
      }
    } else {
      tcp_.emplace(ioc_);
      ec = Run([&](auto handler) { tcp_->async_connect(endpoints, handler); }, *tcp_);
    }
    if (ec) {
      *error = "connect " + url_.host + ":" + url_.port + ": " + ec.message();
      return false;
    }
    return true;
  }

  Url url_;
  const HttpSinkOptions& options_;
  const std::atomic<bool>& abort_;
  asio::io_context ioc_;
  asio::ssl::context ssl_;
  std::optional<beast::tcp_stream> tcp_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
};

std::unique_ptr<HttpSink> HttpSink::Create(HttpSinkOptions options, std::string* error) {
  Url url;
  if (!ParseUrl(options.url, &url, error)) return nullptr;
  if (options.batch_max_alerts == 0) options.batch_max_alerts = 1;
  if (options.queue_max_alerts == 0) options.queue_max_alerts = 1;
  std::unique_ptr<HttpSink> sink(new HttpSink(std::move(options)));
  // Logs name the endpoint without its path and query: a webhook's secret
  // is often there (Slack, Teams, query api keys).
  sink->shown_url_ =
      (url.tls ? "https://" : "http://") + url.host_header + (url.target == "/" ? "/" : "/...");
  const bool unverified = url.tls && !sink->options_.tls_verify;
  sink->client_ = std::make_unique<Client>(std::move(url), sink->options_, sink->giving_up_);
  if (!sink->client_->InitTls(error)) return nullptr;
  if (unverified) {
    spdlog::warn("sink http: {}: tls_verify is false: the server's certificate is not checked",
                 sink->shown_url_);
  }
  sink->sender_ = std::thread([s = sink.get()] { s->SenderLoop(); });
  return sink;
}

HttpSink::HttpSink(HttpSinkOptions options) : options_(std::move(options)) {}

HttpSink::~HttpSink() { Close(); }

void HttpSink::Close() {
  if (closed_) return;
  closed_ = true;
  // The shutdown flush is bounded by flush_timeout_ms (from Interrupt(), when
  // called): then the request under way is cut off and nothing more is sent.
  // The sender took batch after batch and made a full attempt at each (224 s
  // to stop with an endpoint that accepts and never answers, in a review).
  if (sender_.joinable()) {
    Flush();
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      giving_up_ = true;
    }
    cv_.notify_all();
    sender_.join();
  }
  std::vector<Item> left(std::make_move_iterator(queue_.begin()),
                         std::make_move_iterator(queue_.end()));
  queue_.clear();
  {
    std::lock_guard lock(mu_);
    stats_.failed += left.size();
  }
  given_up_at_stop_ += left.size();
  if (given_up_at_stop_ > 0) {
    spdlog::error(
        "sink http: {}: stopping: {} alert(s) undelivered after the {} ms flush, given up",
        shown_url_, given_up_at_stop_, options_.flush_timeout_ms);
  }
  Resolve(left, false);
}

bool HttpSink::WriteAsync(const Alert& alert, DeliveryCallback done) {
  Item item;
  if (options_.format == AlertFormat::kText && options_.preset != HttpPreset::kWebhookNdjson) {
    // Text lines go into JSON bodies as strings.
    std::string text;
    AppendAlertText(alert, &text);
    if (options_.preset == HttpPreset::kElasticsearch) {
      item.doc = "{\"message\":";
      json::AppendString(text, &item.doc);
      item.doc += '}';
    } else {
      json::AppendString(text, &item.doc);
    }
  } else {
    AppendAlertFormatted(alert, options_.format, &item.doc);
  }
  if (options_.preset == HttpPreset::kSplunkHec) {
    std::string event = "{\"time\":";
    event += std::to_string(alert.time_ns / 1'000'000'000) + "." +
             std::to_string(1000 + (alert.time_ns / 1'000'000) % 1000).substr(1);
    if (!alert.host.empty()) {
      event += ",\"host\":";
      json::AppendString(alert.host, &event);
    }
    event += ",\"source\":\"loghuntd\",\"sourcetype\":\"loghunt:alert\"";
    if (!options_.index.empty()) {
      event += ",\"index\":";
      json::AppendString(options_.index, &event);
    }
    event += ",\"event\":";
    event += item.doc;
    event += '}';
    item.doc = std::move(event);
  }
  item.id = alert.id;
  item.done = std::move(done);
  std::unique_lock lock(mu_);
  bool timed_out = false;
  // By default (enqueue_timeout_ms < 0) no wait here: the writer waited for
  // room before its batch (WaitForRoom, outside the Kafka worker's lock), and
  // the alerts of the batch are taken past the bound. Waiting here, as it did
  // beyond 10,000 more, held the worker's lock, and with it commits,
  // rebalances and the systemd watchdog, for as long as the endpoint was away.
  if (options_.enqueue_timeout_ms >= 0) {
    auto ready = [&] {
      return stopping_ || interrupted_ || queue_.size() < options_.queue_max_alerts;
    };
    timed_out =
        !idle_cv_.wait_for(lock, std::chrono::milliseconds(options_.enqueue_timeout_ms), ready);
  }
  // Interrupted with the queue still full: accepted past the bound (see
  // AlertSink::Interrupt).
  if (timed_out || stopping_) {
    ++stats_.refused;
    if (!refusing_ && !stopping_) {
      spdlog::error("sink http: {}: queue full for {} ms, refusing alerts until it has room",
                    shown_url_, options_.enqueue_timeout_ms);
    }
    refusing_ = true;
    return false;
  }
  if (refusing_) {
    spdlog::info("sink http: {}: queue has room again ({} alert(s) refused so far)", shown_url_,
                 stats_.refused);
    refusing_ = false;
  }
  queue_.push_back(std::move(item));
  if (queue_.size() >= options_.batch_max_alerts || queue_.size() == 1) cv_.notify_all();
  return true;
}

bool HttpSink::Write(const Alert& alert) {
  // Shared with the callback: after Interrupt() this returns before the
  // alert is resolved (it is given up when the sink is destroyed).
  auto result = std::make_shared<std::promise<bool>>();
  auto future = result->get_future();
  if (!WriteAsync(alert, [result](bool ok) { result->set_value(ok); })) return false;
  {
    // A synchronous caller should not wait for the batch to fill.
    std::lock_guard lock(mu_);
    ++flush_requests_;
  }
  cv_.notify_all();
  bool ok = false;
  while (true) {
    if (future.wait_for(std::chrono::milliseconds(100)) == std::future_status::ready) {
      ok = future.get();
      break;
    }
    std::lock_guard lock(mu_);
    if (interrupted_) break;  // not delivered (yet): a failed write
  }
  std::lock_guard lock(mu_);
  --flush_requests_;
  return ok;
}

bool HttpSink::Flush() { return FlushWithin(options_.flush_timeout_ms); }

bool HttpSink::FlushWithin(int timeout_ms) {
  std::unique_lock lock(mu_);
  ++flush_requests_;
  cv_.notify_all();
  // After Interrupt() every flush ends by the same deadline, flush_timeout_ms
  // after the interruption: a stop flushes each pipeline in turn, and an
  // endpoint that is away must not cost the timeout once per pipeline.
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(std::min<int64_t>(
                                             options_.flush_timeout_ms, std::max(timeout_ms, 0)));
  if (interrupted_) deadline = std::min(deadline, interrupt_deadline_);
  bool drained =
      idle_cv_.wait_until(lock, deadline, [&] { return queue_.empty() && in_flight_ == 0; });
  --flush_requests_;
  bool clean = stats_.failed == failed_at_last_flush_;
  failed_at_last_flush_ = stats_.failed;
  return drained && clean;
}

size_t HttpSink::queue_depth() const {
  std::lock_guard lock(mu_);
  return queue_.size() + in_flight_;
}

uint64_t HttpSink::delivery_failures() const {
  std::lock_guard lock(mu_);
  return stats_.failed;
}

HttpSinkStats HttpSink::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void HttpSink::Reopen() { reconnect_ = true; }

bool HttpSink::WaitForRoom(int timeout_ms) {
  if (options_.enqueue_timeout_ms >= 0) return true;  // WriteAsync waits, then refuses
  std::unique_lock lock(mu_);
  return idle_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] {
    return stopping_ || interrupted_ || queue_.size() < options_.queue_max_alerts;
  });
}

void HttpSink::Interrupt() {
  {
    std::lock_guard lock(mu_);
    if (!interrupted_) {
      interrupt_deadline_ =
          std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.flush_timeout_ms);
    }
    interrupted_ = true;
  }
  idle_cv_.notify_all();
}

void HttpSink::SenderLoop() {
  std::vector<Item> batch;
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    // Stopping: the flush had its time; what is queued is given up.
    if (stopping_) break;
    // Linger so a batch can fill, unless someone waits for the queue.
    cv_.wait_for(lock, std::chrono::milliseconds(options_.linger_ms), [&] {
      return stopping_ || flush_requests_ > 0 || queue_.size() >= options_.batch_max_alerts;
    });
    size_t bytes = 0;
    batch.clear();
    while (!queue_.empty() && batch.size() < options_.batch_max_alerts &&
           (batch.empty() || bytes + queue_.front().doc.size() <= options_.batch_max_bytes)) {
      bytes += queue_.front().doc.size() + 1;
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    in_flight_ += batch.size();
    size_t n = batch.size();
    lock.unlock();
    idle_cv_.notify_all();  // queue space freed
    SendBatch(batch);
    lock.lock();
    in_flight_ -= n;
    idle_cv_.notify_all();
  }
  lock.unlock();
  client_->Close();
}

void HttpSink::BuildBody(const std::vector<Item>& batch, std::string* body) const {
  body->clear();
  switch (options_.preset) {
    case HttpPreset::kWebhook:
      body->push_back('[');
      for (size_t i = 0; i < batch.size(); ++i) {
        if (i > 0) body->push_back(',');
        body->append(batch[i].doc);
      }
      body->push_back(']');
      break;
    case HttpPreset::kWebhookNdjson:
      for (const Item& item : batch) body->append(item.doc).push_back('\n');
      break;
    case HttpPreset::kElasticsearch:
      for (const Item& item : batch) {
        body->append("{\"index\":{");
        if (!options_.index.empty()) {
          body->append("\"_index\":");
          json::AppendString(options_.index, body);
          body->push_back(',');
        }
        body->append("\"_id\":");
        json::AppendString(item.id, body);
        body->append("}}\n");
        body->append(item.doc).push_back('\n');
      }
      break;
    case HttpPreset::kSplunkHec:
      for (const Item& item : batch) body->append(item.doc);
      break;
  }
}

void HttpSink::Resolve(std::vector<Item>& items, bool delivered) {
  for (Item& item : items) {
    if (item.done) item.done(delivered);
  }
  items.clear();
}

bool HttpSink::Backoff(int attempt, int64_t at_least_ms) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  double cap =
      static_cast<double>(options_.retry_initial_ms) * std::pow(2.0, std::min(attempt - 1, 30));
  cap = std::min(cap, static_cast<double>(options_.retry_max_ms));
  // Full jitter: daemons that lost the same peer do not come back in step.
  double ms = std::uniform_real_distribution<double>(cap / 2, cap)(rng);
  ms = std::max(ms, static_cast<double>(at_least_ms));
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, std::chrono::microseconds(static_cast<int64_t>(ms * 1000)),
                       [&] { return stopping_; });
}

void HttpSink::SendBatch(std::vector<Item>& batch) {
  std::vector<std::pair<std::string, std::string>> headers;
  switch (options_.preset) {
    case HttpPreset::kWebhook:
    case HttpPreset::kSplunkHec:
      headers.emplace_back("Content-Type", "application/json");
      break;
    case HttpPreset::kWebhookNdjson:
    case HttpPreset::kElasticsearch:
      headers.emplace_back("Content-Type", "application/x-ndjson");
      break;
  }
  if (!options_.token.empty()) {
    headers.emplace_back(
        "Authorization",
        (options_.preset == HttpPreset::kSplunkHec ? "Splunk " : "Bearer ") + options_.token);
  }
  for (const auto& h : options_.headers) headers.push_back(h);

  std::string body, response, error;
  std::vector<Item> done_ok, failed;
  for (int attempt = 1; !batch.empty(); ++attempt) {
    if (reconnect_.exchange(false)) client_->Close();
    BuildBody(batch, &body);
    int64_t retry_after_ms = -1;
    int status = client_->Post(headers, body, &response, &retry_after_ms, &error);
    bool retry = false;
    {
      std::lock_guard lock(mu_);
      ++stats_.requests;
    }
    if (status >= 200 && status < 300 && options_.preset == HttpPreset::kElasticsearch) {
      // _bulk answers 200 even when items failed: look at each item.
      rapidjson::Document doc;
      doc.Parse(response.data(), response.size());
      bool errors = !doc.HasParseError() && doc.IsObject() && doc.HasMember("errors") &&
                    doc["errors"].IsTrue();
      if (errors && doc.HasMember("items") && doc["items"].IsArray() &&
          doc["items"].Size() == batch.size()) {
        std::vector<Item> again;
        for (size_t i = 0; i < batch.size(); ++i) {
          const auto& item = doc["items"][static_cast<rapidjson::SizeType>(i)];
          int item_status = 500;
          if (item.IsObject() && item.MemberCount() == 1 && item.MemberBegin()->value.IsObject() &&
              item.MemberBegin()->value.HasMember("status") &&
              item.MemberBegin()->value["status"].IsInt()) {
            item_status = item.MemberBegin()->value["status"].GetInt();
          }
          if (item_status >= 200 && item_status < 300) {
            done_ok.push_back(std::move(batch[i]));
          } else if (Retryable(item_status)) {
            again.push_back(std::move(batch[i]));
          } else {
            spdlog::warn("sink http: _bulk item {} rejected with status {}", batch[i].id,
                         item_status);
            failed.push_back(std::move(batch[i]));
          }
        }
        batch = std::move(again);
        retry = !batch.empty();
        error = "_bulk items to retry";
      } else if (errors) {
        retry = true;  // cannot tell which items failed: all again (ids make it idempotent)
        error = "_bulk reported errors";
      } else {
        for (Item& item : batch) done_ok.push_back(std::move(item));
        batch.clear();
      }
    } else if (status >= 200 && status < 300) {
      for (Item& item : batch) done_ok.push_back(std::move(item));
      batch.clear();
    } else if (status < 0 || Retryable(status)) {
      retry = true;
      if (status > 0) error = "HTTP " + std::to_string(status);
    } else if (status == 413 && batch.size() > 1) {
      // Too large for the endpoint (nginx's client_max_body_size is 1 MiB by
      // default, batch_max_bytes 4 MiB): each half on its own, down to single
      // alerts. The whole batch was given up, though each alert fitted.
      {
        std::lock_guard lock(mu_);
        ++stats_.request_failures;
      }
      uint64_t held_back = 0;
      if (split_log_.Allow(&held_back)) {
        spdlog::warn(
            "sink http: {}: HTTP 413 for {} alert(s) in {} bytes: sent again in halves (lower "
            "batch_max_bytes; {} more since the last message)",
            shown_url_, batch.size(), body.size(), held_back);
      }
      const auto half = static_cast<std::ptrdiff_t>(batch.size() / 2);
      std::vector<Item> rest(std::make_move_iterator(batch.begin() + half),
                             std::make_move_iterator(batch.end()));
      batch.erase(batch.begin() + half, batch.end());
      SendBatch(batch);
      SendBatch(rest);
      return;
    } else {
      spdlog::error("sink http: {} refused {} alert(s): HTTP {} {}", shown_url_, batch.size(),
                    status, Printable(response.substr(0, 200)));  // not a forged log line
      for (Item& item : batch) failed.push_back(std::move(item));
      batch.clear();
    }
    {
      std::lock_guard lock(mu_);
      stats_.delivered += done_ok.size();
      stats_.failed += failed.size();
      if (retry || !failed.empty()) ++stats_.request_failures;
    }
    Resolve(done_ok, true);
    Resolve(failed, false);
    if (!retry) continue;
    if (giving_up_) {  // the request was cut off at shutdown
      std::lock_guard lock(mu_);
      given_up_at_stop_ += batch.size();
      break;
    }
    if (options_.max_retries > 0 && attempt > options_.max_retries) {
      spdlog::error("sink http: {}: giving up {} alert(s) after {} attempts: {}", shown_url_,
                    batch.size(), attempt, error);
      break;
    }
    if (attempt == 1 || attempt % 10 == 0) {
      spdlog::warn("sink http: {}: {} (attempt {}, retrying)", shown_url_, error, attempt);
    }
    // A Retry-After (429, 503) is waited for, up to kMaxRetryAfterMs.
    if (!Backoff(attempt, std::min(retry_after_ms, kMaxRetryAfterMs))) {  // shutting down
      std::lock_guard lock(mu_);
      given_up_at_stop_ += batch.size();
      break;
    }
    std::lock_guard lock(mu_);
    ++stats_.retries;
  }
  if (!batch.empty()) {
    std::lock_guard lock(mu_);
    stats_.failed += batch.size();
  }
  Resolve(batch, false);
}

}  // namespace loghunt
