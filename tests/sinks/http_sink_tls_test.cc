// HttpSink over TLS against a Boost.Beast HTTPS peer on 127.0.0.1 with a
// self-signed certificate made for the test (openssl CLI): delivery with the
// certificate as trust anchor, and refusal when the peer is not trusted.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>

#include "sinks/http_sink.h"

namespace loghunt {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;

// Serves HTTPS on 127.0.0.1 (one connection at a time), answering 200 and
// keeping request bodies.
class HttpsPeer {
 public:
  HttpsPeer(const std::string& cert, const std::string& key)
      : ctx_(ssl::context::tls_server), acceptor_(ioc_) {
    ctx_.use_certificate_chain_file(cert);
    ctx_.use_private_key_file(key, ssl::context::pem);
    asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(ep.protocol());
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { Serve(); });
  }
  ~HttpsPeer() {
    stopping_ = true;
    boost::system::error_code ec;
    asio::ip::tcp::socket poke(ioc_);
    poke.connect({asio::ip::make_address("127.0.0.1"), port_}, ec);
    poke.close(ec);
    thread_.join();
  }
  uint16_t port() const { return port_; }
  std::vector<std::string> bodies() {
    std::lock_guard lock(mu_);
    return bodies_;
  }

 private:
  void Serve() {
    while (!stopping_) {
      asio::ip::tcp::socket socket(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stopping_) return;
      beast::ssl_stream<asio::ip::tcp::socket&> stream(socket, ctx_);
      stream.handshake(ssl::stream_base::server, ec);
      if (ec) continue;  // the client refused our certificate
      beast::flat_buffer buffer;
      while (true) {
        http::request<http::string_body> req;
        http::read(stream, buffer, req, ec);
        if (ec) break;
        {
          std::lock_guard lock(mu_);
          bodies_.push_back(req.body());
        }
        http::response<http::string_body> res{http::status::ok, 11};
        res.keep_alive(req.keep_alive());
        res.prepare_payload();
        http::write(stream, res, ec);
        if (ec) break;
      }
    }
  }

  asio::io_context ioc_;
  ssl::context ctx_;
  asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::vector<std::string> bodies_;
  std::thread thread_;
};

class HttpSinkTls : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/tls_" + std::to_string(::getpid());
    std::filesystem::create_directories(dir_);
    std::string cmd =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
        "-addext subjectAltName=IP:127.0.0.1 -keyout " +
        dir_ + "/key.pem -out " + dir_ + "/cert.pem >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "openssl CLI needed to make a test certificate";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

Alert TestAlert() {
  Alert a;
  a.id = "tls-alert";
  a.time_ns = 1'700'000'000'000'000'000;
  a.rule = {"r", "Rule", Severity::kLow, {}};
  return a;
}

TEST_F(HttpSinkTls, DeliversToAPeerTrustedThroughCaFile) {
  HttpsPeer peer(dir_ + "/cert.pem", dir_ + "/key.pem");
  HttpSinkOptions o;
  o.url = "https://127.0.0.1:" + std::to_string(peer.port()) + "/hook";
  o.ca_file = dir_ + "/cert.pem";
  o.linger_ms = 0;
  std::string error;
  auto sink = HttpSink::Create(o, &error);
  ASSERT_TRUE(sink) << error;
  EXPECT_TRUE(sink->Write(TestAlert()));
  auto bodies = peer.bodies();
  ASSERT_EQ(bodies.size(), 1u);
  EXPECT_NE(bodies[0].find("\"id\":\"tls-alert\""), std::string::npos);
}

TEST_F(HttpSinkTls, RefusesAnUntrustedPeer) {
  HttpsPeer peer(dir_ + "/cert.pem", dir_ + "/key.pem");
  HttpSinkOptions o;
  o.url = "https://127.0.0.1:" + std::to_string(peer.port()) + "/hook";
  o.max_retries = 1;  // the system trust store does not know the test certificate
  o.retry_initial_ms = 1;
  o.linger_ms = 0;
  std::string error;
  auto sink = HttpSink::Create(o, &error);
  ASSERT_TRUE(sink) << error;
  EXPECT_FALSE(sink->Write(TestAlert()));
  EXPECT_TRUE(peer.bodies().empty());
  EXPECT_EQ(sink->delivery_failures(), 1u);
}

}  // namespace
}  // namespace loghunt
