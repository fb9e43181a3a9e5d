// HttpSink: alerts POSTed in batches to an HTTP(S) endpoint (Boost.Beast,
// TLS via OpenSSL). Presets shape the request:
//   webhook        a JSON array of alerts (Content-Type: application/json)
//   webhook_ndjson one alert per line (application/x-ndjson)
//   elasticsearch  the _bulk API ({"index":{"_id":ALERT_ID}} + document per
//                  alert; the id makes retries idempotent); OpenSearch too
//   splunk_hec     HTTP Event Collector events (Authorization: Splunk TOKEN)
//
// Delivery: asynchronous. WriteAsync() serializes the alert on the caller's
// thread and queues it. The queue is bounded (queue_max_alerts). By default
// (enqueue_timeout_ms < 0) nothing is refused for want of room: the writer
// waits in WaitForRoom() before it produces (a Kafka worker before each
// batch, outside its lock), which holds the source back and loses nothing;
// WriteAsync() never waits and accepts the alerts of the batches under way
// past the bound (at most what the workers' current batches raise: 1,000
// messages each). With enqueue_timeout_ms >= 0 a full
// queue makes WriteAsync() wait that long, then refuse the alert: counted,
// logged once until the queue has room, and its offset committed.
// Interrupt() ends every wait at shutdown. Destruction flushes for at most
// flush_timeout_ms (counted from Interrupt(), when called), then cuts off
// the request under way and gives up what is left: done(false), counted in
// `failed`, logged once with the count (in Kafka mode after the last commit,
// so those messages are read again after a restart). One sender thread batches (up to
// batch_max_alerts / batch_max_bytes, waiting at most linger_ms for a batch to fill) and POSTs. An
// alert's callback says delivered only after a 2xx response (for _bulk: after its own item
// succeeded). Connection errors, timeouts, 408, 429 and 5xx (and retryable _bulk items) are retried
// with exponential backoff and full jitter, up to max_retries (0 = for as long as the sink lives);
// other 4xx answers fail the batch at once (done(false), counted).
//
// Thread-safety: every method may be called from any thread. Callbacks run on
// the sender thread (or the caller's, when the sink is destroyed with alerts
// still queued: they are resolved with done(false)).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/log_throttle.h"
#include "sinks/sink.h"

namespace loghunt {

enum class HttpPreset : uint8_t { kWebhook, kWebhookNdjson, kElasticsearch, kSplunkHec };
bool ParseHttpPreset(std::string_view name, HttpPreset* preset);

// True when `url` is one the sink can use (http:// or https://, a host, a
// port in range, no user:password@); *error says why not (check-config).
bool CheckHttpUrl(std::string_view url, std::string* error);
// True when `path` holds certificates a TLS client can trust (PEM); *error
// says why not (check-config: a DER, empty or non-certificate file passed it,
// and the sink then failed at start without naming the file).
bool CheckCaFile(const std::string& path, std::string* error);

struct HttpSinkOptions {
  std::string url;  // http://host[:port]/path or https://...
  HttpPreset preset = HttpPreset::kWebhook;
  AlertFormat format = AlertFormat::kJson;
  std::vector<std::pair<std::string, std::string>> headers;  // extra request headers
  // splunk_hec: the HEC token ("Authorization: Splunk TOKEN"); other presets:
  // a bearer token ("Authorization: Bearer TOKEN"). Empty = none.
  std::string token;
  std::string index;  // elasticsearch _index / splunk_hec index ("" = the endpoint's default)
  size_t batch_max_alerts = 500;
  size_t batch_max_bytes = 4 << 20;
  int linger_ms = 200;
  size_t queue_max_alerts = 10000;
  int enqueue_timeout_ms = -1;  // < 0: wait for room (WaitForRoom) as long as the sink runs
  int timeout_ms = 10000;       // connect, TLS handshake, write and read, each
  int retry_initial_ms = 200;
  int retry_max_ms = 30000;
  int max_retries = 0;  // 0 = retry for as long as the sink lives
  int flush_timeout_ms = 30000;
  bool tls_verify = true;
  std::string ca_file;  // "" = the system's trust store
};

// Counters, for metrics and tests.
struct HttpSinkStats {
  uint64_t requests = 0;
  uint64_t request_failures = 0;  // attempts that will be (or were) retried or failed
  uint64_t retries = 0;
  uint64_t delivered = 0;
  uint64_t failed = 0;   // given up: permanent error, max_retries, shutdown
  uint64_t refused = 0;  // WriteAsync() refused: queue full past enqueue_timeout_ms
};

class HttpSink : public AlertSink {
 public:
  // nullptr + *error for a bad URL or TLS setup.
  static std::unique_ptr<HttpSink> Create(HttpSinkOptions options, std::string* error);
  ~HttpSink() override;

  std::string_view name() const override { return "http"; }
  bool async() const override { return true; }
  // Queues the alert and waits until it is delivered or given up.
  bool Write(const Alert& alert) override;
  bool WriteAsync(const Alert& alert, DeliveryCallback done) override;
  // Sends what is queued now and waits (up to flush_timeout_ms) until every
  // accepted alert is resolved. False when that timed out or an alert failed
  // since the previous Flush().
  bool Flush() override;
  bool FlushWithin(int timeout_ms) override;
  size_t queue_depth() const override;
  uint64_t delivery_failures() const override;
  uint64_t request_failures() const override { return stats().request_failures; }
  uint64_t retries() const override { return stats().retries; }
  // Drops the kept-alive connection so the next batch reconnects.
  void Reopen() override;
  void Interrupt() override;
  bool WaitForRoom(int timeout_ms) override;
  void Close() override;

  HttpSinkStats stats() const;

 private:
  struct Item {
    std::string doc;  // the alert in the configured format
    std::string id;
    DeliveryCallback done;
  };
  class Client;

  explicit HttpSink(HttpSinkOptions options);
  void SenderLoop();
  // Delivers `batch`, retrying (in halves after an HTTP 413); resolves every
  // callback.
  void SendBatch(std::vector<Item>& batch);
  void BuildBody(const std::vector<Item>& batch, std::string* body) const;
  // Sleeps the backoff for `attempt`; false when the sink is being destroyed.
  // Waits before retry `attempt` (jittered exponential backoff, at least
  // `at_least_ms`: the server's Retry-After); false when stopping.
  bool Backoff(int attempt, int64_t at_least_ms = -1);
  static constexpr int64_t kMaxRetryAfterMs = 300'000;
  void Resolve(std::vector<Item>& items, bool delivered);

  HttpSinkOptions options_;
  std::string shown_url_;  // for logs: scheme, host and port only
  std::unique_ptr<Client> client_;
  LogThrottle split_log_;  // HTTP 413: a batch sent again in halves

  mutable std::mutex mu_;
  std::condition_variable cv_;       // sender: work arrived, flush requested, stop
  std::condition_variable idle_cv_;  // producers: space freed, batch resolved
  std::deque<Item> queue_;
  size_t in_flight_ = 0;
  int flush_requests_ = 0;
  bool stopping_ = false;
  // Set with stopping_: the request under way is cut off (Client).
  std::atomic<bool> giving_up_{false};
  uint64_t given_up_at_stop_ = 0;  // logged once, at destruction
  std::atomic<bool> reconnect_{false};
  HttpSinkStats stats_;
  bool refusing_ = false;     // the last WriteAsync was refused (logged once per episode)
  bool interrupted_ = false;  // Interrupt(): accept without waiting for room
  std::chrono::steady_clock::time_point interrupt_deadline_;  // for every Flush() after it
  uint64_t failed_at_last_flush_ = 0;
  std::thread sender_;
  bool closed_ = false;  // Close()
};

}  // namespace loghunt
