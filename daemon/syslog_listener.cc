#include "daemon/syslog_listener.h"

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
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "core/text.h"

namespace loghunt {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;

namespace {

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
  std::function<void()> tick;
  std::optional<asio::steady_timer> timer;

  void Tick() {
    timer->expires_after(std::chrono::seconds(1));
    timer->async_wait([this](boost::system::error_code ec) {
      if (ec || stopped) return;
      tick();
      Tick();
    });
  }

  // One TCP connection: reads into a buffer, cuts frames, hands them over.
  struct Connection : std::enable_shared_from_this<Connection> {
    Impl* impl;
    tcp::socket socket;
    std::string peer;
    std::vector<char> buf;
    size_t begin = 0, end = 0;
    bool skipping = false;  // inside an LF frame that was too long
    std::chrono::steady_clock::time_point last_read = std::chrono::steady_clock::now();
    // The buffer grows to this only when a frame needs it: each connection
    // preallocated it (1.1 MB by default), so idle connections held 280 MB.
    size_t full_size;

    Connection(Impl* i, tcp::socket s) : impl(i), socket(std::move(s)) {
      boost::system::error_code ec;
      auto ep = socket.remote_endpoint(ec);
      peer = "tcp:" + ep.address().to_string() + ":" + std::to_string(ep.port());
      full_size = impl->options.max_message_bytes + 32 + 64 * 1024;
      buf.resize(std::min<size_t>(full_size, 64 * 1024));
    }

    void Read() {
      if (begin > 0) {
        std::memmove(buf.data(), buf.data() + begin, end - begin);
        end -= begin;
        begin = 0;
      }
      if (end == buf.size() && buf.size() < full_size) {
        buf.resize(std::min(buf.size() * 2, full_size));
      }
      socket.async_read_some(asio::buffer(buf.data() + end, buf.size() - end),
                             [self = shared_from_this()](boost::system::error_code ec, size_t n) {
                               if (ec) return self->Close();
                               self->end += n;
                               self->last_read = std::chrono::steady_clock::now();
                               if (self->Frames()) self->Read();
                             });
    }

    void Close() {
      boost::system::error_code ec;
      socket.close(ec);
      impl->connections.erase(this);
    }

    void Deliver(std::string_view message, bool too_long) {
      while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) {
        message.remove_suffix(1);
      }
      ++impl->stats.tcp_messages;
      if (too_long) ++impl->stats.too_long;
      impl->handler(message, too_long, peer);
    }

    // Cuts every complete frame in [begin, end); false when the connection was closed.
    bool Frames() {
      const size_t max = impl->options.max_message_bytes;
      while (begin < end) {
        std::string_view data(buf.data() + begin, end - begin);
        if (!skipping && data[0] >= '1' && data[0] <= '9') {
          // Octet counting: "LEN SP MSG".
          size_t sp = data.find(' ');
          if (sp == std::string_view::npos) {
            if (data.size() > 10) return BadFrame();
            return true;  // need more bytes
          }
          auto len = ParseInt(data.substr(0, sp));
          if (!len || *len <= 0 || sp > 10) return BadFrame();
          size_t n = static_cast<size_t>(*len);
          if (n > max) {
            // Too long to buffer: deliver the first max bytes, skip the rest.
            if (data.size() < sp + 1 + max) return true;
            Deliver(data.substr(sp + 1, max), true);
            skip_bytes = n - max;
            begin += sp + 1 + max;
            return SkipCounted();
          }
          if (data.size() < sp + 1 + n) return true;
          Deliver(data.substr(sp + 1, n), false);
          begin += sp + 1 + n;
          continue;
        }
        // Non-transparent framing: up to LF.
        size_t nl = data.find('\n');
        if (nl == std::string_view::npos) {
          if (data.size() >= max) {
            if (!skipping) Deliver(data.substr(0, max), true);
            skipping = true;
            begin = end = 0;
          }
          return true;
        }
        if (!skipping && nl > max) {
          Deliver(data.substr(0, max), true);
        } else if (!skipping && nl > 0) {
          Deliver(data.substr(0, nl), false);
        }
        skipping = false;
        begin += nl + 1;
      }
      return true;
    }

    size_t skip_bytes = 0;
    bool SkipCounted() {
      size_t n = std::min(skip_bytes, end - begin);
      begin += n;
      skip_bytes -= n;
      if (skip_bytes == 0) return Frames();
      begin = end = 0;
      // The rest of the long frame arrives later: swallow it before framing again.
      socket.async_read_some(asio::buffer(buf.data(), buf.size()),
                             [self = shared_from_this()](boost::system::error_code ec, size_t got) {
                               if (ec) return self->Close();
                               self->end = got;
                               if (self->SkipCounted()) self->Read();
                             });
      return false;
    }

    bool BadFrame() {
      ++impl->stats.bad_frames;
      Close();
      return false;
    }
  };
  std::set<Connection*> connections;              // owned by their pending handlers
  std::vector<std::shared_ptr<Connection>> keep;  // closed at Stop

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

  void Accept() {
    acceptor->async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || stopped) return;
      if (!ec) {
        if (connections.size() >= options.max_connections) {
          // Full: the connection idle longest (a second at least) makes room,
          // so idle or abandoned connections do not lock senders out.
          Connection* idlest = nullptr;
          for (Connection* c : connections) {
            if (idlest == nullptr || c->last_read < idlest->last_read) idlest = c;
          }
          if (idlest != nullptr &&
              std::chrono::steady_clock::now() - idlest->last_read > std::chrono::seconds(1)) {
            idlest->Close();
            ++stats.connections_evicted;
          }
        }
        if (connections.size() >= options.max_connections) {
          ++stats.connections_refused;
        } else {
          auto c = std::make_shared<Connection>(this, std::move(socket));
          connections.insert(c.get());
          keep.push_back(c);
          c->Read();
        }
      }
      // Forget connections that have closed.
      std::erase_if(keep, [this](const std::shared_ptr<Connection>& c) {
        return connections.count(c.get()) == 0;
      });
      Accept();
    });
  }
};

SyslogListener::SyslogListener(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::unique_ptr<SyslogListener> SyslogListener::Start(const SyslogListenerOptions& options,
                                                      Handler handler, std::string* error,
                                                      std::function<void()> tick) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->handler = std::move(handler);
  impl->tick = std::move(tick);
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
  if (impl->tick) {
    impl->timer.emplace(impl->ioc);
    impl->Tick();
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
