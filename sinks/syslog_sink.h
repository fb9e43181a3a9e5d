// SyslogSink: alerts as RFC 5424 syslog messages over UDP (RFC 5426, one
// datagram per alert), TCP (RFC 6587 octet counting: "LEN SP MSG") or a
// local unix socket (datagram, e.g. /dev/log; stream sockets get octet
// counting too).
//
//   <PRI>1 TIMESTAMP HOSTNAME loghuntd PID alert [loghunt@32473 id=".."
//   rule=".." severity=".." host=".."] MSG
//
// PRI = facility * 8 + severity (critical->crit, high->err, medium->warning,
// low->notice, informational->info); TIMESTAMP is the alert time; HOSTNAME is
// this machine; MSG is the alert in the configured format. 32473 is the
// private enterprise number RFC 5612 reserves for documentation: receivers
// should key on the SD-ID name "loghunt".
//
// Write() is synchronous: true when the message is in the kernel's socket
// buffer (TCP: after a reconnect and resend if the connection had dropped).
// UDP may lose messages on the network; that is the transport's contract and
// why TCP exists. A datagram (UDP or unix datagram) longer than
// max_message_bytes is cut (counted, and logged once a minute). An alert
// not sent is logged with the reason (the first, then one line a minute with
// a count).
//
// Thread-safety: every method may be called from any thread (one mutex).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "core/log_throttle.h"
#include "sinks/sink.h"

namespace loghunt {

enum class SyslogTransport : uint8_t { kUdp, kTcp, kUnix };
bool ParseSyslogTransport(std::string_view name, SyslogTransport* transport);
// "kern", "user", ..., "authpriv", "local0".."local7" -> 0..23; false if unknown.
bool ParseSyslogFacility(std::string_view name, int* facility);

struct SyslogSinkOptions {
  SyslogTransport transport = SyslogTransport::kUdp;
  std::string address;  // udp/tcp: "host:port" ("[v6]:port"); unix: socket path
  AlertFormat format = AlertFormat::kJson;
  int facility = 10;  // authpriv
  std::string app_name = "loghuntd";
  std::string hostname;              // "" = gethostname()
  int timeout_ms = 5000;             // TCP connect and send
  size_t max_message_bytes = 65000;  // datagram limit (IPv4 UDP payload max is 65507)
};

struct SyslogSinkStats {
  uint64_t sent = 0;
  uint64_t errors = 0;
  uint64_t reconnects = 0;
  uint64_t truncated = 0;
};

class SyslogSink : public AlertSink {
 public:
  // nullptr + *error for a bad address. A TCP peer that is down is not an
  // error here: Write() connects (and reconnects) when it needs to.
  static std::unique_ptr<SyslogSink> Create(SyslogSinkOptions options, std::string* error);
  ~SyslogSink() override;

  std::string_view name() const override { return "syslog"; }
  bool Write(const Alert& alert) override;
  // Closes the socket; the next Write() reconnects (SIGHUP, peer moved).
  void Reopen() override;
  SyslogSinkStats stats() const;

  // The RFC 5424 message for `alert` (no framing), for tests and the
  // listener's round trip.
  std::string Format(const Alert& alert) const;

 private:
  explicit SyslogSink(SyslogSinkOptions options);
  bool Connect();
  void Close();
  bool SendFrame(const std::string& frame);
  // Records why the connection or send failed (errno's text, or `what`).
  void Fail(std::string_view what, int error_number);
  void LogNotSent(const Alert& alert);  // throttled

  SyslogSinkOptions options_;
  std::string procid_;
  mutable std::mutex mu_;
  int fd_ = -1;
  bool stream_ = false;  // TCP or a SOCK_STREAM unix socket: octet counting
  // Resolved UDP/TCP peer (sockaddr_storage bytes) or unix path.
  std::string peer_;
  int family_ = 0;
  SyslogSinkStats stats_;
  std::string error_;  // the last failure (Fail)
  LogThrottle failure_log_;
  LogThrottle truncation_log_;
};

}  // namespace loghunt
