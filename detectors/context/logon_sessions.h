// LogonSessionTracker: logon sessions of a host's users, paired from the PAM
// "session opened" / "session closed" events the syslog parser emits
// (event.action = session_opened / session_closed), so that later detectors
// can ask "which session was open for user U on host H at time T" and "which
// login session ran this sudo command".
//
// Pairing follows msticpy's cluster_syslog_logons_df (opens and closes per
// user, in time order) but is streaming and keyed by (host, user): a close
// ends the open session of the same host, user and pid (sshd, su and login
// log both lines from one process), else the oldest open one. A successful
// sshd logon ("Accepted ... from IP") seen just before on the same host and
// pid gives the session its source address.
//
// Memory is bounded: at most `max_sessions` sessions are kept; closed
// sessions are forgotten `closed_retention_ns` after they end and open ones
// `max_open_ns` after they start (a lost "closed" line must not pin memory),
// both measured in the stream's own time (the newest event timestamp).
// Strings are copied when a session opens (not per event).
//
// Thread-safety: none; one tracker per worker (a host's events all reach one
// worker). Pointers returned by the queries are valid until the next Observe().
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/event.h"

namespace loghunt {

struct LogonSession {
  std::string id;  // stable: StableId(host, user, pid, start) hex
  std::string host;
  std::string user;
  std::string service;    // PAM service: sshd, login, su, sudo, cron, ...
  std::string by_user;    // "session opened for user root by alice": alice
  std::string source_ip;  // from the sshd logon that preceded the session
  int64_t pid = -1;
  int64_t start_ns = 0;
  int64_t end_ns = 0;  // 0 while open
  bool open() const { return end_ns == 0; }
  // True when `t_ns` lies in [start, end] (or after start while open).
  bool Contains(int64_t t_ns) const { return t_ns >= start_ns && (open() || t_ns <= end_ns); }
};

struct LogonSessionOptions {
  size_t max_sessions = 65536;
  int64_t closed_retention_ns = int64_t{24} * 3600 * 1'000'000'000;
  int64_t max_open_ns = int64_t{7} * 24 * 3600 * 1'000'000'000;
};

class LogonSessionTracker {
 public:
  explicit LogonSessionTracker(const LogonSessionOptions& options = {});

  // Feeds one event of any stream; only syslog PAM session events and
  // successful logons change the state.
  void Observe(const Event& event);

  // The session of `user` on `host` that contains `t_ns`, the most recently
  // started one when several do (nested su / sudo sessions); nullptr if none.
  const LogonSession* SessionAt(std::string_view host, std::string_view user, int64_t t_ns) const;

  // The login session behind a command event (sudo user_command, cron,
  // process_start): the session of the event's process.user on its host at
  // its time, preferring interactive logins (sshd, login, gdm, ...) over the
  // sudo / su / cron sessions nested in them; nullptr if none.
  const LogonSession* SessionFor(const Event& event) const;

  size_t size() const { return size_; }
  size_t open_count() const;

 private:
  using Sessions = std::vector<LogonSession>;
  const Sessions* Find(std::string_view host, std::string_view user) const;
  void Open(const Event& e);
  void Close(const Event& e);
  void Sweep();

  LogonSessionOptions options_;
  std::unordered_map<std::string, Sessions> by_key_;  // key: host '\x1f' user
  // host '\x1f' pid -> source address of the last successful remote logon.
  std::unordered_map<std::string, std::string> pending_sources_;
  size_t size_ = 0;
  int64_t newest_ns_ = 0;
  int64_t next_sweep_ns_ = 0;
  mutable std::string key_;  // reused lookup key
};

}  // namespace loghunt
