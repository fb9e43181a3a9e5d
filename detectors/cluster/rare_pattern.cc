#include "detectors/cluster/rare_pattern.h"

#include <algorithm>

#include "core/file.h"
#include "core/hash.h"
#include "core/time.h"
#include "detectors/cluster/features.h"

namespace loghunt {
namespace {

constexpr size_t kMaxSnapshotBytes = size_t{4} << 30;

}  // namespace

RarePatternDetector::HostState::HostState(Stream s, std::string h, const MinerOptions& options)
    : stream(s), host(std::move(h)), miner(options) {}

RarePatternDetector::RarePatternDetector(ClusterDetectorConfig config)
    : config_(std::move(config)), last_snapshot_(std::chrono::steady_clock::now()) {
  miner_options_.max_patterns = std::max<size_t>(1, config_.max_patterns_per_host);
  if (config_.max_hosts == 0) config_.max_hosts = 1;
  if (config_.snapshot_path.empty() || !config_.restore_snapshot) return;
  std::string bytes, error;
  ClusterSnapshot snapshot;
  if (!ReadWholeFile(config_.snapshot_path, kMaxSnapshotBytes, &bytes, &error)) {
    // A missing file is the normal first start, not an error.
    if (error.find("No such file") == std::string::npos) {
      snapshot_error_ = error + " (ignored)";
      ++stats_.snapshot_errors;
    }
    return;
  }
  if (!ParseClusterSnapshot(bytes, &snapshot, &error)) {
    snapshot_error_ = config_.snapshot_path + ": " + error + " (ignored)";
    ++stats_.snapshot_errors;
    return;
  }
  Restore(snapshot);
}

RarePatternDetector::~RarePatternDetector() { SaveSnapshot(); }

void RarePatternDetector::ForgetLeastRecentHost() {
  auto oldest = hosts_.find(lru_.front());
  stats_.pattern_evictions += oldest->second->miner.evictions();
  total_patterns_ -= std::min(total_patterns_, oldest->second->miner.size());
  hosts_.erase(oldest);
  lru_.pop_front();
  ++stats_.host_evictions;
}

RarePatternDetector::HostState& RarePatternDetector::StateFor(Stream stream,
                                                              std::string_view host) {
  uint64_t key = Fnv1a64(host, kFnvOffsetBasis ^ static_cast<uint64_t>(stream));
  auto it = hosts_.find(key);
  if (it != hosts_.end()) {
    lru_.splice(lru_.end(), lru_, it->second->lru);
    return *it->second;
  }
  if (hosts_.size() >= config_.max_hosts && !lru_.empty()) ForgetLeastRecentHost();
  auto state = std::make_unique<HostState>(stream, std::string(host), miner_options_);
  HostState* raw = state.get();
  raw->miner.set_on_merge([raw](uint32_t from, uint32_t into) {
    if (std::max(from, into) >= raw->patterns.size()) return;
    PatternState& dst = raw->patterns[into];
    const PatternState& src = raw->patterns[from];
    dst.window_count += src.window_count;
    dst.previous_count += src.previous_count;
    dst.last_seen_ns = std::max(dst.last_seen_ns, src.last_seen_ns);
  });
  raw->lru = lru_.insert(lru_.end(), key);
  hosts_.emplace(key, std::move(state));
  return *raw;
}

void RarePatternDetector::CountWindow(PatternState& s, int64_t now_ns) const {
  const int64_t window = config_.window_seconds * 1'000'000'000LL;
  if (s.window_start_ns == 0) s.window_start_ns = now_ns;
  if (window > 0 && SpanNs(now_ns, s.window_start_ns) >= window) {
    s.previous_count = SpanNs(now_ns, s.window_start_ns) >= 2 * window ? 0 : s.window_count;
    s.window_count = 0;
    s.window_start_ns = now_ns;
  }
  ++s.window_count;
  s.last_seen_ns = now_ns;
}

uint32_t RarePatternDetector::WindowCount(const PatternState& s) const {
  return s.window_count + s.previous_count;
}

void RarePatternDetector::Inspect(const Event& event, std::vector<Alert>& alerts) {
  const bool is_command = !event.process.command_line.empty();
  std::string_view text = is_command ? event.process.command_line : event.message.view();
  if (text.empty()) return;
  ++stats_.events;
  // The clock is read at every event (a few ns against the microseconds of
  // matching): a quiet host's state is saved too.
  if (!config_.snapshot_path.empty() &&
      std::chrono::steady_clock::now() - last_snapshot_ >=
          std::chrono::seconds(config_.snapshot_interval_seconds)) {
    SaveSnapshot();
  }

  HostState& host = StateFor(event.stream, event.host);
  const int64_t now = event.timestamp_ns != 0 ? event.timestamp_ns : host.last_ns;
  if (host.events == 0) host.first_ns = now;
  ++host.events;
  host.last_ns = std::max(host.last_ns, now);

  // Names of this event's host and users vary between hosts: mask them.
  // Masking compares them with the parts of a token (split at '\\', '.',
  // '/', ...), so a domain user's name (CORP\\alice) and a host's short name
  // (web1 of web1.corp.example) are known too.
  known_.clear();
  auto know = [&](std::string_view v) {
    if (v.size() >= 3) known_.push_back(v);
  };
  know(event.host);
  if (size_t dot = event.host.find('.'); dot != std::string_view::npos) {
    know(event.host.substr(0, dot));
  }
  for (std::string_view user : {event.process.user, event.logon.user}) {
    know(user);
    if (size_t slash = user.rfind('\\'); slash != std::string_view::npos) {
      know(user.substr(slash + 1));
    }
  }
  const size_t patterns_before = host.miner.size();
  MinerMatch m = host.miner.Add(text, known_);
  total_patterns_ = total_patterns_ + host.miner.size() - patterns_before;
  // Over the total: the least recently seen hosts go (this one is seen last).
  while (total_patterns_ > config_.max_patterns_total && lru_.size() > 1) ForgetLeastRecentHost();
  if (host.patterns.size() < host.miner.slots()) host.patterns.resize(host.miner.slots());
  PatternState& ps = host.patterns[m.slot];
  if (m.created) {
    ps = PatternState{};
    ++stats_.new_patterns;
  }
  CountWindow(ps, now);

  const bool warm = (config_.warmup_events == 0 && config_.warmup_seconds == 0) ||
                    (config_.warmup_events > 0 && host.events > config_.warmup_events) ||
                    (config_.warmup_seconds > 0 &&
                     SpanNs(now, host.first_ns) >= config_.warmup_seconds * 1'000'000'000LL);
  if (!warm || (!is_command && !config_.alert_on_messages)) return;
  const uint32_t seen = WindowCount(ps);
  if (!m.created && seen >= config_.rare_count) return;

  const TemplateMiner::Pattern& pattern = host.miner.pattern(m.slot);
  const std::string id = TemplateMiner::IdHex(pattern.id);
  const char* what = is_command ? "Command-line" : "Message";
  RuleRef rule = m.created ? RuleRef{"loghunt.cluster.new_pattern",
                                     std::string(what) + " pattern new on host",
                                     Severity::kLow,
                                     {"cluster", "rare_pattern"}}
                           : RuleRef{"loghunt.cluster.rare_pattern",
                                     std::string(what) + " pattern rare on host",
                                     Severity::kLow,
                                     {"cluster", "rare_pattern"}};
  Alert alert = MakeAlert(event, std::move(rule), id);
  alert.summary =
      alert.rule.title + " (seen " + std::to_string(seen) + "x): " + pattern.template_text;
  if (!event.process.parent_executable.empty()) {
    alert.summary += " [parent " + std::string(event.process.parent_executable) + "]";
  }
  if (is_command) {
    Entity process{"Process", {{"CommandLine", std::string(text)}}};
    if (!event.process.executable.empty()) {
      process.properties.push_back({"ImageFile", std::string(event.process.executable)});
    }
    if (event.process.pid >= 0) {
      process.properties.push_back({"ProcessId", std::to_string(event.process.pid)});
    }
    if (!event.process.parent_executable.empty()) {
      process.properties.push_back(
          {"ParentImageFile", std::string(event.process.parent_executable)});
    }
    if (!event.process.parent_command_line.empty()) {
      process.properties.push_back(
          {"ParentCommandLine", std::string(event.process.parent_command_line)});
    }
    alert.entities.push_back(std::move(process));
    if (!event.process.user.empty()) {
      alert.entities.push_back({"Account", {{"Name", std::string(event.process.user)}}});
    }
  }
  MsticpyFeatures f = ComputeMsticpyFeatures(text);
  alert.entities.push_back({"Pattern",
                            {{"PatternId", id},
                             {"Template", pattern.template_text},
                             {"CountInWindow", std::to_string(seen)},
                             {"char_ord_score", std::to_string(f.char_ord_score)},
                             {"token_count", std::to_string(f.token_count)},
                             {"delim_count", std::to_string(f.delim_count)},
                             {"delim_hash", std::to_string(f.delim_hash)},
                             {"crc32", std::to_string(f.crc32)}}});
  alerts.push_back(std::move(alert));
}

void RarePatternDetector::TakeStateFrom(Detector& old) {
  auto* from = dynamic_cast<RarePatternDetector*>(&old);
  if (from == nullptr) return;
  if (from->miner_options_.max_patterns == miner_options_.max_patterns &&
      from->hosts_.size() <= config_.max_hosts &&
      from->total_patterns_ <= config_.max_patterns_total) {
    // The hosts' lru iterators stay valid: a moved std::list keeps its nodes.
    hosts_ = std::move(from->hosts_);
    lru_ = std::move(from->lru_);
    total_patterns_ = from->total_patterns_;
    from->hosts_.clear();
    from->lru_.clear();
    from->total_patterns_ = 0;
  } else {
    Restore(from->Snapshot());
  }
  // This detector has the state now and writes the snapshot (at its interval
  // and its end); the old one would write an empty or older one, and take
  // the time on the thread that reloads.
  from->config_.snapshot_path.clear();
  config_.restore_snapshot = true;
}

ClusterSnapshot RarePatternDetector::Snapshot() const {
  ClusterSnapshot snapshot;
  // Least recently seen first, so a restore keeps the LRU order.
  for (uint64_t key : lru_) {
    const HostState* h = hosts_.at(key).get();
    HostSnapshot hs;
    hs.stream = static_cast<uint8_t>(h->stream);
    hs.host = h->host;
    hs.events = h->events;
    hs.first_ns = h->first_ns;
    hs.last_ns = h->last_ns;
    h->miner.ForEachLeastRecentFirst([&](uint32_t slot, const TemplateMiner::Pattern& p) {
      PatternState st = slot < h->patterns.size() ? h->patterns[slot] : PatternState{};
      hs.patterns.push_back({p.template_text, p.count, st.window_start_ns, st.window_count,
                             st.previous_count, st.last_seen_ns});
    });
    snapshot.hosts.push_back(std::move(hs));
  }
  return snapshot;
}

void RarePatternDetector::Restore(const ClusterSnapshot& snapshot) {
  hosts_.clear();
  lru_.clear();
  total_patterns_ = 0;
  for (const HostSnapshot& hs : snapshot.hosts) {
    if (hs.stream >= kStreamCount) continue;
    HostState& h = StateFor(static_cast<Stream>(hs.stream), hs.host);
    h.events = hs.events;
    h.first_ns = hs.first_ns;
    h.last_ns = hs.last_ns;
    for (const PatternSnapshot& p : hs.patterns) {
      uint32_t slot;
      if (!h.miner.Restore(p.template_text, p.count, &slot)) continue;
      if (h.patterns.size() < h.miner.slots()) h.patterns.resize(h.miner.slots());
      PatternState& st = h.patterns[slot];
      st.window_start_ns = p.window_start_ns;
      st.window_count = p.window_count;
      st.previous_count = p.previous_count;
      st.last_seen_ns = p.last_seen_ns;
    }
    total_patterns_ += h.miner.size();
    // The current bounds apply to what is restored (a smaller total than the
    // snapshot's, say): the hosts restored first (least recent) go.
    while (total_patterns_ > config_.max_patterns_total && lru_.size() > 1) {
      ForgetLeastRecentHost();
    }
  }
}

bool RarePatternDetector::SaveSnapshot() {
  if (config_.snapshot_path.empty() || !config_.restore_snapshot) return true;
  last_snapshot_ = std::chrono::steady_clock::now();
  std::string bytes, error;
  SerializeClusterSnapshot(Snapshot(), &bytes);
  if (!WriteFileAtomically(config_.snapshot_path, bytes, &error)) {
    snapshot_error_ = error;
    ++stats_.snapshot_errors;
    if (!write_failing_ && on_error_) on_error_("cannot write the snapshot: " + error);
    write_failing_ = true;
    return false;
  }
  write_failing_ = false;
  ++stats_.snapshots_written;
  return true;
}

ClusterDetectorStats RarePatternDetector::stats() const {
  ClusterDetectorStats s = stats_;
  for (const auto& [key, h] : hosts_) s.pattern_evictions += h->miner.evictions();
  return s;
}

size_t RarePatternDetector::MemoryBytes() const {
  size_t bytes = hosts_.bucket_count() * sizeof(void*);
  for (const auto& [key, h] : hosts_) {
    bytes += sizeof(HostState) + h->host.capacity() + h->miner.MemoryBytes() +
             h->patterns.capacity() * sizeof(PatternState);
  }
  return bytes;
}

}  // namespace loghunt
