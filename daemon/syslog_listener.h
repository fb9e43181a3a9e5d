// SyslogListener: the host agent's syslog input. Receives messages over UDP
// (one datagram = one message) and TCP (RFC 6587: octet counting "LEN SP MSG"
// or newline-terminated frames, detected per frame by its first byte) on
// configured addresses, with Boost.Asio on one thread of its own.
//
// Every message is handed to `handler` on that thread, one at a time, so the
// handler may drive a (single-threaded) Pipeline directly. A message longer
// than max_message_bytes is passed cut, with too_long set; a TCP connection
// whose framing is broken (bad length) is closed, counted. TCP back-pressure
// is natural (a slow handler stops reading); a UDP burst beyond the socket
// buffer (udp_receive_buffer_bytes) is dropped by the kernel, which counts it
// (the "drops" column of /proc/net/udp), not us.
//
// Thread-safety: Start/Stop from the owner thread; stats() from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace loghunt {

struct SyslogListenerOptions {
  std::string udp_listen;  // "HOST:PORT" ("" = no UDP); port 0 picks a free one
  std::string tcp_listen;  // "HOST:PORT" ("" = no TCP)
  size_t max_message_bytes = 64 * 1024;
  size_t max_connections = 256;
  int udp_receive_buffer_bytes = 4 << 20;
};

struct SyslogListenerStats {
  std::atomic<uint64_t> udp_messages{0};
  std::atomic<uint64_t> tcp_messages{0};
  std::atomic<uint64_t> too_long{0};
  std::atomic<uint64_t> bad_frames{0};           // TCP connections closed for bad framing
  std::atomic<uint64_t> connections_refused{0};  // beyond max_connections
  std::atomic<uint64_t> connections_evicted{0};  // idle ones closed to admit a new one
};

class SyslogListener {
 public:
  // `message` is valid only during the call; `peer` is "udp:IP:PORT" / "tcp:IP:PORT".
  using Handler =
      std::function<void(std::string_view message, bool too_long, std::string_view peer)>;

  // Binds and starts the thread; nullptr + *error when an address is bad or
  // taken. `tick` (optional) is called on the listener's thread about once a
  // second, messages or not (its owner's periodic work, such as metrics).
  static std::unique_ptr<SyslogListener> Start(const SyslogListenerOptions& options,
                                               Handler handler, std::string* error,
                                               std::function<void()> tick = nullptr);
  ~SyslogListener();  // Stop()

  // Closes sockets and joins the thread; the handler is not called afterwards.
  void Stop();
  // Ports actually bound (for port 0), 0 when not listening.
  uint16_t udp_port() const;
  uint16_t tcp_port() const;
  const SyslogListenerStats& stats() const;

 private:
  struct Impl;
  explicit SyslogListener(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace loghunt
