// HttpPeer: a small HTTP/1.1 server on 127.0.0.1 (Boost.Beast, one thread per
// connection) for sink tests. It answers every request with what `respond`
// returns and records each request. Thread-safety: requests() and count()
// may be called while the server runs.
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace loghunt::testing {

struct PeerRequest {
  std::string target;
  std::string host;  // the Host header
  std::string content_type;
  std::string authorization;
  std::string body;
};

struct PeerResponse {
  PeerResponse(int s = 200, std::string b = {},
               std::vector<std::pair<std::string, std::string>> h = {}, bool c = false, int i = 0)
      : status(s), body(std::move(b)), headers(std::move(h)), close(c), interim(i) {}
  int status;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool close;   // close the connection after answering (an idle timeout)
  int interim;  // how many "100 Continue" before the answer
};

class HttpPeer {
 public:
  // `respond` gets the request and its 1-based sequence number.
  explicit HttpPeer(std::function<PeerResponse(const PeerRequest&, int)> respond)
      : respond_(std::move(respond)), acceptor_(ioc_) {
    namespace asio = boost::asio;
    asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }

  ~HttpPeer() {
    stopping_ = true;
    boost::system::error_code ec;
    {
      // Unblock accept() with a throwaway connection, and reads by shutdown.
      boost::asio::ip::tcp::socket poke(ioc_);
      poke.connect({boost::asio::ip::make_address("127.0.0.1"), port_}, ec);
    }
    accept_thread_.join();
    {
      std::lock_guard lock(mu_);
      for (auto& s : sockets_) s->shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    }
    for (auto& t : threads_) t.join();
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  uint16_t port() const { return port_; }

  std::vector<PeerRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  int count() const {
    std::lock_guard lock(mu_);
    return static_cast<int>(requests_.size());
  }

 private:
  void AcceptLoop() {
    while (!stopping_) {
      auto socket = std::make_shared<boost::asio::ip::tcp::socket>(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(*socket, ec);
      if (ec || stopping_) break;
      std::lock_guard lock(mu_);
      sockets_.push_back(socket);
      threads_.emplace_back([this, socket] { Serve(*socket); });
    }
  }

  void Serve(boost::asio::ip::tcp::socket& socket) {
    namespace http = boost::beast::http;
    boost::beast::flat_buffer buffer;
    while (true) {
      http::request<http::string_body> req;
      boost::system::error_code ec;
      http::read(socket, buffer, req, ec);
      if (ec) return;
      PeerRequest r{std::string(req.target()), std::string(req[http::field::host]),
                    std::string(req[http::field::content_type]),
                    std::string(req[http::field::authorization]), req.body()};
      int seq;
      {
        std::lock_guard lock(mu_);
        requests_.push_back(r);
        seq = static_cast<int>(requests_.size());
      }
      PeerResponse out = respond_(r, seq);
      for (int i = 0; i < out.interim; ++i) {
        boost::asio::write(
            socket, boost::asio::buffer(std::string_view("HTTP/1.1 100 Continue\r\n\r\n")), ec);
      }
      http::response<http::string_body> res{static_cast<http::status>(out.status), 11};
      res.set(http::field::content_type, "application/json");
      res.keep_alive(req.keep_alive());
      for (const auto& [k, v] : out.headers) res.set(k, v);
      res.body() = out.body;
      res.prepare_payload();
      http::write(socket, res, ec);
      if (out.close) socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
      if (ec || !req.keep_alive() || out.close) return;
    }
  }

  std::function<PeerResponse(const PeerRequest&, int)> respond_;
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::vector<PeerRequest> requests_;
  std::vector<std::shared_ptr<boost::asio::ip::tcp::socket>> sockets_;
  std::vector<std::thread> threads_;
  std::thread accept_thread_;
};

}  // namespace loghunt::testing
