#include "daemon/syslog_listener.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <chrono>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "core/log_throttle.h"
#include "core/text.h"

namespace loghunt {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;

namespace {

// Each connection's buffer; longer frames take more from max_buffered_bytes.
constexpr size_t kBufferBytes = 64 * 1024;
// A connection with a message this recent is not closed for a new one: at
// max_connections a burst of new senders would close each other.
constexpr auto kEvictableAfter = std::chrono::seconds(1);

bool ParseEndpoint(const std::string& text, asio::ip::address* address, uint16_t* port,
                   std::string* error) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos) {
    *error = "'" + text + "': expected HOST:PORT";
    return false;
  }
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  auto p = ParseInt(std::string_view(text).substr(colon + 1));
  boost::system::error_code ec;
  *address = asio::ip::make_address(host.empty() ? "0.0.0.0" : host, ec);
  if (ec || !p || *p < 0 || *p > 65535) {
    *error = "'" + text + "': expected IP:PORT";
    return false;
  }
  *port = static_cast<uint16_t>(*p);
  return true;
}

}  // namespace

struct SyslogListener::Impl {
  SyslogListenerOptions options;
  Handler handler;
  SyslogListenerStats stats;
  asio::io_context ioc;
  std::optional<udp::socket> udp_socket;
  std::optional<tcp::acceptor> acceptor;
  std::vector<char> datagram;
  udp::endpoint udp_peer;
  std::thread thread;
  bool stopped = false;
  Tick tick;
  std::optional<asio::steady_timer> timer;
  size_t max_per_address = 0;
  size_t max_buffered = 0;
  size_t buffered = 0;  // connections' buffer bytes beyond kBufferBytes each
  LogThrottle log;      // connections refused or closed, frames cut for memory

  // Each second: frame deadlines, then the owner's tick.
  void EverySecond() {
    timer->expires_after(std::chrono::seconds(1));
    timer->async_wait([this](boost::system::error_code ec) {
      if (ec || stopped) return;
      if (acceptor) CloseUnfinished();
      if (tick) tick(stats);
      EverySecond();
    });
  }

  template <typename... Args>
  void Warn(fmt::format_string<Args...> format, Args&&... args) {
    uint64_t held_back = 0;
    if (!log.Allow(&held_back)) return;
    spdlog::warn(
        "syslog tcp {}: {} ({} more connections refused or closed, or frames cut, not logged "
        "since the previous message; loghunt_listener_* metrics count them all)",
        options.tcp_listen, fmt::format(format, std::forward<Args>(args)...), held_back);
  }

  // Takes up to `want` more buffer bytes of max_buffered_bytes; how many it got.
  size_t Reserve(size_t want) {
    size_t got = std::min(want, max_buffered - buffered);
    buffered += got;
    stats.buffered_bytes = buffered;
    return got;
  }
  void Release(size_t bytes) {
    buffered -= bytes;
    stats.buffered_bytes = buffered;
  }

  enum class Cut { kNone, kTooLong, kBufferFull };

  // One TCP connection: reads into a buffer, cuts frames, hands them over.
  struct Connection : std::enable_shared_from_this<Connection> {
    Impl* impl;
    tcp::socket socket;
    asio::ip::address address;
    std::string peer;
    std::vector<char> buf;
    size_t begin = 0, end = 0;
    bool skipping = false;  // inside an LF frame that was too long
    size_t skip_bytes = 0;  // of an octet-counted frame that was too long
    bool open = true;
    // The last complete message (or the accept): a connection that sends
    // bytes but no message is as evictable as an idle one.
    std::chrono::steady_clock::time_point progress = std::chrono::steady_clock::now();
    // The first read of the frame not finished yet; none between frames.
    std::optional<std::chrono::steady_clock::time_point> frame_started;
    // The buffer grows to this only when a frame needs it: each connection
    // preallocated it (1.1 MB by default), so idle connections held 280 MB.
    size_t full_size;

    Connection(Impl* i, tcp::socket s, const tcp::endpoint& ep)
        : impl(i), socket(std::move(s)), address(ep.address()) {
      peer = "tcp:" + ep.address().to_string() + ":" + std::to_string(ep.port());
      full_size = impl->options.max_message_bytes + 32 + kBufferBytes;
      buf.resize(kBufferBytes);
    }

    std::string_view Who() const { return std::string_view(peer).substr(4); }

    void Read() {
      if (begin > 0) {
        std::memmove(buf.data(), buf.data() + begin, end - begin);
        end -= begin;
        begin = 0;
      }
      if (buf.size() > kBufferBytes && end <= kBufferBytes / 2) {
        // The long frame is done: its memory goes back to the others.
        std::vector<char> small(kBufferBytes);
        std::memcpy(small.data(), buf.data(), end);
        impl->Release(buf.size() - kBufferBytes);
        buf.swap(small);
      }
      // Only an unfinished frame fills the buffer: Frames() cuts the longer
      // ones at max_message_bytes, which fit in full_size.
      if (end == buf.size()) {
        size_t grown = impl->Reserve(std::min(buf.size() * 2, full_size) - buf.size());
        if (grown == 0) {
          if (!CutForMemory()) return;
        } else {
          buf.resize(buf.size() + grown);
        }
      }
      socket.async_read_some(asio::buffer(buf.data() + end, buf.size() - end),
                             [self = shared_from_this()](boost::system::error_code ec, size_t n) {
                               if (ec || !self->open) return self->Close();
                               self->end += n;
                               if (self->Frames()) self->Read();
                             });
    }

    void Close() {
      if (!open) return;
      open = false;
      boost::system::error_code ec;
      socket.close(ec);
      impl->Forget(this);
    }

    void Deliver(std::string_view message, Cut cut) {
      while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) {
        message.remove_suffix(1);
      }
      ++impl->stats.tcp_messages;
      if (cut != Cut::kNone) ++impl->stats.too_long;
      if (cut == Cut::kBufferFull) ++impl->stats.buffer_full;
      progress = std::chrono::steady_clock::now();
      impl->handler(message, cut != Cut::kNone, peer);
    }

    // More bytes are needed to finish the frame in [begin, end) (or being skipped).
    bool Unfinished() {
      if (!frame_started) frame_started = std::chrono::steady_clock::now();
      return true;
    }

    // Cuts every complete frame in [begin, end); false when the connection was
    // closed or is being read elsewhere (SkipCounted).
    bool Frames() {
      const size_t max = impl->options.max_message_bytes;
      while (begin < end) {
        std::string_view data(buf.data() + begin, end - begin);
        if (!skipping && data[0] >= '1' && data[0] <= '9') {
          // Octet counting: "LEN SP MSG".
          size_t sp = data.find(' ');
          if (sp == std::string_view::npos) {
            if (data.size() > 10) return BadFrame(data.substr(0, 12));
            return Unfinished();
          }
          auto len = ParseInt(data.substr(0, sp));
          if (!len || *len <= 0 || sp > 10)
            return BadFrame(data.substr(0, std::min<size_t>(sp, 12)));
          size_t n = static_cast<size_t>(*len);
          if (n > max) {
            // Too long to buffer: deliver the first max bytes, skip the rest.
            if (data.size() < sp + 1 + max) return Unfinished();
            Deliver(data.substr(sp + 1, max), Cut::kTooLong);
            skip_bytes = n - max;
            begin += sp + 1 + max;
            return SkipCounted();
          }
          if (data.size() < sp + 1 + n) return Unfinished();
          Deliver(data.substr(sp + 1, n), Cut::kNone);
          frame_started.reset();
          begin += sp + 1 + n;
          continue;
        }
        // Non-transparent framing: up to LF.
        size_t nl = data.find('\n');
        if (nl == std::string_view::npos) {
          if (skipping) {
            begin = end = 0;  // the rest of a cut frame is not kept
          } else if (data.size() >= max) {
            Deliver(data.substr(0, max), Cut::kTooLong);
            skipping = true;
            begin = end = 0;
          }
          return Unfinished();
        }
        if (!skipping && nl > max) {
          Deliver(data.substr(0, max), Cut::kTooLong);
        } else if (!skipping && nl > 0) {
          Deliver(data.substr(0, nl), Cut::kNone);
        }
        skipping = false;
        frame_started.reset();
        begin += nl + 1;
      }
      return true;
    }

    bool SkipCounted() {
      size_t n = std::min(skip_bytes, end - begin);
      begin += n;
      skip_bytes -= n;
      if (skip_bytes == 0) {
        frame_started.reset();
        return Frames();
      }
      Unfinished();
      begin = end = 0;
      // The rest of the long frame arrives later: swallow it before framing again.
      socket.async_read_some(asio::buffer(buf.data(), buf.size()),
                             [self = shared_from_this()](boost::system::error_code ec, size_t got) {
                               if (ec || !self->open) return self->Close();
                               self->end = got;
                               if (self->SkipCounted()) self->Read();
                             });
      return false;
    }

    // The buffer (begin 0) is full of one unfinished frame and the others
    // hold max_buffered_bytes: the frame is passed as far as it came, cut,
    // and its rest skipped. False when SkipCounted() reads on.
    bool CutForMemory() {
      std::string_view data(buf.data(), end);
      impl->Warn(
          "a frame from {} passed cut at {} bytes: the connections' buffers hold "
          "max_buffered_bytes ({})",
          Who(), end, impl->max_buffered);
      if (!skipping && data[0] >= '1' && data[0] <= '9') {
        // Frames() read the header: it is complete and valid.
        size_t sp = data.find(' ');
        size_t n = static_cast<size_t>(*ParseInt(data.substr(0, sp)));
        Deliver(data.substr(sp + 1), Cut::kBufferFull);
        skip_bytes = n - (end - sp - 1);
        begin = end;
        return SkipCounted();
      }
      Deliver(data, Cut::kBufferFull);
      skipping = true;
      begin = end = 0;
      return true;
    }

    bool BadFrame(std::string_view header) {
      ++impl->stats.bad_frames;
      impl->Warn("closed the connection from {}: bad octet count {:?}", Who(), header);
      Close();
      return false;
    }
  };
  std::set<Connection*> connections;                // owned by their pending handlers
  std::map<asio::ip::address, size_t> per_address;  // open connections
  std::vector<std::shared_ptr<Connection>> keep;    // closed at Stop

  void Forget(Connection* c) {
    connections.erase(c);
    if (auto it = per_address.find(c->address); it != per_address.end() && --it->second == 0) {
      per_address.erase(it);
    }
    Release(c->buf.size() - kBufferBytes);
    stats.connections = connections.size();
  }

  // Drops closed connections (their buffers go once their handlers have run).
  void ForgetClosed() {
    std::erase_if(keep, [](const std::shared_ptr<Connection>& c) { return !c->open; });
  }

  void CloseUnfinished() {
    auto now = std::chrono::steady_clock::now();
    std::vector<Connection*> late;
    for (Connection* c : connections) {
      if (c->frame_started && now - *c->frame_started > options.frame_timeout) late.push_back(c);
    }
    for (Connection* c : late) {
      ++stats.frame_timeouts;
      Warn("closed the connection from {}: a frame unfinished after {} ms (frame_timeout_ms)",
           c->Who(), options.frame_timeout.count());
      c->Close();
    }
    ForgetClosed();
  }

  void ReceiveUdp() {
    udp_socket->async_receive_from(
        asio::buffer(datagram), udp_peer, [this](boost::system::error_code ec, size_t n) {
          if (ec == asio::error::operation_aborted || stopped) return;
          if (!ec) {
            std::string_view m(datagram.data(), n);
            bool too_long = n > options.max_message_bytes;
            if (too_long) {
              m = m.substr(0, options.max_message_bytes);
              ++stats.too_long;
            }
            while (!m.empty() && (m.back() == '\n' || m.back() == '\r' || m.back() == '\0')) {
              m.remove_suffix(1);
            }
            ++stats.udp_messages;
            std::string peer =
                "udp:" + udp_peer.address().to_string() + ":" + std::to_string(udp_peer.port());
            handler(m, too_long, peer);
          }
          ReceiveUdp();
        });
  }

  // Admits `socket` if its address and the listener are under their limits,
  // or when a connection without a message for a second can make room.
  void Admit(tcp::socket socket) {
    boost::system::error_code ec;
    tcp::endpoint ep = socket.remote_endpoint(ec);
    if (ec) return;  // gone already
    auto it = per_address.find(ep.address());
    const bool address_full = it != per_address.end() && it->second >= max_per_address;
    if (address_full || connections.size() >= options.max_connections) {
      // The connection longest without a message, of the new one's address
      // when that is the limit reached.
      Connection* stalest = nullptr;
      for (Connection* c : connections) {
        if (address_full && c->address != ep.address()) continue;
        if (stalest == nullptr || c->progress < stalest->progress) stalest = c;
      }
      const char* limit = address_full ? "max_connections_per_address" : "max_connections";
      const size_t at = address_full ? max_per_address : options.max_connections;
      auto quiet = stalest == nullptr ? std::chrono::steady_clock::duration::zero()
                                      : std::chrono::steady_clock::now() - stalest->progress;
      if (quiet < kEvictableAfter) {
        ++stats.connections_refused;
        Warn(
            "refused a connection from {}: {} ({}) reached, each connection with a message (or "
            "accepted) in the last second",
            ep.address().to_string(), limit, at);
        return;
      }
      ++stats.connections_evicted;
      Warn("closed the connection from {} (no message for {} s) for one from {}: {} ({}) reached",
           stalest->Who(), std::chrono::duration_cast<std::chrono::seconds>(quiet).count(),
           ep.address().to_string(), limit, at);
      stalest->Close();
    }
    auto c = std::make_shared<Connection>(this, std::move(socket), ep);
    connections.insert(c.get());
    ++per_address[c->address];
    keep.push_back(c);
    ++stats.connections_accepted;
    stats.connections = connections.size();
    c->Read();
  }

  void Accept() {
    acceptor->async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || stopped) return;
      if (!ec) Admit(std::move(socket));
      ForgetClosed();
      Accept();
    });
  }
};

SyslogListener::SyslogListener(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::unique_ptr<SyslogListener> SyslogListener::Start(const SyslogListenerOptions& options,
                                                      Handler handler, std::string* error,
                                                      Tick tick) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->handler = std::move(handler);
  impl->tick = std::move(tick);
  impl->max_per_address =
      options.max_connections_per_address == 0
          ? (options.max_connections + 3) / 4
          : std::min(options.max_connections_per_address, options.max_connections);
  // One frame of max_message_bytes always fits.
  impl->max_buffered = std::max(options.max_buffered_bytes, options.max_message_bytes + 32);
  // One datagram larger than the limit is detected, not silently cut by recv.
  impl->datagram.resize(std::max<size_t>(options.max_message_bytes + 1, 65536));
  boost::system::error_code ec;
  if (!options.udp_listen.empty()) {
    asio::ip::address address;
    uint16_t port;
    if (!ParseEndpoint(options.udp_listen, &address, &port, error)) return nullptr;
    impl->udp_socket.emplace(impl->ioc);
    udp::endpoint ep(address, port);
    impl->udp_socket->open(ep.protocol(), ec);
    if (!ec)
      impl->udp_socket->set_option(
          asio::socket_base::receive_buffer_size(options.udp_receive_buffer_bytes), ec);
    if (!ec) impl->udp_socket->bind(ep, ec);
    if (ec) {
      *error = "syslog udp " + options.udp_listen + ": " + ec.message();
      return nullptr;
    }
  }
  if (!options.tcp_listen.empty()) {
    asio::ip::address address;
    uint16_t port;
    if (!ParseEndpoint(options.tcp_listen, &address, &port, error)) return nullptr;
    impl->acceptor.emplace(impl->ioc);
    tcp::endpoint ep(address, port);
    impl->acceptor->open(ep.protocol(), ec);
    if (!ec) impl->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) impl->acceptor->bind(ep, ec);
    if (!ec) impl->acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      *error = "syslog tcp " + options.tcp_listen + ": " + ec.message();
      return nullptr;
    }
  }
  if (impl->udp_socket) impl->ReceiveUdp();
  if (impl->acceptor) impl->Accept();
  if (impl->tick || impl->acceptor) {
    impl->timer.emplace(impl->ioc);
    impl->EverySecond();
  }
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->ioc.run(); });
  return std::unique_ptr<SyslogListener>(new SyslogListener(std::move(impl)));
}

SyslogListener::~SyslogListener() { Stop(); }

void SyslogListener::Stop() {
  if (!impl_ || impl_->stopped) return;
  Impl* impl = impl_.get();
  asio::post(impl->ioc, [impl] {
    impl->stopped = true;
    boost::system::error_code ec;
    if (impl->udp_socket) impl->udp_socket->close(ec);
    if (impl->acceptor) impl->acceptor->close(ec);
    if (impl->timer) impl->timer->cancel();
    for (auto& c : impl->keep) c->socket.close(ec);
  });
  if (impl->thread.joinable()) impl->thread.join();
  impl->keep.clear();
  impl->stopped = true;
}

uint16_t SyslogListener::udp_port() const {
  boost::system::error_code ec;
  return impl_->udp_socket ? impl_->udp_socket->local_endpoint(ec).port() : 0;
}

uint16_t SyslogListener::tcp_port() const {
  boost::system::error_code ec;
  return impl_->acceptor ? impl_->acceptor->local_endpoint(ec).port() : 0;
}

const SyslogListenerStats& SyslogListener::stats() const { return impl_->stats; }

}  // namespace loghunt
