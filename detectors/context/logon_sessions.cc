#include "detectors/context/logon_sessions.h"

#include <algorithm>
#include <cstdint>

#include "core/hash.h"

namespace loghunt {
namespace {

constexpr char kSep = '\x1f';

bool IsNestedService(std::string_view service) {
  static constexpr std::string_view kNested[] = {"sudo",    "sudo-i",      "su",   "su-l",
                                                 "runuser", "runuser-l",   "cron", "crond",
                                                 "CRON",    "systemd-user"};
  return std::find(std::begin(kNested), std::end(kNested), service) != std::end(kNested);
}

void MakeKey(std::string* key, std::string_view a, std::string_view b) {
  key->assign(a);
  key->push_back(kSep);
  key->append(b);
}

void MakeKey(std::string* key, std::string_view a, int64_t pid) {
  key->assign(a);
  key->push_back(kSep);
  key->append(std::to_string(pid));
}

}  // namespace

LogonSessionTracker::LogonSessionTracker(const LogonSessionOptions& options) : options_(options) {}

void LogonSessionTracker::Observe(const Event& e) {
  if (e.stream != Stream::kSyslog) return;
  if (e.kind != EventKind::kLogon && e.kind != EventKind::kLogoff) return;
  if (e.timestamp_ns > newest_ns_) newest_ns_ = e.timestamp_ns;
  std::string_view action = e.Extra("event.action");
  if (action == "session_opened") {
    Open(e);
  } else if (action == "session_closed") {
    Close(e);
  } else if (e.kind == EventKind::kLogon && e.logon.result == LogonResult::kSuccess &&
             !e.logon.source_ip.empty() && e.process.pid >= 0) {
    if (pending_sources_.size() >= 4096) pending_sources_.clear();  // bounded, rarely hit
    MakeKey(&key_, e.host, e.process.pid);
    pending_sources_[key_] = std::string(e.logon.source_ip);
  }
  if (size_ > options_.max_sessions || newest_ns_ >= next_sweep_ns_) Sweep();
}

void LogonSessionTracker::Open(const Event& e) {
  if (e.logon.user.empty()) return;
  LogonSession s;
  s.host = e.host;
  s.user = e.logon.user;
  s.service = e.Extra("pam.service");
  if (s.service.empty()) s.service = e.program;
  s.by_user = e.Extra("pam.by_user");
  s.pid = e.process.pid;
  s.start_ns = e.timestamp_ns;
  s.id = StableId().Add(s.host).Add(s.user).Add(s.pid).Add(s.start_ns).Hex();
  if (s.pid >= 0) {
    MakeKey(&key_, e.host, s.pid);
    auto it = pending_sources_.find(key_);
    if (it != pending_sources_.end()) {
      s.source_ip = std::move(it->second);
      pending_sources_.erase(it);
    }
  }
  MakeKey(&key_, e.host, e.logon.user);
  by_key_[key_].push_back(std::move(s));
  ++size_;
}

void LogonSessionTracker::Close(const Event& e) {
  MakeKey(&key_, e.host, e.logon.user);
  auto it = by_key_.find(key_);
  if (it == by_key_.end()) return;  // the open fell before our window
  LogonSession* match = nullptr;
  for (auto& s : it->second) {
    if (!s.open() || s.start_ns > e.timestamp_ns) continue;
    if (e.process.pid >= 0 && s.pid == e.process.pid) {
      match = &s;
      break;
    }
    if (match == nullptr) match = &s;  // the oldest open one
  }
  // end_ns 0 means "open": a close at the open's own instant still ends it.
  if (match != nullptr) {
    match->end_ns = e.timestamp_ns > match->start_ns ? e.timestamp_ns : match->start_ns;
    if (match->end_ns == 0) match->end_ns = 1;
  }
}

void LogonSessionTracker::Sweep() {
  int64_t step = options_.closed_retention_ns / 8;
  next_sweep_ns_ = newest_ns_ > INT64_MAX - step ? INT64_MAX : newest_ns_ + step;
  // __int128: timestamps from bad input may lie anywhere in int64.
  auto expired = [this](const LogonSession& s) {
    __int128 newest = newest_ns_;
    if (s.open()) return newest - s.start_ns > options_.max_open_ns;
    return newest - s.end_ns > options_.closed_retention_ns;
  };
  for (auto it = by_key_.begin(); it != by_key_.end();) {
    auto& v = it->second;
    size_t before = v.size();
    v.erase(std::remove_if(v.begin(), v.end(), expired), v.end());
    size_ -= before - v.size();
    it = v.empty() ? by_key_.erase(it) : std::next(it);
  }
  // Still over the cap (a burst within the retention window): drop the
  // oldest sessions of each key until under 90% of it.
  while (size_ > options_.max_sessions * 9 / 10 && !by_key_.empty()) {
    for (auto it = by_key_.begin();
         it != by_key_.end() && size_ > options_.max_sessions * 9 / 10;) {
      auto& v = it->second;
      v.erase(v.begin());
      --size_;
      it = v.empty() ? by_key_.erase(it) : std::next(it);
    }
  }
}

const LogonSessionTracker::Sessions* LogonSessionTracker::Find(std::string_view host,
                                                               std::string_view user) const {
  MakeKey(&key_, host, user);
  auto it = by_key_.find(key_);
  return it == by_key_.end() ? nullptr : &it->second;
}

const LogonSession* LogonSessionTracker::SessionAt(std::string_view host, std::string_view user,
                                                   int64_t t_ns) const {
  const Sessions* v = Find(host, user);
  if (v == nullptr) return nullptr;
  const LogonSession* best = nullptr;
  for (const auto& s : *v) {
    if (s.Contains(t_ns) && (best == nullptr || s.start_ns >= best->start_ns)) best = &s;
  }
  return best;
}

const LogonSession* LogonSessionTracker::SessionFor(const Event& e) const {
  std::string_view user = e.process.user;
  if (user.empty()) return nullptr;
  const Sessions* v = Find(e.host, user);
  if (v == nullptr) return nullptr;
  const LogonSession* best = nullptr;
  bool best_interactive = false;
  for (const auto& s : *v) {
    if (!s.Contains(e.timestamp_ns)) continue;
    bool interactive = !IsNestedService(s.service);
    if (best == nullptr || (interactive && !best_interactive) ||
        (interactive == best_interactive && s.start_ns >= best->start_ns)) {
      best = &s;
      best_interactive = interactive;
    }
  }
  return best;
}

size_t LogonSessionTracker::open_count() const {
  size_t n = 0;
  for (const auto& [key, v] : by_key_) {
    for (const auto& s : v) n += s.open();
  }
  return n;
}

}  // namespace loghunt
