// msticpy's command-speed and sudo-session detections
// (../shared/reference/msticpy.md §3 cmd_speed, §6 risky_sudo_sessions),
// ported from batch DataFrames to streams.
//
// CommandBurstDetector: cmd_speed. Commands (sudo user_command and
// process_start events with a command line) are grouped by host and user; when
// `events` + 1 consecutive commands span less than `seconds`, one alert is
// raised, and no other until a window that does not overlap the reported one
// (msticpy lists every window; a stream wants one alert per burst).
//
// RiskySudoSessionDetector: risky_sudo_sessions. sudo's PAM sessions
// (pam_unix(sudo:session) or sudo-i "session opened"/"session closed", i.e.
// logon/logoff events with method "session" and PAM service sudo; cron's
// and sshd's sessions are not sudo sessions, as in msticpy's notebooks,
// which pass it sudo's rows) are tracked per host; a session is risky when,
// inside [open, close] (inclusive, as msticpy), a sudo command (user_command)
// matches msticpy's Syslog risky-command rules or is the second command of a
// burst window (msticpy's attribution). A command is attributed to a session
// of the user who ran sudo (when both are known; msticpy pairs by time alone,
// which credits one user's command to another's concurrent session). Each
// risky session gives one alert. sudo logs a command just before opening its
// session (at most a second before, or in the same sudo process): such
// signals are kept briefly and matched when the session opens; recently
// closed sessions are kept for bursts detected after they closed.
//
// Memory: bounded by `max_keys` tracked hosts/users and by `max_bytes` of
// bytes(); beyond either the state is reset (counted in resets()). The
// strings kept are cut (core/text.h): a command waiting for its session to
// kKeptTextBytes, host and user names to kKeptNameBytes, with a marker that
// the alert shows; each was kept whole (a 1 MB sudo command on each of 100k
// hosts, 8 per host, was 800 GB). Thread-safety: none; one instance per worker.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "detectors/builtin/risky_command.h"
#include "detectors/detector.h"

namespace loghunt {

struct CommandBurstOptions {
  int events = 10;      // msticpy cmd_speed default
  int64_t seconds = 5;  // msticpy cmd_speed default
  size_t max_keys = 100'000;
  // bytes() beyond which the state is reset. max_keys ordinary hosts hold
  // less (about 150 MB for 100k hosts with 16 sessions each).
  size_t max_bytes = size_t{256} << 20;
};

// Sliding window of command times for one key; reports windows of
// events + 1 commands spanning less than `seconds`.
class CommandBurstWindow {
 public:
  struct Burst {
    int64_t earliest_ns = 0;  // the window's span: earliest .. latest command
    int64_t latest_ns = 0;
    int64_t second_ns = 0;  // the window's second command as it arrived (msticpy's attribution)
  };
  // Adds a command at `ns`. Returns true when the window ending here is a
  // burst, described in *burst.
  bool Add(int64_t ns, const CommandBurstOptions& options, Burst* burst);

 private:
  std::deque<int64_t> times_;
};

class CommandBurstDetector : public Detector {
 public:
  explicit CommandBurstDetector(CommandBurstOptions options = {});
  std::string_view name() const override { return "command_burst"; }
  void Inspect(const Event& event, std::vector<Alert>& alerts) override;
  void TakeStateFrom(Detector& old) override;
  uint64_t resets() const { return resets_; }
  // The detector's estimate of the memory its state holds (keys and windows).
  size_t bytes() const { return bytes_; }

 private:
  struct State {
    CommandBurstWindow window;
    int64_t reported_until = INT64_MIN;
  };
  size_t KeyBytes(const std::string& key) const;
  CommandBurstOptions options_;
  std::unordered_map<std::string, State> keys_;
  std::string key_;
  size_t bytes_ = 0;
  uint64_t resets_ = 0;
};

class RiskySudoSessionDetector : public Detector {
 public:
  explicit RiskySudoSessionDetector(CommandBurstOptions burst = {});
  std::string_view name() const override { return "risky_sudo_session"; }
  void Inspect(const Event& event, std::vector<Alert>& alerts) override;
  void TakeStateFrom(Detector& old) override;
  uint64_t resets() const { return resets_; }
  // The detector's estimate of the memory its state holds (hosts, sessions,
  // waiting commands), what max_bytes bounds.
  size_t bytes() const { return bytes_; }

 private:
  struct Session {
    int64_t start = 0;
    int64_t end = INT64_MAX;  // INT64_MAX while open
    std::string user;
    int64_t pid = -1;  // the sudo process that opened it
    bool reported = false;
  };
  struct Signal {
    int64_t time = 0;
    std::string what;  // the risky command, or "Suspicious event pattern"
    std::string user;  // who ran sudo ("" = unknown)
    int64_t pid = -1;  // the sudo process (-1 for a burst)
  };
  static bool SameUser(const Session& session, const Signal& signal);
  struct Host {
    std::deque<Session> sessions;  // most recent last
    std::deque<Signal> pending;    // signals not inside any session yet
    CommandBurstWindow burst;
    size_t bytes = 0;  // of bytes_, as last counted
  };
  // Counts `host` (keyed `key`) again after a change.
  void Recount(const std::string& key, Host& host);
  // Inspect() for a sudo session event (opened or closed) or command of `host`.
  void Update(const Event& event, bool opened, bool closed, Host& host, std::vector<Alert>& alerts);
  void Attribute(const Event& event, Host& host, Signal signal, std::vector<Alert>& alerts);
  void Report(const Event& event, Session& session, const Signal& signal,
              std::vector<Alert>& alerts);

  CommandBurstOptions burst_;
  RiskyCommandDetector risky_;
  std::vector<Alert> risky_alerts_;
  std::unordered_map<std::string, Host> hosts_;
  std::string host_key_;
  size_t bytes_ = 0;
  uint64_t resets_ = 0;
};

}  // namespace loghunt
