#include "detectors/rules/msticpy_sudo.h"

#include <algorithm>

#include "core/time.h"

namespace loghunt {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr size_t kKeptSessions = 16;  // closed sessions kept per host for late bursts
constexpr size_t kKeptSignals = 8;    // signals waiting for their session to open

bool IsCommand(const Event& e) {
  return (e.kind == EventKind::kUserCommand || e.kind == EventKind::kProcessStart) &&
         !e.process.command_line.empty();
}

bool IsSessionEvent(const Event& e, EventKind kind) {
  return e.kind == kind && e.logon.method == "session";
}

}  // namespace

bool CommandBurstWindow::Add(int64_t ns, const CommandBurstOptions& options, int64_t* first_ns,
                             int64_t* second_ns) {
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
  *first_ns = times_.front();
  *second_ns = times_[1];
  return true;
}

CommandBurstDetector::CommandBurstDetector(CommandBurstOptions options) : options_(options) {}

void CommandBurstDetector::Inspect(const Event& event, std::vector<Alert>& alerts) {
  if (!IsCommand(event) || event.timestamp_ns == 0) return;
  key_.assign(event.host);
  key_.push_back('\0');
  key_.append(event.process.user);
  auto it = keys_.find(key_);
  if (it == keys_.end()) {
    if (keys_.size() >= options_.max_keys) {
      keys_.clear();
      ++resets_;
    }
    it = keys_.emplace(key_, State{}).first;
  }
  State& s = it->second;
  int64_t first = 0, second = 0;
  if (!s.window.Add(event.timestamp_ns, options_, &first, &second)) return;
  if (first <= s.reported_until) return;  // same burst, already reported
  s.reported_until = event.timestamp_ns;
  Alert alert = MakeAlert(event,
                          {"msticpy.syslog.command_burst",
                           "Burst of commands in one session",
                           Severity::kMedium,
                           {"msticpy", "cmd_speed"}},
                          "");
  alert.summary = std::to_string(options_.events + 1) + " commands by '" +
                  std::string(event.process.user) + "' within " +
                  std::to_string(SpanNs(event.timestamp_ns, first) / 1'000'000) +
                  " ms; last: " + std::string(event.process.command_line);
  if (!event.process.user.empty()) {
    alert.entities.push_back({"Account", {{"Name", std::string(event.process.user)}}});
  }
  alerts.push_back(std::move(alert));
}

RiskySudoSessionDetector::RiskySudoSessionDetector(CommandBurstOptions burst) : burst_(burst) {}

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

void RiskySudoSessionDetector::Attribute(const Event& event, Host& host, Signal signal,
                                         std::vector<Alert>& alerts) {
  for (auto it = host.sessions.rbegin(); it != host.sessions.rend(); ++it) {
    if (it->start <= signal.time && signal.time <= it->end) {
      Report(event, *it, signal, alerts);
      return;
    }
  }
  host.pending.push_back(std::move(signal));
  if (host.pending.size() > kKeptSignals) host.pending.pop_front();
}

void RiskySudoSessionDetector::Inspect(const Event& event, std::vector<Alert>& alerts) {
  if (event.timestamp_ns == 0) return;
  bool opened = IsSessionEvent(event, EventKind::kLogon);
  bool closed = IsSessionEvent(event, EventKind::kLogoff);
  bool command = IsCommand(event);
  if (!opened && !closed && !command) return;
  auto it = hosts_.find(std::string(event.host));
  if (it == hosts_.end()) {
    if (hosts_.size() >= burst_.max_keys) {
      hosts_.clear();
      ++resets_;
    }
    it = hosts_.emplace(std::string(event.host), Host{}).first;
  }
  Host& host = it->second;
  int64_t t = event.timestamp_ns;
  if (opened) {
    bool open_now = !host.sessions.empty() && host.sessions.back().end == INT64_MAX;
    if (open_now) return;  // nested open: msticpy's greedy pairing keeps the first
    Session s;
    s.start = t;
    std::string_view by = event.Extra("pam.by_user");
    s.user = std::string(!by.empty() ? by : event.logon.user);
    host.sessions.push_back(std::move(s));
    if (host.sessions.size() > kKeptSessions) host.sessions.pop_front();
    // Signals logged just before the open, at the same time, belong to it.
    std::deque<Signal> waiting;
    waiting.swap(host.pending);
    for (Signal& sig : waiting) {
      if (sig.time >= t) {
        Report(event, host.sessions.back(), sig, alerts);
      } else if (SpanNs(t, sig.time) < burst_.seconds * kSecond) {
        host.pending.push_back(std::move(sig));
      }
    }
    return;
  }
  if (closed) {
    if (!host.sessions.empty() && host.sessions.back().end == INT64_MAX &&
        t >= host.sessions.back().start) {
      host.sessions.back().end = t;
    }
    return;
  }
  risky_alerts_.clear();
  risky_.Inspect(event, risky_alerts_);
  if (!risky_alerts_.empty()) {
    Attribute(event, host, {t, std::string(event.process.command_line)}, alerts);
  }
  int64_t first = 0, second = 0;
  if (host.burst.Add(t, burst_, &first, &second)) {
    Attribute(event, host, {second, "Suspicious event pattern"}, alerts);
  }
}

}  // namespace loghunt
