#include "sinks/suppressor.h"

#include "core/hash.h"
#include "core/text.h"
#include "core/time.h"

namespace loghunt {
namespace {

std::string JoinSet(const std::set<std::string, std::less<>>& values, bool more) {
  std::string out;
  for (const auto& v : values) {
    if (!out.empty()) out += ", ";
    out += v;
  }
  if (more) out += ", ...";
  return out;
}

template <typename Set>
std::string DistinctCount(const Set& values, bool more) {
  return more ? "more than " + std::to_string(values.size()) : std::to_string(values.size());
}

}  // namespace

Suppressor::Suppressor(SuppressionOptions options) : options_(options) {
  if (options_.max_keys == 0) options_.max_keys = 1;
}

void Suppressor::AddDistinct(std::set<std::string, std::less<>>& set, bool& more,
                             std::string_view value, size_t max) {
  if (value.empty()) return;
  std::string cut;
  if (value.size() > max) value = cut = KeptText(value, max);
  if (set.find(value) != set.end()) return;
  if (set.size() >= options_.max_distinct_values) {
    more = true;
    return;
  }
  set.emplace(value);
}

void Suppressor::AddDistinct(std::set<uint64_t>& set, bool& more, std::string_view value) {
  if (value.empty()) return;
  const uint64_t hash = Fnv1a64(value);
  if (set.count(hash) > 0) return;
  if (set.size() >= options_.max_distinct_values) {
    more = true;
    return;
  }
  set.insert(hash);
}

bool Suppressor::Offer(const Alert& alert, int64_t wall_ns, std::vector<Alert>* due) {
  const int64_t t = alert.time_ns > 0 ? alert.time_ns : wall_ns;
  const int64_t window_ns = static_cast<int64_t>(options_.window_seconds) * kNanosPerSecond;
  // Windows follow event time, but not past the wall clock by more than a
  // window: one alert dated years ahead (a host with a wrong clock) moved the
  // shared watermark there, and every window after it closed at once, so
  // nothing was suppressed for the rest of the run (and t + window could
  // overflow near 2262).
  const int64_t clock = std::min(t, wall_ns + window_ns);
  if (clock > watermark_ns_) watermark_ns_ = clock;
  while (!by_event_close_.empty() && by_event_close_.begin()->first <= watermark_ns_) {
    Close(index_.at(by_event_close_.begin()->second->key), due);
  }
  std::string key = alert.rule.id;
  key.push_back('\0');
  key += alert.key;
  auto found = index_.find(key);
  if (found != index_.end()) {
    Window& w = *found->second;
    ++w.count;
    if (t < w.first_ns) w.first_ns = t;
    if (t > w.last_ns) w.last_ns = t;
    w.last_position = alert.position;
    AddDistinct(w.hosts, w.more_hosts, alert.host, kKeptNameBytes);
    AddDistinct(w.messages, w.more_messages, alert.summary);
    for (const auto& o : alert.observables) {
      AddDistinct(w.observables, w.more_observables, o.type + ":" + o.value, kKeptTextBytes);
    }
    lru_.splice(lru_.begin(), lru_, found->second);
    ++stats_.suppressed;
    return false;
  }
  if (index_.size() >= options_.max_keys) {
    ++stats_.evictions;
    Close(std::prev(lru_.end()), due);
  }
  lru_.emplace_front();
  Window& w = lru_.front();
  w.key = key;
  w.rule = alert.rule;
  w.alert_key = alert.key;
  w.first_id = alert.id;
  w.host = KeptText(alert.host, kKeptNameBytes);
  w.last_position = alert.position;
  w.first_ns = w.last_ns = t;
  w.close_event_ns = clock + window_ns;
  w.close_wall_ns = wall_ns + window_ns;
  w.count = 1;
  AddDistinct(w.hosts, w.more_hosts, alert.host, kKeptNameBytes);
  AddDistinct(w.messages, w.more_messages, alert.summary);
  for (const auto& o : alert.observables) {
    AddDistinct(w.observables, w.more_observables, o.type + ":" + o.value, kKeptTextBytes);
  }
  index_.emplace(std::move(key), lru_.begin());
  by_event_close_.emplace(w.close_event_ns, &w);
  by_wall_close_.emplace(w.close_wall_ns, &w);
  ++stats_.passed;
  stats_.open_windows = index_.size();
  return true;
}

void Suppressor::Expire(int64_t wall_ns, std::vector<Alert>* due) {
  while (!by_wall_close_.empty() && by_wall_close_.begin()->first <= wall_ns) {
    Close(index_.at(by_wall_close_.begin()->second->key), due);
  }
}

void Suppressor::Drain(std::vector<Alert>* due) {
  // Oldest windows first, so summaries come out roughly in time order.
  while (!by_event_close_.empty()) Close(index_.at(by_event_close_.begin()->second->key), due);
}

void Suppressor::Close(WindowList::iterator it, std::vector<Alert>* due) {
  if (it->count > 1) {
    due->push_back(Summary(*it));
    ++stats_.summaries;
  }
  by_event_close_.erase({it->close_event_ns, &*it});
  by_wall_close_.erase({it->close_wall_ns, &*it});
  index_.erase(it->key);
  lru_.erase(it);
  stats_.open_windows = index_.size();
}

Alert Suppressor::Summary(const Window& w) const {
  Alert a;
  a.id = StableId().Add("suppression-summary").Add(w.first_id).Hex();
  a.time_ns = w.last_ns;
  a.rule = w.rule;
  a.key = w.alert_key;
  a.host = w.hosts.size() == 1 && !w.more_hosts ? w.host : "";
  a.position = w.last_position;
  const int64_t span_ns = w.last_ns - w.first_ns;
  const int64_t minutes =
      std::max<int64_t>(1, (span_ns + 60 * kNanosPerSecond - 1) / (60 * kNanosPerSecond));
  a.summary = (w.rule.title.empty() ? w.rule.id : w.rule.title) + ": " + std::to_string(w.count) +
              " times in " + std::to_string(minutes) + (minutes == 1 ? " minute" : " minutes") +
              " (first " + FormatRfc3339(w.first_ns) + ", last " + FormatRfc3339(w.last_ns) + ")";
  Entity e;
  e.type = "Suppression";
  e.properties = {{"count", std::to_string(w.count)},
                  {"suppressed", std::to_string(w.count - 1)},
                  {"first_seen", FormatRfc3339(w.first_ns)},
                  {"last_seen", FormatRfc3339(w.last_ns)},
                  {"window_seconds", std::to_string(options_.window_seconds)},
                  {"first_alert_id", w.first_id},
                  {"distinct_hosts", DistinctCount(w.hosts, w.more_hosts)},
                  {"hosts", JoinSet(w.hosts, w.more_hosts)},
                  {"distinct_messages", DistinctCount(w.messages, w.more_messages)},
                  {"distinct_observables", DistinctCount(w.observables, w.more_observables)},
                  {"observables", JoinSet(w.observables, w.more_observables)}};
  a.entities.push_back(std::move(e));
  return a;
}

SuppressingSink::SuppressingSink(std::unique_ptr<AlertSink> inner, SuppressionOptions options)
    : inner_(std::move(inner)), options_(options), suppressor_(options) {
  if (options_.tick_ms > 0) timer_ = std::thread([this] { TimerLoop(); });
}

SuppressingSink::~SuppressingSink() { StopTimer(); }

void SuppressingSink::StopTimer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (timer_.joinable()) timer_.join();
}

void SuppressingSink::Close() {
  StopTimer();  // no summary after the inner sink closed
  inner_->Close();
}

SuppressionStats SuppressingSink::stats() const {
  std::lock_guard lock(mu_);
  return suppressor_.stats();
}

void SuppressingSink::Emit(std::vector<Alert>& summaries) {
  for (const Alert& s : summaries) {
    // Summaries are not tied to a source position the pipeline tracks:
    // nothing waits for their delivery.
    // Failures after acceptance are counted by the sink; a refusal here.
    const bool accepted = inner_->async() ? inner_->WriteAsync(s, [](bool) {}) : inner_->Write(s);
    if (!accepted) inner_->CountRefused();
  }
  summaries.clear();
}

bool SuppressingSink::Write(const Alert& alert) {
  std::vector<Alert> due;
  bool pass;
  {
    std::lock_guard lock(mu_);
    pass = suppressor_.Offer(alert, NowNanos(), &due);
  }
  Emit(due);
  return pass ? inner_->Write(alert) : true;
}

bool SuppressingSink::WriteAsync(const Alert& alert, DeliveryCallback done) {
  std::vector<Alert> due;
  bool pass;
  {
    std::lock_guard lock(mu_);
    pass = suppressor_.Offer(alert, NowNanos(), &due);
  }
  Emit(due);
  if (pass) return inner_->WriteAsync(alert, std::move(done));
  if (done) done(true);
  return true;
}

bool SuppressingSink::Flush() {
  DrainAndEmit();
  return inner_->Flush();
}

bool SuppressingSink::FlushWithin(int timeout_ms) {
  DrainAndEmit();
  return inner_->FlushWithin(timeout_ms);
}

void SuppressingSink::DrainAndEmit() {
  std::vector<Alert> due;
  {
    std::lock_guard lock(mu_);
    suppressor_.Drain(&due);
  }
  Emit(due);
}

void SuppressingSink::TimerLoop() {
  std::unique_lock lock(mu_);
  while (
      !cv_.wait_for(lock, std::chrono::milliseconds(options_.tick_ms), [&] { return stopping_; })) {
    std::vector<Alert> due;
    suppressor_.Expire(NowNanos(), &due);
    if (due.empty()) continue;
    lock.unlock();
    Emit(due);
    lock.lock();
  }
}

}  // namespace loghunt
