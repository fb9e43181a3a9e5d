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
// TCP resources are bounded against senders that hold them without sending
// messages (a connection trickling a byte of an unfinished line now and then
// looked busy for ever, so at max_connections every new sender was refused):
// - at most max_connections connections, and max_connections_per_address from
//   one address; a new connection over either limit closes the connection
//   (of all, or of its address) that has gone longest without a complete
//   message, if that is a second at least, and is refused otherwise;
// - a frame must be complete within frame_timeout of its first byte, or its
//   connection is closed (checked every second);
// - each connection has a 64 KiB buffer; longer frames grow it (up to
//   max_message_bytes plus 96 KiB) from max_buffered_bytes shared by all
//   connections, and a frame that finds them held is passed cut, too_long
//   set, where its buffer ends. A buffer shrinks back after its frame.
// Each connection refused or closed by the listener, and each frame cut for
// memory, is counted in stats() and logged (at most once a minute, with the
// number not logged).
//
// Thread-safety: Start/Stop from the owner thread; stats() from any thread.
#pragma once

#include <atomic>
#include <chrono>
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
  size_t max_connections_per_address = 0;  // 0: a quarter of max_connections, rounded up
  std::chrono::milliseconds frame_timeout{30'000};
  // Buffer bytes beyond each connection's first 64 KiB, all connections
  // together; at least one frame of max_message_bytes fits whatever this says.
  size_t max_buffered_bytes = 32 << 20;
  int udp_receive_buffer_bytes = 4 << 20;
};

struct SyslogListenerStats {
  std::atomic<uint64_t> udp_messages{0};
  std::atomic<uint64_t> tcp_messages{0};
  std::atomic<uint64_t> too_long{0};        // messages passed cut (any reason)
  std::atomic<uint64_t> buffer_full{0};     // of them: TCP frames cut at max_buffered_bytes
  std::atomic<uint64_t> bad_frames{0};      // TCP connections closed for bad framing
  std::atomic<uint64_t> frame_timeouts{0};  // closed with a frame older than frame_timeout
  std::atomic<uint64_t> connections_accepted{0};
  // Over max_connections or max_connections_per_address, with no connection to close.
  std::atomic<uint64_t> connections_refused{0};
  std::atomic<uint64_t> connections_evicted{0};  // closed to admit a new one
  std::atomic<uint64_t> connections{0};          // open now
  std::atomic<uint64_t> buffered_bytes{0};       // now, of max_buffered_bytes
};

class SyslogListener {
 public:
  // `message` is valid only during the call; `peer` is "udp:IP:PORT" / "tcp:IP:PORT".
  using Handler =
      std::function<void(std::string_view message, bool too_long, std::string_view peer)>;

  // Binds and starts the thread; nullptr + *error when an address is bad or
  // taken. `tick` (optional) is called on the listener's thread about once a
  // second, messages or not (its owner's periodic work, such as metrics),
  // with the listener's stats.
  using Tick = std::function<void(const SyslogListenerStats&)>;
  static std::unique_ptr<SyslogListener> Start(const SyslogListenerOptions& options,
                                               Handler handler, std::string* error,
                                               Tick tick = nullptr);
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
