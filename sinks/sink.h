// AlertSink: delivers alerts somewhere (stdout, file, Kafka, HTTP, syslog).
//
// Write() hands one alert to the sink. Sinks that deliver synchronously
// (stdout, file) have durably handed it over when Write() returns true; the
// pipeline then acknowledges the alert's source position. A false return means
// the alert was not delivered (counted in loghunt_sink_errors_total{sink}).
// Flush() pushes out anything buffered (end of replay, shutdown, SIGHUP).
//
// Sinks know nothing of detectors. Thread-safety: one thread writes to a sink.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/alert.h"

namespace loghunt {

enum class AlertFormat : uint8_t { kJson, kText };
bool ParseAlertFormat(std::string_view name, AlertFormat* format);

class AlertSink {
 public:
  virtual ~AlertSink() = default;
  virtual std::string_view name() const = 0;
  virtual bool Write(const Alert& alert) = 0;
  virtual bool Flush() { return true; }
  // Called on SIGHUP: reopen files (logrotate), reconnect.
  virtual void Reopen() {}
};

}  // namespace loghunt
