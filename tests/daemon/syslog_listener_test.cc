#include "daemon/syslog_listener.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

#include "daemon/config.h"
#include "daemon/pipeline.h"

namespace loghunt {
namespace {

std::vector<std::string> CorpusLines(size_t n) {
  std::ifstream in(std::string(LOGHUNT_SOURCE_DIR) + "/conf/demo/syslog.log");
  std::vector<std::string> lines;
  for (std::string l; lines.size() < n && std::getline(in, l);) lines.push_back(l);
  return lines;
}

// Normalized events of `lines` as `replay --events` prints them.
std::string Replay(const std::vector<std::string>& lines) {
  Config config;
  config.parser.default_year = 2019;
  char* buf = nullptr;
  size_t size = 0;
  FILE* out = open_memstream(&buf, &size);
  {
    Pipeline p(config, Stream::kSyslog, {}, out);
    for (size_t i = 0; i < lines.size(); ++i) {
      p.Process(lines[i], SourcePosition{"syslog", -1, static_cast<int64_t>(i + 1)});
    }
    p.Finish();
  }
  std::fclose(out);
  std::string s(buf, size);
  free(buf);
  return s;
}

int Connect(int type, uint16_t port) {
  int fd = ::socket(AF_INET, type, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  return fd;
}

// A TCP connection from `source` (a loopback address: every 127.x.y.z is one
// on Linux), so tests can play several hosts.
int ConnectFrom(const char* source, uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in from{};
  from.sin_family = AF_INET;
  inet_pton(AF_INET, source, &from.sin_addr);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from), 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  return fd;
}

void SendAll(int fd, std::string_view data) {
  for (size_t sent = 0; sent < data.size();) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    ASSERT_GT(n, 0);
    sent += static_cast<size_t>(n);
  }
}

// Waits up to 5 s for `done`.
bool WaitFor(const std::function<bool()>& done) {
  for (int i = 0; i < 500; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

// Runs a listener feeding a pipeline the way `loghuntd run` does, sends
// `lines` with `send`, and returns the events.
std::string ListenAndCollect(const std::vector<std::string>& lines,
                             const std::function<void(SyslogListener&)>& send) {
  Config config;
  config.parser.default_year = 2019;
  char* buf = nullptr;
  size_t size = 0;
  FILE* out = open_memstream(&buf, &size);
  Pipeline pipeline(config, Stream::kSyslog, {}, out);
  std::mutex mu;
  int64_t seq = 0;
  SyslogListenerOptions o;
  o.udp_listen = "127.0.0.1:0";
  o.tcp_listen = "127.0.0.1:0";
  std::string error;
  auto listener = SyslogListener::Start(
      o,
      [&](std::string_view m, bool, std::string_view) {
        std::lock_guard lock(mu);
        pipeline.Process(m, SourcePosition{"syslog", -1, ++seq});
      },
      &error);
  EXPECT_TRUE(listener) << error;
  if (!listener) return "";
  send(*listener);
  for (int i = 0; i < 500; ++i) {
    {
      std::lock_guard lock(mu);
      if (seq >= static_cast<int64_t>(lines.size())) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  listener->Stop();
  pipeline.Finish();
  std::fclose(out);
  std::string s(buf, size);
  free(buf);
  return s;
}

TEST(SyslogListener, UdpDatagramsGiveTheSameEventsAsReplay) {
  auto lines = CorpusLines(100);
  std::string expected = Replay(lines);
  ASSERT_FALSE(expected.empty());
  std::string got = ListenAndCollect(lines, [&](SyslogListener& l) {
    int fd = Connect(SOCK_DGRAM, l.udp_port());
    for (const auto& line : lines) {
      ASSERT_EQ(::send(fd, line.data(), line.size(), 0), static_cast<ssize_t>(line.size()));
      std::this_thread::sleep_for(std::chrono::microseconds(200));  // stay inside the socket buffer
    }
    ::close(fd);
  });
  EXPECT_EQ(got, expected);
}

TEST(SyslogListener, TcpOctetCountingAndNewlineFramingGiveTheSameEventsAsReplay) {
  auto lines = CorpusLines(100);
  std::string expected = Replay(lines);
  std::string got = ListenAndCollect(lines, [&](SyslogListener& l) {
    int fd = Connect(SOCK_STREAM, l.tcp_port());
    // Alternate the two RFC 6587 framings on one connection, and write in
    // odd-sized pieces so frames straddle reads.
    std::string stream;
    for (size_t i = 0; i < lines.size(); ++i) {
      if (i % 2 == 0) {
        stream += std::to_string(lines[i].size()) + " " + lines[i];
      } else {
        stream += lines[i] + "\n";
      }
    }
    for (size_t at = 0; at < stream.size(); at += 777) {
      size_t n = std::min<size_t>(777, stream.size() - at);
      ASSERT_EQ(::send(fd, stream.data() + at, n, 0), static_cast<ssize_t>(n));
    }
    ::close(fd);
  });
  EXPECT_EQ(got, expected);
}

TEST(SyslogListener, BadOctetCountClosesOnlyThatConnection) {
  std::mutex mu;
  std::vector<std::string> got;
  SyslogListenerOptions o;
  o.tcp_listen = "127.0.0.1:0";
  o.max_message_bytes = 1024;
  std::string error;
  auto listener = SyslogListener::Start(
      o,
      [&](std::string_view m, bool too_long, std::string_view) {
        std::lock_guard lock(mu);
        got.push_back(std::string(too_long ? "LONG:" : "") + std::string(m.substr(0, 10)));
      },
      &error);
  ASSERT_TRUE(listener) << error;
  int bad = Connect(SOCK_STREAM, listener->tcp_port());
  std::string garbage = "12345678901234 x";
  ::send(bad, garbage.data(), garbage.size(), 0);
  int good = Connect(SOCK_STREAM, listener->tcp_port());
  std::string frames = "5 hello" + std::string(2000, 'y') + "\nafter\n";
  ::send(good, frames.data(), frames.size(), 0);
  for (int i = 0; i < 300; ++i) {
    {
      std::lock_guard lock(mu);
      if (got.size() >= 3 && listener->stats().bad_frames >= 1) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::close(bad);
  ::close(good);
  listener->Stop();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], "hello");
  EXPECT_EQ(got[1], "LONG:yyyyyyyyyy");  // cut to max_message_bytes, counted
  EXPECT_EQ(got[2], "after");
  EXPECT_EQ(listener->stats().bad_frames, 1u);
  EXPECT_EQ(listener->stats().too_long, 1u);
}

// At max_connections a new connection closes the one idle longest instead of
// being refused; a large frame grows a connection's buffer as it needs.
TEST(SyslogListener, IdleConnectionsMakeRoomAndLargeFramesStillArrive) {
  std::mutex mu;
  std::vector<std::string> got;
  SyslogListenerOptions o;
  o.tcp_listen = "127.0.0.1:0";
  o.max_connections = 2;
  o.max_message_bytes = 1 << 20;
  std::string error;
  auto listener = SyslogListener::Start(
      o,
      [&](std::string_view m, bool too_long, std::string_view) {
        std::lock_guard lock(mu);
        got.push_back(std::string(too_long ? "LONG:" : "") + std::to_string(m.size()));
      },
      &error);
  ASSERT_TRUE(listener) << error;
  // From two addresses: one address may have only a quarter of max_connections.
  int idle1 = ConnectFrom("127.0.0.1", listener->tcp_port());
  int idle2 = ConnectFrom("127.0.0.2", listener->tcp_port());
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  int fresh = Connect(SOCK_STREAM, listener->tcp_port());
  std::string big(700'000, 'z');
  std::string frames = big + "\nsmall\n";
  for (size_t sent = 0; sent < frames.size();) {
    ssize_t n = ::send(fresh, frames.data() + sent, frames.size() - sent, 0);
    ASSERT_GT(n, 0);
    sent += static_cast<size_t>(n);
  }
  for (int i = 0; i < 300; ++i) {
    {
      std::lock_guard lock(mu);
      if (got.size() >= 2) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::close(idle1);
  ::close(idle2);
  ::close(fresh);
  listener->Stop();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], "700000");
  EXPECT_EQ(got[1], "5");
  EXPECT_EQ(listener->stats().connections_evicted, 1u);
  EXPECT_EQ(listener->stats().connections_refused, 0u);
}

// The review's attack: one host opens every connection and keeps each busy
// with a byte of an unfinished line now and then, so none was ever idle and
// a real sender's connection was closed on accept.
TEST(SyslogListener, OneAddressCannotTakeEveryConnection) {
  std::mutex mu;
  std::vector<std::string> got;
  SyslogListenerOptions o;
  o.tcp_listen = "127.0.0.1:0";
  o.max_connections = 64;  // a quarter, 16, per address
  std::string error;
  auto listener = SyslogListener::Start(
      o,
      [&](std::string_view m, bool, std::string_view) {
        std::lock_guard lock(mu);
        got.emplace_back(m);
      },
      &error);
  ASSERT_TRUE(listener) << error;
  std::vector<int> slow;
  for (int i = 0; i < 64; ++i) {
    slow.push_back(ConnectFrom("127.0.0.2", listener->tcp_port()));
    ::send(slow.back(), "x", 1, MSG_NOSIGNAL);
  }
  int sender = ConnectFrom("127.0.0.1", listener->tcp_port());
  SendAll(sender, "<13>Jan  1 00:00:00 h app: hello\n");
  EXPECT_TRUE(WaitFor([&] {
    std::lock_guard lock(mu);
    return !got.empty();
  }));
  for (int fd : slow) ::close(fd);
  ::close(sender);
  listener->Stop();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], "<13>Jan  1 00:00:00 h app: hello");
  EXPECT_EQ(listener->stats().connections_refused + listener->stats().connections_evicted, 48u);
}

// Trickling the bytes of a frame that never ends does not hold a connection
// (and its buffer) for ever; idle connections and whole lines are not affected.
TEST(SyslogListener, UnfinishedFrameIsClosedAfterTheFrameTimeout) {
  SyslogListenerOptions o;
  o.tcp_listen = "127.0.0.1:0";
  o.frame_timeout = std::chrono::milliseconds(500);
  std::atomic<int> lines{0};
  std::string error;
  auto listener = SyslogListener::Start(
      o, [&](std::string_view, bool, std::string_view) { ++lines; }, &error);
  ASSERT_TRUE(listener) << error;
  int trickle = Connect(SOCK_STREAM, listener->tcp_port());
  int idle = Connect(SOCK_STREAM, listener->tcp_port());
  int steady = Connect(SOCK_STREAM, listener->tcp_port());
  bool closed = false;
  for (int i = 0; i < 50 && !closed; ++i) {  // 5 s
    closed = ::send(trickle, "x", 1, MSG_NOSIGNAL) < 0;
    SendAll(steady, "<13>Jan  1 00:00:00 h app: line\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(closed);
  EXPECT_TRUE(WaitFor([&] { return listener->stats().connections == 2; }));
  EXPECT_EQ(listener->stats().frame_timeouts, 1u);
  EXPECT_EQ(listener->stats().connections_accepted, 3u);
  EXPECT_GT(lines, 0);
  ::close(trickle);
  ::close(idle);
  ::close(steady);
  listener->Stop();
}

// Frames longer than a connection's first 64 KiB buffer share
// max_buffered_bytes: one that finds it held is cut there (delivered as too
// long), and a connection gives its grown buffer back after the frame.
TEST(SyslogListener, BufferedBytesStayWithinMaxBufferedBytes) {
  std::mutex mu;
  std::vector<std::string> got;
  SyslogListenerOptions o;
  o.tcp_listen = "127.0.0.1:0";
  o.max_message_bytes = 800'000;
  o.max_buffered_bytes = 1 << 20;
  std::string error;
  auto listener = SyslogListener::Start(
      o,
      [&](std::string_view m, bool too_long, std::string_view) {
        std::lock_guard lock(mu);
        got.push_back(too_long ? "LONG" : std::string(m));
      },
      &error);
  ASSERT_TRUE(listener) << error;
  std::vector<int> conns;
  for (int i = 0; i < 4; ++i) conns.push_back(Connect(SOCK_STREAM, listener->tcp_port()));
  const std::string part(600'000, 'a');
  uint64_t most = 0;
  for (int fd : conns) {
    SendAll(fd, part);
    most = std::max<uint64_t>(most, listener->stats().buffered_bytes);
  }
  // The four 600 KB frames cannot all be held: some are cut at once.
  EXPECT_TRUE(WaitFor([&] { return listener->stats().buffer_full > 0; }));
  most = std::max<uint64_t>(most, listener->stats().buffered_bytes);
  for (int fd : conns) SendAll(fd, "\nafter\n");
  EXPECT_TRUE(WaitFor([&] {
    std::lock_guard lock(mu);
    return std::count(got.begin(), got.end(), "after") == 4;
  }));
  EXPECT_LE(most, o.max_buffered_bytes);
  EXPECT_TRUE(WaitFor([&] { return listener->stats().buffered_bytes == 0; }));
  for (int fd : conns) ::close(fd);
  listener->Stop();
  std::lock_guard lock(mu);
  EXPECT_GE(std::count(got.begin(), got.end(), "LONG"), 1);
}

TEST(SyslogListener, BadAddressIsAnError) {
  std::string error;
  SyslogListenerOptions o;
  o.udp_listen = "not-an-ip:514";
  EXPECT_FALSE(SyslogListener::Start(
      o, [](std::string_view, bool, std::string_view) {}, &error));
  EXPECT_NE(error.find("IP:PORT"), std::string::npos);
}

}  // namespace
}  // namespace loghunt
