#include "detectors/rules/msticpy_sudo.h"

#include <algorithm>

#include "core/text.h"
#include "core/time.h"

namespace loghunt {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr size_t kKeptSessions = 16;  // closed sessions kept per host for late bursts
constexpr size_t kKeptSignals = 8;    // signals waiting for their session to open
// bytes() of a key's or host's fixed parts: its map node and structs.
constexpr size_t kEntryBytes = 256;

bool IsCommand(const Event& e) {
  return (e.kind == EventKind::kUserCommand || e.kind == EventKind::kProcessStart) &&
         !e.process.command_line.empty();
}

// sudo's own commands (user_command events), not cron jobs or other processes.
bool IsSudoCommand(const Event& e) {
  return e.kind == EventKind::kUserCommand && !e.process.command_line.empty();
}

// A PAM session of sudo (pam_unix(sudo:session), pam_unix(sudo-i:session)).
bool IsSudoSessionEvent(const Event& e, EventKind kind) {
  if (e.kind != kind || e.logon.method != "session") return false;
  std::string_view service = e.Extra("pam.service");
  return service == "sudo" || service == "sudo-i";
}

}  // namespace

bool CommandBurstWindow::Add(int64_t ns, const CommandBurstOptions& options, Burst* burst) {
  times_.push_back(ns);
  size_t need = static_cast<size_t>(options.events) + 1;
  while (times_.size() > need) times_.pop_front();
  if (times_.size() < need) return false;
  // msticpy: T[i + events] - T[i] < time (strictly). Streams are not always
  // in time order, so the span is max - min (msticpy's unsorted rows can give
  // negative deltas that count as bursts; that quirk is not kept).
  int64_t lo = times_.front(), hi = times_.front();
  for (int64_t t : times_) {
    lo = std::min(lo, t);
    hi = std::max(hi, t);
  }
  if (SpanNs(hi, lo) >= options.seconds * kSecond) return false;
  *burst = {lo, hi, times_[1]};
  return true;
}

CommandBurstDetector::CommandBurstDetector(CommandBurstOptions options) : options_(options) {}

size_t CommandBurstDetector::KeyBytes(const std::string& key) const {
  // A window holds up to events + 1 times.
  return kEntryBytes + key.size() + sizeof(int64_t) * (static_cast<size_t>(options_.events) + 1);
}

void CommandBurstDetector::TakeStateFrom(Detector& old) {
  auto* from = dynamic_cast<CommandBurstDetector*>(&old);
  if (from == nullptr) return;
  if (from->keys_.size() > options_.max_keys) {
    ++resets_;  // as Inspect() would at the next new key
    return;
  }
  keys_ = std::move(from->keys_);
  bytes_ = 0;  // counted with this detector's window size
  for (const auto& [key, state] : keys_) bytes_ += KeyBytes(key);
  if (bytes_ > options_.max_bytes) {
    keys_.clear();
    bytes_ = 0;
    ++resets_;
  }
}

void CommandBurstDetector::Inspect(const Event& event, std::vector<Alert>& alerts) {
  if (!IsCommand(event) || event.timestamp_ns == 0) return;
  key_.clear();
  AppendKept(&key_, event.host, kKeptNameBytes);
  key_.push_back('\0');
  AppendKept(&key_, event.process.user, kKeptNameBytes);
  auto it = keys_.find(key_);
  if (it == keys_.end()) {
    if (keys_.size() >= options_.max_keys || bytes_ + KeyBytes(key_) > options_.max_bytes) {
      keys_.clear();
      bytes_ = 0;
      ++resets_;
    }
    it = keys_.emplace(key_, State{}).first;
    bytes_ += KeyBytes(key_);
  }
  State& s = it->second;
  CommandBurstWindow::Burst burst;
  if (!s.window.Add(event.timestamp_ns, options_, &burst)) return;
  // A window overlapping the reported one is the same burst (also when its
  // commands arrive out of time order).
  if (burst.earliest_ns <= s.reported_until) return;
  s.reported_until = burst.latest_ns;
  Alert alert = MakeAlert(event,
                          {"msticpy.syslog.command_burst",
                           "Burst of commands in one session",
                           Severity::kMedium,
                           {"msticpy", "cmd_speed"}},
                          "");
  alert.summary = std::to_string(options_.events + 1) + " commands by '" +
                  std::string(event.process.user) + "' within " +
                  std::to_string(SpanNs(burst.latest_ns, burst.earliest_ns) / 1'000'000) +
                  " ms; last: " + std::string(event.process.command_line);
  if (!event.process.user.empty()) {
    alert.entities.push_back({"Account", {{"Name", std::string(event.process.user)}}});
  }
  alerts.push_back(std::move(alert));
}

RiskySudoSessionDetector::RiskySudoSessionDetector(CommandBurstOptions burst) : burst_(burst) {}

void RiskySudoSessionDetector::TakeStateFrom(Detector& old) {
  auto* from = dynamic_cast<RiskySudoSessionDetector*>(&old);
  if (from == nullptr) return;
  if (from->hosts_.size() > burst_.max_keys || from->bytes_ > burst_.max_bytes) {
    ++resets_;
    return;
  }
  hosts_ = std::move(from->hosts_);
  bytes_ = from->bytes_;
  from->bytes_ = 0;
}

void RiskySudoSessionDetector::Recount(const std::string& key, Host& host) {
  size_t n = kEntryBytes + key.size() + sizeof(int64_t) * (static_cast<size_t>(burst_.events) + 1);
  for (const Session& s : host.sessions) n += sizeof(Session) + s.user.size();
  for (const Signal& s : host.pending) n += sizeof(Signal) + s.what.size() + s.user.size();
  bytes_ = bytes_ - host.bytes + n;
  host.bytes = n;
}

void RiskySudoSessionDetector::Report(const Event& event, Session& session, const Signal& signal,
                                      std::vector<Alert>& alerts) {
  if (session.reported) return;
  session.reported = true;
  // Keyed by the session start so replays give the same id.
  Alert alert = MakeAlert(event,
                          {"msticpy.syslog.risky_sudo_session",
                           "Risky sudo session",
                           Severity::kHigh,
                           {"msticpy", "sudo"}},
                          std::to_string(session.start));
  alert.summary = "sudo session of '" + session.user + "' opened " + FormatRfc3339(session.start) +
                  ": " + signal.what;
  if (!session.user.empty()) alert.entities.push_back({"Account", {{"Name", session.user}}});
  alerts.push_back(std::move(alert));
}

bool RiskySudoSessionDetector::SameUser(const Session& session, const Signal& signal) {
  return session.user.empty() || signal.user.empty() || session.user == signal.user;
}

void RiskySudoSessionDetector::Attribute(const Event& event, Host& host, Signal signal,
                                         std::vector<Alert>& alerts) {
  for (auto it = host.sessions.rbegin(); it != host.sessions.rend(); ++it) {
    if (it->start <= signal.time && signal.time <= it->end && SameUser(*it, signal)) {
      Report(event, *it, signal, alerts);
      return;
    }
  }
  host.pending.push_back(std::move(signal));
  if (host.pending.size() > kKeptSignals) host.pending.pop_front();
}

void RiskySudoSessionDetector::Inspect(const Event& event, std::vector<Alert>& alerts) {
  if (event.timestamp_ns == 0) return;
  bool opened = IsSudoSessionEvent(event, EventKind::kLogon);
  bool closed = IsSudoSessionEvent(event, EventKind::kLogoff);
  bool command = IsSudoCommand(event);
  if (!opened && !closed && !command) return;
  host_key_.clear();
  AppendKept(&host_key_, event.host, kKeptNameBytes);
  auto it = hosts_.find(host_key_);
  if (it == hosts_.end()) {
    if (hosts_.size() >= burst_.max_keys) {
      hosts_.clear();
      bytes_ = 0;
      ++resets_;
    }
    it = hosts_.emplace(host_key_, Host{}).first;
  }
  Update(event, opened, closed, it->second, alerts);
  Recount(it->first, it->second);
  if (bytes_ > burst_.max_bytes) {
    hosts_.clear();
    bytes_ = 0;
    ++resets_;
  }
}

void RiskySudoSessionDetector::Update(const Event& event, bool opened, bool closed, Host& host,
                                      std::vector<Alert>& alerts) {
  int64_t t = event.timestamp_ns;
  if (opened) {
    std::string_view by = event.Extra("pam.by_user");
    Session s;
    s.start = t;
    s.user = KeptText(!by.empty() ? by : event.logon.user, kKeptNameBytes);
    s.pid = event.process.pid;
    for (const Session& open : host.sessions) {
      // Nested open of the same user: msticpy's greedy pairing keeps the first.
      if (open.end == INT64_MAX && open.user == s.user) return;
    }
    host.sessions.push_back(std::move(s));
    if (host.sessions.size() > kKeptSessions) host.sessions.pop_front();
    Session& session = host.sessions.back();
    // sudo logs its command just before opening the session: in the same
    // process, or (without pids) no earlier than the session's second.
    std::deque<Signal> waiting;
    waiting.swap(host.pending);
    for (Signal& sig : waiting) {
      const bool same_sudo = sig.pid >= 0 && sig.pid == session.pid;
      const bool just_before = sig.time >= t - kSecond;  // or at/after the open
      if ((same_sudo || just_before) && SameUser(session, sig)) {
        Report(event, session, sig, alerts);
      } else if (SpanNs(t, sig.time) < burst_.seconds * kSecond) {
        host.pending.push_back(std::move(sig));
      }
    }
    return;
  }
  if (closed) {
    // The open session of the same sudo process, else the latest open one.
    Session* match = nullptr;
    for (auto it = host.sessions.rbegin(); it != host.sessions.rend(); ++it) {
      if (it->end != INT64_MAX || t < it->start) continue;
      if (event.process.pid >= 0 && it->pid == event.process.pid) {
        match = &*it;
        break;
      }
      if (match == nullptr) match = &*it;
    }
    if (match != nullptr) match->end = t;
    return;
  }
  const std::string user = KeptText(event.process.user, kKeptNameBytes);
  risky_alerts_.clear();
  risky_.Inspect(event, risky_alerts_);
  if (!risky_alerts_.empty()) {
    Attribute(event, host,
              {t, KeptText(event.process.command_line, kKeptTextBytes), user, event.process.pid},
              alerts);
  }
  CommandBurstWindow::Burst burst;
  if (host.burst.Add(t, burst_, &burst)) {
    Attribute(event, host, {burst.second_ns, "Suspicious event pattern", user, -1}, alerts);
  }
}

}  // namespace loghunt
