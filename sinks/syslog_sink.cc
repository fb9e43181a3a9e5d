#include "sinks/syslog_sink.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/serialize.h"
#include "core/text.h"
#include "core/time.h"
#include "sinks/ocsf.h"

namespace loghunt {
namespace {

constexpr std::string_view kFacilities[] = {
    "kern",   "user",   "mail",     "daemon", "auth",   "syslog", "lpr",    "news",
    "uucp",   "cron",   "authpriv", "ftp",    "ntp",    "audit",  "alert",  "clock",
    "local0", "local1", "local2",   "local3", "local4", "local5", "local6", "local7"};

int SyslogSeverity(Severity s) {
  switch (s) {
    case Severity::kCritical:
      return 2;
    case Severity::kHigh:
      return 3;
    case Severity::kMedium:
      return 4;
    case Severity::kLow:
      return 5;
    case Severity::kInformational:
      return 6;
  }
  return 5;
}

// SD-PARAM value: '"', '\' and ']' are escaped with a backslash.
void AppendParam(std::string_view name, std::string_view value, std::string* out) {
  if (value.empty()) return;
  out->push_back(' ');
  out->append(name);
  out->append("=\"");
  // RFC 5424 6.3.3: PARAM-VALUE is UTF-8 (an event's host name may not be),
  // with '"', '\\' and ']' escaped. Control characters are written as the
  // text format writes them (a backslash escape, AppendPrintable): a newline
  // in a host name from a log went to the wire as is, and a line-based
  // receiver stored the rest as a forged record.
  std::string printable;
  AppendPrintable(value, &printable);  // backslashes doubled already
  for (char c : printable) {
    if (c == '"' || c == ']') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('"');
}

bool SplitHostPort(std::string_view address, std::string* host, std::string* port) {
  if (!address.empty() && address[0] == '[') {
    size_t close = address.find(']');
    if (close == std::string_view::npos || close + 1 >= address.size() || address[close + 1] != ':')
      return false;
    *host = std::string(address.substr(1, close - 1));
    *port = std::string(address.substr(close + 2));
  } else {
    size_t colon = address.rfind(':');
    if (colon == std::string_view::npos) return false;
    *host = std::string(address.substr(0, colon));
    *port = std::string(address.substr(colon + 1));
  }
  auto p = ParseInt(*port);
  return !host->empty() && p && *p > 0 && *p < 65536;
}

}  // namespace

bool ParseSyslogTransport(std::string_view name, SyslogTransport* transport) {
  if (name == "udp") {
    *transport = SyslogTransport::kUdp;
  } else if (name == "tcp") {
    *transport = SyslogTransport::kTcp;
  } else if (name == "unix") {
    *transport = SyslogTransport::kUnix;
  } else {
    return false;
  }
  return true;
}

bool ParseSyslogFacility(std::string_view name, int* facility) {
  for (size_t i = 0; i < std::size(kFacilities); ++i) {
    if (kFacilities[i] == name) {
      *facility = static_cast<int>(i);
      return true;
    }
  }
  return false;
}

std::unique_ptr<SyslogSink> SyslogSink::Create(SyslogSinkOptions options, std::string* error) {
  std::unique_ptr<SyslogSink> sink(new SyslogSink(std::move(options)));
  const SyslogSinkOptions& o = sink->options_;
  if (o.transport == SyslogTransport::kUnix) {
    if (o.address.empty() || o.address.size() >= sizeof(sockaddr_un::sun_path)) {
      *error = "unix socket path is empty or too long";
      return nullptr;
    }
    sink->peer_ = o.address;
    sink->family_ = AF_UNIX;
    return sink;
  }
  std::string host, port;
  if (!SplitHostPort(o.address, &host, &port)) {
    *error = "address must be HOST:PORT";
    return nullptr;
  }
  addrinfo hints{};
  hints.ai_socktype = o.transport == SyslogTransport::kTcp ? SOCK_STREAM : SOCK_DGRAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0 || res == nullptr) {
    *error = "cannot resolve " + host + ": " + gai_strerror(rc);
    return nullptr;
  }
  sink->peer_.assign(reinterpret_cast<const char*>(res->ai_addr), res->ai_addrlen);
  sink->family_ = res->ai_family;
  freeaddrinfo(res);
  return sink;
}

SyslogSink::SyslogSink(SyslogSinkOptions options) : options_(std::move(options)) {
  if (options_.hostname.empty()) {
    char name[256] = {};
    if (gethostname(name, sizeof name - 1) == 0) options_.hostname = name;
  }
  procid_ = std::to_string(getpid());
}

SyslogSink::~SyslogSink() { Close(); }

void SyslogSink::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void SyslogSink::Reopen() {
  std::lock_guard lock(mu_);
  Close();
}

SyslogSinkStats SyslogSink::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

bool SyslogSink::Connect() {
  if (options_.transport == SyslogTransport::kUnix) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, peer_.data(), peer_.size());
    // /dev/log is a datagram socket; some collectors listen on a stream one.
    for (int type : {SOCK_DGRAM, SOCK_STREAM}) {
      fd_ = ::socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
      if (fd_ < 0) {
        Fail("socket", errno);
        return false;
      }
      if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
        stream_ = type == SOCK_STREAM;
        return true;
      }
      const int error_number = errno;
      Close();
      if (error_number != EPROTOTYPE) {
        Fail("connect", error_number);
        return false;
      }
    }
    Fail("connect", EPROTOTYPE);
    return false;
  }
  const bool tcp = options_.transport == SyslogTransport::kTcp;
  stream_ = tcp;
  fd_ = ::socket(family_, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    Fail("socket", errno);
    return false;
  }
  if (!tcp) return true;  // UDP: sendto() each datagram, no connection state to lose
  timeval tv{options_.timeout_ms / 1000, (options_.timeout_ms % 1000) * 1000};
  setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  // Non-blocking connect so a black-holed peer costs timeout_ms, not minutes.
  int flags = fcntl(fd_, F_GETFL);
  fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
  int rc = ::connect(fd_, reinterpret_cast<const sockaddr*>(peer_.data()),
                     static_cast<socklen_t>(peer_.size()));
  int error_number = rc == 0 ? 0 : errno;
  if (rc != 0 && errno == EINPROGRESS) {
    pollfd p{fd_, POLLOUT, 0};
    rc = ::poll(&p, 1, options_.timeout_ms) == 1 ? 0 : -1;
    error_number = rc == 0 ? 0 : ETIMEDOUT;
    int err = 0;
    socklen_t len = sizeof err;
    if (rc == 0 && (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)) {
      rc = -1;
      error_number = err != 0 ? err : errno;
    }
  }
  if (rc != 0) {
    Close();
    Fail("connect", error_number);
    return false;
  }
  fcntl(fd_, F_SETFL, flags);
  return true;
}

std::string SyslogSink::Format(const Alert& alert) const {
  std::string m;
  m.reserve(512 + alert.evidence_json.size() * 2);
  m.push_back('<');
  m += std::to_string(options_.facility * 8 + SyslogSeverity(alert.rule.severity));
  m += ">1 ";
  if (alert.time_ns > 0) {
    AppendRfc3339(alert.time_ns, &m);
  } else {
    m.push_back('-');
  }
  m.push_back(' ');
  AppendRfc5424HeaderField(options_.hostname, 255, &m);
  m.push_back(' ');
  AppendRfc5424HeaderField(options_.app_name, 48, &m);
  m.push_back(' ');
  AppendRfc5424HeaderField(procid_, 128, &m);
  m += " alert [loghunt@32473";
  AppendParam("id", alert.id, &m);
  AppendParam("rule", alert.rule.id, &m);
  AppendParam("severity", SeverityName(alert.rule.severity), &m);
  AppendParam("host", alert.host, &m);
  m += "] ";
  AppendAlertFormatted(alert, options_.format, &m);
  return m;
}

bool SyslogSink::SendFrame(const std::string& frame) {
  if (fd_ < 0 && !Connect()) return false;
  if (!stream_) {
    ssize_t n;
    if (options_.transport == SyslogTransport::kUdp) {
      n = ::sendto(fd_, frame.data(), frame.size(), MSG_NOSIGNAL,
                   reinterpret_cast<const sockaddr*>(peer_.data()),
                   static_cast<socklen_t>(peer_.size()));
    } else {
      n = ::send(fd_, frame.data(), frame.size(), MSG_NOSIGNAL);
    }
    if (n == static_cast<ssize_t>(frame.size())) return true;
    Fail("send", n < 0 ? errno : EMSGSIZE);
    return false;
  }
  size_t done = 0;
  while (done < frame.size()) {
    ssize_t n = ::send(fd_, frame.data() + done, frame.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Fail("send", n < 0 ? errno : EPIPE);
      Close();
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

bool SyslogSink::Write(const Alert& alert) {
  std::string message = Format(alert);
  std::lock_guard lock(mu_);
  // A receiver that closed the connection (restarted, say) is noticed only by
  // the second send after it: the first succeeds locally and is lost. So a
  // stream connection is checked for the peer's end first.
  if (stream_ && fd_ >= 0) {
    char c;
    if (::recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0) {
      Close();
      ++stats_.reconnects;
    }
  }
  if (fd_ < 0 && !Connect()) {
    ++stats_.errors;
    LogNotSent(alert);
    return false;
  }
  // A datagram (UDP, or a unix datagram socket such as /dev/log, which
  // refuses one over its buffer with EMSGSIZE) longer than max_message_bytes
  // is cut before the character the limit falls in, not inside it.
  if (!stream_ && message.size() > options_.max_message_bytes) {
    size_t n = options_.max_message_bytes;
    while (n > 0 && (static_cast<unsigned char>(message[n]) & 0xC0) == 0x80) --n;
    uint64_t held_back = 0;
    if (truncation_log_.Allow(&held_back)) {
      spdlog::warn(
          "sink syslog {}: alert {} ({}, {} bytes) cut to max_message_bytes {} ({} more "
          "cut since the last message)",
          options_.address, alert.id, alert.rule.id, message.size(), n, held_back);
    }
    message.resize(n);
    ++stats_.truncated;
  }
  const std::string& frame = message;
  auto framed = [&]() { return stream_ ? std::to_string(frame.size()) + " " + frame : frame; };
  if (SendFrame(framed())) {
    ++stats_.sent;
    return true;
  }
  // A dropped TCP connection shows on the first send after it broke: once
  // more on a fresh connection. A frame cut midway is discarded by the
  // receiver with the old connection, so the resend does not interleave.
  Close();
  ++stats_.reconnects;
  if (Connect() && SendFrame(framed())) {
    ++stats_.sent;
    return true;
  }
  ++stats_.errors;
  LogNotSent(alert);
  return false;
}

void SyslogSink::Fail(std::string_view what, int error_number) {
  error_ = std::string(what) + ": " + std::strerror(error_number);
}

void SyslogSink::LogNotSent(const Alert& alert) {
  uint64_t held_back = 0;
  if (!failure_log_.Allow(&held_back)) return;
  spdlog::error(
      "sink syslog {}: alert {} ({}) not sent: {} ({} more not sent since the last "
      "message)",
      options_.address, alert.id, alert.rule.id, error_, held_back);
}

}  // namespace loghunt
