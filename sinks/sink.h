// AlertSink: delivers alerts somewhere (stdout, file, Kafka, HTTP, syslog).
//
// Synchronous sinks (stdout, file) implement Write(): when it returns true the
// alert is durably handed over and the pipeline may acknowledge the alert's
// source position. A false return means it was not delivered (counted in
// loghunt_sink_errors_total{sink}).
//
// Asynchronous sinks (Kafka) return true from async() and implement
// WriteAsync(): it accepts the alert (or returns false) and later calls
// `done` exactly once, from any thread, when the alert is durably delivered
// (done(true)) or finally given up (done(false)). Until then the source must
// not commit the alert's position.
//
// Flush() pushes out anything buffered (end of replay, shutdown, revocation)
// and, for asynchronous sinks, waits until every accepted alert is resolved
// (up to the sink's flush timeout); FlushWithin() waits at most as long as
// its caller can (a revocation, which holds up the consumer group).
//
// Sinks know nothing of detectors. Thread-safety: one thread writes to a sink.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/alert.h"

namespace loghunt {

using DeliveryCallback = std::function<void(bool delivered)>;

// kOcsf: OCSF Detection Finding (class 2004), see sinks/ocsf.h.
enum class AlertFormat : uint8_t { kJson, kText, kOcsf };
bool ParseAlertFormat(std::string_view name, AlertFormat* format);

class AlertSink {
 public:
  virtual ~AlertSink() = default;
  virtual std::string_view name() const = 0;
  virtual bool Write(const Alert& alert) = 0;
  virtual bool async() const { return false; }
  virtual bool WriteAsync(const Alert& alert, DeliveryCallback done) {
    bool ok = Write(alert);
    if (ok && done) done(true);
    return ok;
  }
  virtual bool Flush() { return true; }
  // Flush(), waiting at most `timeout_ms` (or the sink's own flush timeout
  // when shorter) for asynchronous deliveries; false when some are still
  // pending. Synchronous sinks flush as Flush() does.
  virtual bool FlushWithin(int timeout_ms) {
    (void)timeout_ms;
    return Flush();
  }
  // Alerts accepted and not yet delivered (asynchronous sinks).
  virtual size_t queue_depth() const { return 0; }
  // Alerts accepted and then given up for good (asynchronous sinks).
  virtual uint64_t delivery_failures() const { return 0; }
  // Delivery attempts that failed (each then retried or given up), and
  // attempts made again after one failed (asynchronous sinks).
  virtual uint64_t request_failures() const { return 0; }
  virtual uint64_t retries() const { return 0; }
  // Called on SIGHUP: reopen files (logrotate), reconnect.
  virtual void Reopen() {}
  // Stops the sink at the end of a run: an asynchronous sink flushes (within
  // its flush bound), then gives up what is still undelivered (done(false))
  // and counts it in delivery_failures(), which the run's exit status reads
  // after this. Nothing may be written after it. The destructor does the same
  // when it was not called.
  virtual void Close() {}
  // Called when the daemon begins to stop (SIGTERM), from any thread: a
  // writer waiting for room in a full queue stops waiting, and later writes
  // do not wait either. Such alerts are accepted past the bound (at most what
  // the writers still produce before they stop: their current batch) and, if
  // still undelivered when the sink is destroyed, given up then with
  // done(false), after the last commit, so their messages are read again
  // after a restart rather than committed.
  virtual void Interrupt() {}
  // Waits up to `timeout_ms` until the sink can take alerts without making
  // the writer wait; false when it still cannot. A Kafka worker calls it
  // before each batch, so that it waits for a sink whose endpoint is away
  // outside its lock, where commits, statistics and rebalances are not held
  // up, rather than inside WriteAsync.
  virtual bool WaitForRoom(int timeout_ms) {
    (void)timeout_ms;
    return true;
  }

  // Alerts the daemon found refused by this sink (Write or WriteAsync
  // returned false) and failed flushes, counted by the writer; with
  // delivery_failures() they make loghunt_sink_errors_total{sink}.
  void CountRefused() { refused_.fetch_add(1, std::memory_order_relaxed); }
  uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> refused_{0};
};

}  // namespace loghunt
