#include "sinks/syslog_sink.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "core/text.h"

namespace loghunt {
namespace {

Alert MakeTestAlert(int i, Severity severity = Severity::kHigh) {
  Alert a;
  a.id = "alert-" + std::to_string(i);
  a.time_ns = 1'700'000'000'123'000'000;
  a.rule = {"rule.\"quoted\"]", "Test rule", severity, {}};
  a.host = "web-1";
  a.summary = "alert number " + std::to_string(i);
  return a;
}

// A socket bound to 127.0.0.1:0; closes on destruction.
struct BoundSocket {
  int fd = -1;
  uint16_t port = 0;
  explicit BoundSocket(int type) {
    fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
    if (type == SOCK_STREAM) ::listen(fd, 8);
  }
  ~BoundSocket() { ::close(fd); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port); }
};

// Reads what is available on `fd` within `ms` (one datagram, or stream bytes).
std::string ReadSome(int fd, int ms = 2000) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, ms) != 1) return "";
  char buf[70000];
  ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

// Splits an RFC 6587 octet-counted stream into messages; false if malformed.
bool SplitOctetCounted(std::string_view in, std::vector<std::string>* out) {
  while (!in.empty()) {
    size_t sp = in.find(' ');
    if (sp == std::string_view::npos) return false;
    size_t len = std::stoul(std::string(in.substr(0, sp)));
    if (in.size() < sp + 1 + len) return false;
    out->emplace_back(in.substr(sp + 1, len));
    in.remove_prefix(sp + 1 + len);
  }
  return true;
}

TEST(SyslogSink, FormatsRfc5424WithStructuredData) {
  SyslogSinkOptions o;
  o.address = "127.0.0.1:514";
  o.hostname = "collector";
  std::string error;
  auto sink = SyslogSink::Create(o, &error);
  ASSERT_TRUE(sink) << error;
  std::string m = sink->Format(MakeTestAlert(1));
  // authpriv (10) * 8 + err (3) = 83
  EXPECT_EQ(m.rfind("<83>1 2023-11-14T22:13:20.123Z collector loghuntd ", 0), 0u) << m;
  EXPECT_NE(m.find(" alert [loghunt@32473 id=\"alert-1\" rule=\"rule.\\\"quoted\\\"\\]\" "
                   "severity=\"high\" host=\"web-1\"] {\"id\":\"alert-1\""),
            std::string::npos)
      << m;
  EXPECT_EQ(sink->Format(MakeTestAlert(1, Severity::kCritical)).rfind("<82>1 ", 0), 0u);
  EXPECT_EQ(sink->Format(MakeTestAlert(1, Severity::kInformational)).rfind("<86>1 ", 0), 0u);
  // A structured-data value is UTF-8 (RFC 5424 6.3.3) whatever the event's host.
  Alert bad = MakeTestAlert(1);
  bad.host = "h\xffst";
  EXPECT_NE(sink->Format(bad).find(" host=\"h\xef\xbf\xbdst\"]"), std::string::npos);
  // Control characters of a host from a log are escaped: a newline went to the
  // wire as is, and a line-based receiver stored what followed as a record.
  Alert forged = MakeTestAlert(1);
  forged.host = "legit\n<14>1 2026-01-01T00:00:00Z fw01 kernel - - - FAKE\x1b[8m\\";
  const std::string f = sink->Format(forged);
  EXPECT_EQ(f.find('\n'), std::string::npos) << f;
  EXPECT_EQ(f.find('\x1b'), std::string::npos) << f;
  EXPECT_NE(
      f.find(" host=\"legit\\n<14>1 2026-01-01T00:00:00Z fw01 kernel - - - FAKE\\x1b[8m\\\\\"]"),
      std::string::npos)
      << f;
}

TEST(SyslogSink, UdpReceiverGetsOneDatagramPerAlert) {
  BoundSocket receiver(SOCK_DGRAM);
  SyslogSinkOptions o;
  o.transport = SyslogTransport::kUdp;
  o.address = receiver.address();
  std::string error;
  auto sink = SyslogSink::Create(o, &error);
  ASSERT_TRUE(sink) << error;
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(sink->Write(MakeTestAlert(i)));
  for (int i = 0; i < 20; ++i) {
    std::string d = ReadSome(receiver.fd);
    EXPECT_EQ(d.rfind("<83>1 ", 0), 0u) << d;
    EXPECT_NE(d.find("id=\"alert-" + std::to_string(i) + "\""), std::string::npos) << d;
  }
  EXPECT_EQ(sink->stats().sent, 20u);
}

TEST(SyslogSink, UdpCutsMessagesAboveTheDatagramLimit) {
  BoundSocket receiver(SOCK_DGRAM);
  SyslogSinkOptions o;
  o.address = receiver.address();
  o.max_message_bytes = 600;
  std::string error;
  auto sink = SyslogSink::Create(o, &error);
  ASSERT_TRUE(sink) << error;
  Alert a = MakeTestAlert(1);
  a.summary.assign(5000, 'x');
  ASSERT_TRUE(sink->Write(a));
  EXPECT_EQ(ReadSome(receiver.fd).size(), 600u);
  EXPECT_EQ(sink->stats().truncated, 1u);
  // Not inside a character: "é" is two bytes.
  std::string e_acute = "\xc3\xa9";
  a.summary.clear();
  for (int i = 0; i < 2500; ++i) a.summary += e_acute;
  ASSERT_TRUE(sink->Write(a));
  std::string cut = ReadSome(receiver.fd);
  EXPECT_LE(cut.size(), 600u);
  EXPECT_GE(cut.size(), 599u);
  EXPECT_TRUE(IsValidUtf8(cut)) << cut.substr(cut.size() - 4);
}

TEST(SyslogSink, TcpUsesOctetCountingAndReconnectsWithoutLoss) {
  BoundSocket listener(SOCK_STREAM);
  SyslogSinkOptions o;
  o.transport = SyslogTransport::kTcp;
  o.address = listener.address();
  o.format = AlertFormat::kText;
  std::string error;
  auto sink = SyslogSink::Create(o, &error);
  ASSERT_TRUE(sink) << error;
  ASSERT_TRUE(sink->Write(MakeTestAlert(0)));
  int conn = ::accept(listener.fd, nullptr, nullptr);
  ASSERT_GE(conn, 0);
  std::string stream = ReadSome(conn);
  // The receiver closes the connection (a restart, say); the sink notices
  // before its next send, so that alert is not written into the dead
  // connection, where it was lost.
  ::close(conn);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::vector<std::string> messages;
  for (int i = 1; i < 50; ++i) ASSERT_TRUE(sink->Write(MakeTestAlert(i))) << i;
  conn = ::accept(listener.fd, nullptr, nullptr);
  ASSERT_GE(conn, 0);
  for (std::string more; !(more = ReadSome(conn, 500)).empty();) stream += more;
  ::close(conn);
  ASSERT_TRUE(SplitOctetCounted(stream, &messages)) << stream.substr(0, 200);
  // Every message arrives, framed, in order.
  ASSERT_EQ(messages.size(), 50u);
  EXPECT_NE(messages.front().find("id=\"alert-0\""), std::string::npos);
  EXPECT_NE(messages[1].find("id=\"alert-1\""), std::string::npos);
  EXPECT_NE(messages.back().find("id=\"alert-49\""), std::string::npos);
  for (const auto& m : messages) EXPECT_EQ(m.rfind("<83>1 ", 0), 0u);
  EXPECT_GE(sink->stats().reconnects, 1u);
}

TEST(SyslogSink, UnixDatagramSocket) {
  std::string path = ::testing::TempDir() + "/loghunt_syslog_" + std::to_string(::getpid());
  std::filesystem::remove(path);
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  SyslogSinkOptions o;
  o.transport = SyslogTransport::kUnix;
  o.address = path;
  std::string error;
  auto sink = SyslogSink::Create(o, &error);
  ASSERT_TRUE(sink) << error;
  ASSERT_TRUE(sink->Write(MakeTestAlert(3)));
  std::string d = ReadSome(fd);
  EXPECT_NE(d.find("id=\"alert-3\""), std::string::npos) << d;
  // A datagram over the socket's limit (about 200 KB by default) was refused
  // (EMSGSIZE) and the alert lost; it is cut to max_message_bytes as over UDP.
  Alert big = MakeTestAlert(4);
  big.summary.assign(300'000, 'x');
  ASSERT_TRUE(sink->Write(big));
  d = ReadSome(fd);
  EXPECT_EQ(d.size(), o.max_message_bytes);
  EXPECT_NE(d.find("id=\"alert-4\""), std::string::npos);
  EXPECT_EQ(sink->stats().truncated, 1u);
  ::close(fd);
  std::filesystem::remove(path);
}

TEST(SyslogSink, PeerDownIsAFailedWriteNotACrash) {
  uint16_t port;
  {
    BoundSocket gone(SOCK_STREAM);
    port = gone.port;
  }
  SyslogSinkOptions o;
  o.transport = SyslogTransport::kTcp;
  o.address = "127.0.0.1:" + std::to_string(port);
  o.timeout_ms = 500;
  std::string error;
  auto sink = SyslogSink::Create(o, &error);
  ASSERT_TRUE(sink) << error;
  EXPECT_FALSE(sink->Write(MakeTestAlert(1)));
  EXPECT_EQ(sink->stats().errors, 1u);
  o.address = "no-port";
  EXPECT_FALSE(SyslogSink::Create(o, &error));
}

}  // namespace
}  // namespace loghunt
