#include "daemon/commands.h"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "core/serialize.h"
#include "core/text.h"
#include "core/time.h"
#include "daemon/config.h"
#include "daemon/embedded_kafka.h"
#include "daemon/file_follower.h"
#include "daemon/intel_feed.h"
#include "daemon/journald_source.h"
#include "daemon/kafka_source.h"
#include "daemon/line_reader.h"
#include "daemon/metrics.h"
#include "daemon/pipeline.h"
#include "daemon/privileges.h"
#include "daemon/syslog_listener.h"
#include "detectors/rules/sigma_detector.h"
#include "sinks/http_sink.h"
#include "sinks/kafka_producer.h"
#include "sinks/kafka_sink.h"
#include "sinks/stream_sink.h"
#include "sinks/suppressor.h"
#include "sinks/syslog_sink.h"

namespace loghunt {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_reopen{false};

void OnSignal(int sig) {
  if (sig == SIGHUP) {
    g_reopen = true;
  } else {
    g_stop = true;
  }
}

void InstallSignalHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaction(sig, &sa, nullptr);
}

bool LoadOrDefault(const std::string& path, Config* config) {
  if (path.empty()) {
    *config = Config{};
    return true;
  }
  std::vector<std::string> errors;
  if (LoadConfig(path, config, &errors)) return true;
  for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.c_str());
  return false;
}

// Calls `interrupt` once g_stop is set (the signal handler cannot: sinks take
// locks), so that a writer waiting for room in a full sink queue lets the
// daemon stop (AlertSink::Interrupt). Declare it after what it interrupts.
class InterruptOnStop {
 public:
  explicit InterruptOnStop(std::function<void()> interrupt)
      : thread_([this, interrupt = std::move(interrupt)] {
          std::unique_lock lock(mu_);
          while (!done_) {
            if (g_stop) {
              interrupt();
              return;
            }
            cv_.wait_for(lock, std::chrono::milliseconds(50));
          }
        }) {}
  ~InterruptOnStop() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  InterruptOnStop(const InterruptOnStop&) = delete;
  InterruptOnStop& operator=(const InterruptOnStop&) = delete;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

// Owns the sinks a config names (stdout JSON when it names none).
// SIGHUP: reads every Sigma rule set in use again from disk; detectors switch
// to the new rules with their next event, and a set that fails to load (a
// rule broken while editing) keeps the running rules.
void ReloadSigmaRules() {
  for (const SigmaReloadResult& r : ReloadSharedSigmaRuleSets()) {
    std::string paths;
    for (const std::string& p : r.options.paths) paths += (paths.empty() ? "" : " ") + p;
    for (const SigmaRejection& rejected : r.report.rejected) {
      spdlog::warn("reload: detectors.sigma: rejected {}: {}: {}", Printable(rejected.file),
                   Printable(rejected.id), Printable(rejected.reason));
    }
    if (r.published) {
      spdlog::info("reload: detectors.sigma: {} of {} rules loaded from {}", r.report.loaded,
                   r.report.files, paths);
    } else {
      spdlog::error("reload: detectors.sigma: {}: {}; keeping the running rules", paths,
                    Printable(r.error));
    }
  }
}

// How long saving a read position (followed file, journald cursor) waits
// for the sinks to deliver what they accepted before it: a save that would
// wait longer is skipped (the next one, a second later, tries again).
constexpr int kPositionFlushMs = 5000;

class SinkSet {
 public:
  bool Open(const Config& config) {
    if (config.sinks.empty()) {
      sinks_.push_back(std::make_unique<StreamSink>(AlertFormat::kJson));
    }
    for (const SinkConfig& sc : config.sinks) {
      if (sc.type == "stdout") {
        sinks_.push_back(std::make_unique<StreamSink>(sc.format));
      } else if (sc.type == "kafka") {
        std::string error;
        auto sink =
            KafkaSink::Create(CommonKafkaProperties(config.kafka), sc.topic, sc.format, &error);
        if (!sink) {
          spdlog::error("sink kafka: {}", error);
          return false;
        }
        sinks_.push_back(std::move(sink));
      } else if (sc.type == "http") {
        std::string error;
        auto sink = HttpSink::Create(sc.http, &error);
        if (!sink) {
          spdlog::error("sink http: {}", error);
          return false;
        }
        sinks_.push_back(std::move(sink));
      } else if (sc.type == "syslog") {
        std::string error;
        auto sink = SyslogSink::Create(sc.syslog, &error);
        if (!sink) {
          spdlog::error("sink syslog: {}", error);
          return false;
        }
        sinks_.push_back(std::move(sink));
      } else {
        auto sink = std::make_unique<StreamSink>(sc.path, sc.format, sc.fsync);
        if (!sink->ok()) {
          spdlog::error("sink file: {}", sink->error());
          return false;
        }
        sinks_.push_back(std::move(sink));
      }
    }
    if (config.suppression.enabled) {
      // One suppression state per sink: each sink sees the same alerts, so
      // each emits the same first alerts and summaries.
      for (auto& s : sinks_)
        s = std::make_unique<SuppressingSink>(std::move(s), config.suppression);
    }
    return true;
  }
  // Suppression so far (loghunt_suppressed_total and the summaries and
  // evictions): every sink suppresses the same alerts, so the first one's.
  SuppressionStats suppression() const {
    auto* s = sinks_.empty() ? nullptr : dynamic_cast<const SuppressingSink*>(sinks_.front().get());
    return s == nullptr ? SuppressionStats{} : s->stats();
  }
  void Adopt(std::unique_ptr<AlertSink> sink) { sinks_.push_back(std::move(sink)); }
  std::vector<AlertSink*> pointers() const {
    std::vector<AlertSink*> out;
    for (const auto& s : sinks_) out.push_back(s.get());
    return out;
  }
  void Reopen() {
    for (auto& s : sinks_) s->Reopen();
  }
  // SIGHUP outside Kafka mode: Sigma rules read again, sinks reopened (the
  // other detectors' settings need a restart there).
  void Hangup() {
    ReloadSigmaRules();
    Reopen();
  }
  void Interrupt() {
    for (auto& s : sinks_) s->Interrupt();
  }
  // End of the run: what asynchronous sinks still hold is given up and
  // counted (AlertSink::Close), before delivery_failures() is read.
  void Close() {
    for (auto& s : sinks_) s->Close();
  }
  // Waits until the alerts asynchronous sinks accepted are delivered (or
  // given up), at most `timeout_ms` per sink; before a read position is
  // saved. Suppression windows stay open (their summaries are not due).
  // False when something is still pending or was given up since the last
  // flush.
  bool FlushDeliveries(int timeout_ms) {
    bool ok = true;
    for (auto& s : sinks_) {
      AlertSink* sink = s.get();
      if (auto* suppressing = dynamic_cast<SuppressingSink*>(sink)) sink = &suppressing->inner();
      if (sink->async() && !sink->FlushWithin(timeout_ms)) ok = false;
    }
    return ok;
  }
  // Alerts given up after they were accepted (asynchronous sinks).
  uint64_t delivery_failures() const {
    uint64_t n = 0;
    for (const auto& s : sinks_) n += s->delivery_failures();
    return n;
  }
  // Per-sink errors and queue depths, and the suppression counts since the
  // last call. From one thread at a time.
  void Publish(Metrics* metrics) {
    if (metrics == nullptr) return;
    metrics->PublishSinks(pointers());
    const SuppressionStats now = suppression();
    metrics->CountSuppression(now.suppressed - published_.suppressed,
                              now.summaries - published_.summaries,
                              now.evictions - published_.evictions);
    published_ = now;
  }

 private:
  std::vector<std::unique_ptr<AlertSink>> sinks_;
  SuppressionStats published_;
};

// `sinks` may be null (replay).
void PublishFileMetrics(Metrics* metrics, const Pipeline& pipeline, SinkSet* sinks) {
  if (metrics == nullptr) return;
  metrics->PublishPipeline(pipeline.stream(), pipeline.stats(), pipeline.id());
  if (sinks != nullptr) sinks->Publish(metrics);
  if (pipeline.detectors() != nullptr)
    metrics->PublishDetectorSeconds(pipeline.detectors()->Seconds(), pipeline.detectors()->id());
}

// systemd's watchdog outside Kafka mode (WatchdogSec in the unit). The main
// thread's loops call Beat() (lines read, and the wake-ups of a quiet input
// or of the wait for listeners); a thread of its own sends WATCHDOG=1 every
// third of the interval while the last beat is younger than the interval.
// So a quiet input is not taken for a hang, and a main thread stuck for
// longer than the interval is restarted by systemd. Without a watchdog
// (WATCHDOG_USEC unset) it does nothing.
class Heartbeat {
 public:
  Heartbeat() {
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return;
    interval_ = std::chrono::microseconds(usec);
    Beat();
    thread_ = std::thread([this] { Loop(); });
  }
  ~Heartbeat() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;

  void Beat() {
    last_.store(std::chrono::steady_clock::now().time_since_epoch().count(),
                std::memory_order_relaxed);
  }

 private:
  void Loop() {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, interval_ / 3, [this] { return stop_; })) {
      const auto last = std::chrono::steady_clock::time_point(
          std::chrono::steady_clock::duration(last_.load(std::memory_order_relaxed)));
      if (std::chrono::steady_clock::now() - last < interval_) sd_notify(0, "WATCHDOG=1");
    }
  }

  std::chrono::microseconds interval_{0};
  std::atomic<std::chrono::steady_clock::rep> last_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

// Feeds every line of the reader `make_reader` builds to `pipeline` (for
// Windows events, pretty-printed JSON objects joined from their lines, at
// most `max_message_bytes`: JsonObjectLines); positions are (name, -1, line
// number) unless `position_of` (optional) gives them (from the number of the
// message's first line). The reader is handed the idle hook
// it calls on every quiet second of its input (or EINTR). About every
// second, also while the input stays quiet: metrics published (to `metrics`,
// optional; the sinks too when `sinks` is given), `each_second` (optional)
// called; and `heartbeat` (optional) beats, and SIGHUP takes effect when
// `sinks` is given (only the main thread passes them). The caller publishes
// again after Pipeline::Finish(). False on a read error (logged).
using ReaderFactory = std::function<std::unique_ptr<LineReader>(std::function<bool()> idle)>;
bool FeedReader(const std::string& name, const ReaderFactory& make_reader, const Config& config,
                Pipeline& pipeline, SinkSet* sinks, Metrics* metrics, Heartbeat* heartbeat,
                const std::function<void()>& each_second = nullptr,
                const std::function<SourcePosition(int64_t number)>& position_of = nullptr) {
  auto last_second = std::chrono::steady_clock::now();
  auto last_line = last_second;
  auto hangup = [&] {
    if (g_reopen && sinks != nullptr) {
      g_reopen = false;
      sinks->Hangup();
    }
  };
  // An assembler (auditd) holds an event until a later record shows it is
  // complete; a quiet pipe or followed file brings none (the last sudo
  // command of an audisp plugin stayed unreported): flush after the
  // configured timeout of wall-clock quiet, as the Kafka workers do.
  const auto hold = std::chrono::milliseconds(config.parser.audit_event_timeout_ms);
  // Every 64 lines and on every quiet second of the input.
  auto periodic = [&] {
    if (heartbeat != nullptr) heartbeat->Beat();
    hangup();
    if (pipeline.OldestBufferedOffset() >= 0 &&
        std::chrono::steady_clock::now() - last_line >= hold) {
      pipeline.FlushParser();
    }
    if (std::chrono::steady_clock::now() - last_second > std::chrono::seconds(1)) {
      PublishFileMetrics(metrics, pipeline, sinks);
      if (each_second) each_second();
      last_second = std::chrono::steady_clock::now();
    }
  };
  // An alert waiting for room in a full sink (an http endpoint away) is
  // back-pressure, not a hang: systemd killed the daemon after WatchdogSec
  // (30 s) of an endpoint down. The watchdog is kept alive and the metrics
  // (the sink's queue, its errors) published while it waits; SIGHUP waits
  // for the next line (it reloads the rules in the middle of an event).
  pipeline.SetWaitHook([&] {
    if (heartbeat != nullptr) heartbeat->Beat();
    if (std::chrono::steady_clock::now() - last_second > std::chrono::seconds(1)) {
      PublishFileMetrics(metrics, pipeline, sinks);
      last_second = std::chrono::steady_clock::now();
    }
  });
  struct ClearHook {
    Pipeline& pipeline;
    ~ClearHook() { pipeline.SetWaitHook(nullptr); }
  } clear_hook{pipeline};
  std::unique_ptr<LineReader> reader = make_reader([&] {
    periodic();
    return g_stop.load();
  });
  auto feed = [&](std::string_view message, bool cut, int64_t number) {
    SourcePosition pos = position_of ? position_of(number) : SourcePosition{name, -1, number};
    if (cut) {
      pipeline.CountTooLong(message, pos);
    } else {
      pipeline.Process(message, pos);
    }
  };
  // Windows events: pretty-printed objects (evtx_dump) are joined from their lines.
  std::optional<JsonObjectLines> objects;
  if (pipeline.stream() == Stream::kWinevent) objects.emplace(config.max_message_bytes);
  std::string_view line, message;
  bool too_long = false, cut = false;
  int64_t number = 0, first = 0;
  while (!g_stop && reader->Next(&line, &too_long)) {
    ++number;
    last_line = std::chrono::steady_clock::now();
    if (number % 64 == 0) periodic();
    if (!objects || too_long) {
      feed(line, too_long, number);
    } else if (objects->Add(line, number, &message, &cut, &first)) {
      feed(message, cut, first);
    }
    hangup();  // at once after a line, not only every 64
  }
  if (objects && objects->Finish(&message, &first)) feed(message, false, first);
  if (reader->error()) spdlog::error("{}: read error: {}", name, std::strerror(errno));
  PublishFileMetrics(metrics, pipeline, sinks);
  return !reader->error();
}

// FeedReader over a file or pipe read to its end.
bool FeedLines(FILE* file, const std::string& name, const Config& config, Pipeline& pipeline,
               SinkSet* sinks, Metrics* metrics = nullptr, Heartbeat* heartbeat = nullptr) {
  return FeedReader(
      name,
      [&](std::function<bool()> idle) {
        return std::make_unique<LineReader>(file, config.max_message_bytes, std::move(idle));
      },
      config, pipeline, sinks, metrics, heartbeat);
}

// A file input with `follow: true`: read on a thread of its own, with its
// own pipeline, as it grows and across rotations, until SIGTERM; its
// position saved every second and at the end, below the oldest line whose
// alerts are not delivered yet.
class FollowedInput {
 public:
  static std::unique_ptr<FollowedInput> Start(const InputConfig& input, const Config& config,
                                              SinkSet* sinks, Metrics* metrics,
                                              Heartbeat* heartbeat, std::string* error) {
    FollowOptions fo;
    fo.path = input.path;
    fo.position_file = input.position_file;
    fo.from_start = input.from_start;
    auto follower = FileFollower::Open(fo, error);
    if (!follower) return nullptr;
    std::unique_ptr<FollowedInput> f(new FollowedInput(input, config, sinks, std::move(follower)));
    f->pipeline_.SetMetrics(metrics);
    PublishFileMetrics(metrics, f->pipeline_, nullptr);  // the stream's series from 0
    f->thread_ = std::thread([f = f.get(), metrics, heartbeat] { f->Run(metrics, heartbeat); });
    return f;
  }
  // After g_stop: waits for the thread (within a poll interval). False when
  // reading or delivering failed.
  bool Join() {
    if (thread_.joinable()) thread_.join();
    return ok_;
  }
  ~FollowedInput() { Join(); }

 private:
  FollowedInput(const InputConfig& input, const Config& config, SinkSet* sinks,
                std::unique_ptr<FileFollower> follower)
      : input_(input),
        config_(config),
        sinks_(sinks),
        pipeline_(config, input.stream, sinks->pointers()),
        follower_(std::move(follower)),
        next_start_(follower_->EndOffset(0)) {
    pipeline_.SetDeliveryTracker(tracker_);
  }

  void Run(Metrics* metrics, Heartbeat* heartbeat) {
    LineReader* reader = nullptr;
    ok_ = FeedReader(
        input_.path,
        [&](std::function<bool()> idle) {
          auto r = std::make_unique<LineReader>(
              [this, idle = std::move(idle)](char* buf, size_t size) {
                return follower_->Read(buf, size, idle);
              },
              config_.max_message_bytes, /*partial_at_end=*/false);
          reader = r.get();
          return r;
        },
        config_, pipeline_, nullptr, metrics, heartbeat, [&] { SavePosition(reader->buffered()); },
        [&](int64_t) { return PositionOfLine(reader->buffered()); });
    pipeline_.Finish();
    PublishFileMetrics(metrics, pipeline_, nullptr);
    // Every line handed on was processed and its alerts given to the sinks;
    // what they could not deliver by now is read again at the next start.
    sinks_->FlushDeliveries(kPositionFlushMs);
    SavePosition(reader->buffered());
    spdlog::info("input {} ({}, followed: {} rotations, {} truncations): {}", input_.path,
                 StreamName(input_.stream), follower_->rotations(), follower_->truncations(),
                 pipeline_.stats().Summary());
    if (pipeline_.stats().sink_errors > 0) ok_ = false;
  }

  // Saves the position (FileFollower::SavePosition) not past a line an
  // assembler still holds, nor past the oldest line whose alerts a sink has
  // not delivered yet (they would be lost in a crash), nor in a new file
  // while alerts of the file before it are outstanding (the position of
  // that file stays saved; it is found under its rotated name at a
  // restart). Until 2026-11-30 it was saved only when every sink had
  // delivered everything within 5 s, so a sink with a backlog (an endpoint
  // slower than the input) kept it where it was for as long as the backlog
  // lasted, and each attempt stopped the input for up to 5 s.
  void SavePosition(size_t buffered) {
    std::erase_if(draining_, [](const auto& tracker) { return tracker->pending() == 0; });
    if (!draining_.empty()) return;
    int64_t held = pipeline_.OldestBufferedOffset();
    if (std::optional<int64_t> pending = tracker_->OldestPending()) {
      // A line cut short by a switch of file has no offset: the new file's start.
      const int64_t line = std::max<int64_t>(*pending, 0);
      held = held < 0 ? line : std::min(held, line);
    }
    follower_->SavePosition(buffered, held);
  }

  // The line just read: topic "PATH#INODE.BIRTH" (BIRTH: the file's birth
  // time in ns, where the file system keeps it; "~N" after the file was read
  // again from its start N times), offset where the line starts,
  // so alert ids are the same when a restart reads the line again, and
  // differ in the next file under the name. A line cut short by a switch of
  // file (it had no newline) gets offset -1.
  SourcePosition PositionOfLine(size_t buffered) {
    const uint64_t inode = follower_->inode(), generation = follower_->truncations();
    const int64_t birth = follower_->birth_ns();
    const int64_t end = follower_->EndOffset(buffered);
    int64_t start = next_start_;
    if (names_.empty() || inode != inode_ || birth != birth_ || generation != generation_) {
      if (!names_.empty()) {
        start = end == 0 ? -1 : 0;
        // Offsets start again. An event of the file before that the parser
        // still holds (an auditd event without its end) is finished now, so
        // its alerts are the old file's deliveries and its offset is not
        // taken for one in the new file (the position was saved inside a
        // line of the new file, and the alert lost in a crash).
        pipeline_.FlushParser();
        // The deliveries of the file before are waited for apart.
        if (tracker_->pending() > 0) {
          draining_.push_back(std::move(tracker_));
          tracker_ = std::make_shared<OffsetTracker>();
          pipeline_.SetDeliveryTracker(tracker_);
        }
      }
      inode_ = inode;
      birth_ = birth;
      generation_ = generation;
      // With the file's birth time where the file system keeps it: a file
      // created under the inode number of a deleted one had its alert ids
      // (an Elasticsearch sink, indexing by id, overwrote the old alerts).
      names_.push_back(input_.path + "#" + std::to_string(inode) +
                       (birth != 0 ? "." + std::to_string(birth) : "") +
                       (generation > 0 ? "~" + std::to_string(generation) : ""));
    }
    next_start_ = end;
    return SourcePosition{names_.back(), -1, start};
  }

  const InputConfig& input_;
  const Config& config_;
  SinkSet* sinks_;
  Pipeline pipeline_;
  // The deliveries of the current file's alerts, and those of earlier files
  // with some outstanding (shared with the pipeline, and with the sinks'
  // delivery reports, which may come after this input ended).
  std::shared_ptr<OffsetTracker> tracker_ = std::make_shared<OffsetTracker>();
  std::vector<std::shared_ptr<OffsetTracker>> draining_;
  std::unique_ptr<FileFollower> follower_;
  // Position topics, one per file read (events held by the pipeline refer
  // to them until it finishes; a deque never moves its strings).
  std::deque<std::string> names_;
  uint64_t inode_ = 0;
  int64_t birth_ = 0;
  uint64_t generation_ = 0;
  int64_t next_start_;  // where the next line starts in the current file
  bool ok_ = true;
  std::thread thread_;
};

// Replays "TOPIC\tPARTITION\tOFFSET\tMESSAGE" lines with one pipeline per
// partition, in the order given (a partition's lines must be in offset order).
// Lines of a partition beyond the first kMaxReplayPartitions, or with a
// partition or offset Kafka cannot have, count as bad_frame.
constexpr size_t kMaxReplayPartitions = 4096;
PipelineStats ReplayPositioned(FILE* in, const Config& config, Stream stream, SinkSet* replay_sinks,
                               const std::vector<AlertSink*>& sinks, FILE* events_out,
                               Metrics* metrics) {
  // Map keys own the topic text that positions point to (map nodes never move).
  std::map<std::pair<std::string, int32_t>, std::unique_ptr<Pipeline>> pipelines;
  PipelineStats bad;
  // --metrics-listen: every pipeline's counts, and those of the lines no
  // pipeline took (a source id no pipeline has), about once a second.
  constexpr uint64_t kBadLinesSource = ~uint64_t{0};
  auto published = std::chrono::steady_clock::now();
  auto publish = [&] {
    if (metrics == nullptr) return;
    for (auto& [key, p] : pipelines) PublishFileMetrics(metrics, *p, nullptr);
    metrics->PublishPipeline(stream, bad, kBadLinesSource);
    replay_sinks->Publish(metrics);
    published = std::chrono::steady_clock::now();
  };
  publish();
  // A Kafka message may be as large as max_message_bytes plus its position
  // prefix. A quiet input publishes what came before it.
  LineReader reader(in, config.max_message_bytes + 64, [&] {
    publish();
    return g_stop.load();
  });
  std::string_view line;
  bool too_long;
  while (!g_stop && reader.Next(&line, &too_long)) {
    size_t t1 = line.find('\t');
    size_t t2 = t1 == std::string_view::npos ? t1 : line.find('\t', t1 + 1);
    size_t t3 = t2 == std::string_view::npos ? t2 : line.find('\t', t2 + 1);
    auto partition =
        t2 == std::string_view::npos ? std::nullopt : ParseInt(line.substr(t1 + 1, t2 - t1 - 1));
    auto offset =
        t3 == std::string_view::npos ? std::nullopt : ParseInt(line.substr(t2 + 1, t3 - t2 - 1));
    // Kafka partitions are int32 and offsets not negative; a dump holds a
    // bounded number of partitions (each has a pipeline of its own).
    if (!partition || !offset || *partition < 0 || *partition > INT32_MAX || *offset < 0 ||
        (pipelines.size() >= kMaxReplayPartitions &&
         !pipelines.count({std::string(line.substr(0, t1)), static_cast<int32_t>(*partition)}))) {
      ++bad.messages;
      ++bad.errors_by_reason[static_cast<size_t>(ParseError::kBadFrame)];
      continue;
    }
    auto [it, inserted] = pipelines.try_emplace(
        std::make_pair(std::string(line.substr(0, t1)), static_cast<int32_t>(*partition)));
    if (inserted) {
      it->second = std::make_unique<Pipeline>(config, stream, sinks, events_out);
      it->second->SetMetrics(metrics);
    }
    Pipeline* p = it->second.get();
    SourcePosition pos{it->first.first, static_cast<int32_t>(*partition), *offset};
    std::string_view message = line.substr(t3 + 1);
    if (too_long || message.size() > config.max_message_bytes) {
      p->CountTooLong(message, pos);
    } else {
      p->Process(message, pos);
    }
    if (std::chrono::steady_clock::now() - published > std::chrono::seconds(1)) publish();
  }
  PipelineStats total = bad;
  for (auto& [key, p] : pipelines) {
    p->Finish();
    total.Add(p->stats());
  }
  publish();  // what Finish() delivered
  return total;
}

FILE* OpenInput(const std::string& path) {
  if (path == "-") return stdin;
  FILE* f = std::fopen(path.c_str(), "rbe");
  if (f == nullptr) std::fprintf(stderr, "loghuntd: %s: %s\n", path.c_str(), std::strerror(errno));
  return f;
}

}  // namespace

int RunReplay(const ReplayOptions& options) {
  Stream stream;
  if (!ParseStreamName(options.stream, &stream)) {
    std::fprintf(stderr, "loghuntd replay: unknown stream '%s' (auditd, syslog or winevent)\n",
                 options.stream.c_str());
    return 2;
  }
  Config config;
  if (!LoadOrDefault(options.config_path, &config)) return 2;
  std::string error;
  if (!options.events && !LoadSharedDetectorData(config, &error)) {
    std::fprintf(stderr, "loghuntd replay: %s\n", error.c_str());
    return 2;
  }
  FILE* in = OpenInput(options.input);
  if (in == nullptr) return 1;

  // Replay writes only to stdout: alerts (or events) as JSON lines.
  SinkSet replay_sinks;
  replay_sinks.Adopt(std::make_unique<StreamSink>(AlertFormat::kJson, /*flush_each_alert=*/false));
  std::vector<AlertSink*> sinks;
  if (!options.events) sinks = replay_sinks.pointers();
  static char out_buffer[1 << 16];
  std::setvbuf(stdout, out_buffer, _IOFBF, sizeof out_buffer);

  std::unique_ptr<Metrics> metrics;
  if (!options.metrics_listen.empty()) {
    if (!Metrics::IsListenAddress(options.metrics_listen)) {
      std::fprintf(stderr,
                   "loghuntd replay: --metrics-listen %s: expected IPv4:PORT (e.g. "
                   "127.0.0.1:9464) or :PORT (every IPv4 address)\n",
                   options.metrics_listen.c_str());
      return 2;
    }
    std::string error;
    metrics = Metrics::Create(options.metrics_listen, &error);
    if (!metrics) {
      std::fprintf(stderr, "loghuntd replay: %s\n", error.c_str());
      return 2;
    }
  }
  IntelFeedMetricsScope intel_feed_metrics(metrics.get());
  auto start = std::chrono::steady_clock::now();
  InstallSignalHandlers();
  PipelineStats st;
  bool read = true;
  if (options.positioned) {
    st = ReplayPositioned(in, config, stream, &replay_sinks, sinks,
                          options.events ? stdout : nullptr, metrics.get());
    read = !std::ferror(in);
  } else {
    Pipeline pipeline(config, stream, sinks, options.events ? stdout : nullptr);
    pipeline.SetMetrics(metrics.get());
    read = FeedLines(in, options.input == "-" ? "stdin" : options.input, config, pipeline,
                     &replay_sinks, metrics.get());
    pipeline.Finish();
    PublishFileMetrics(metrics.get(), pipeline, &replay_sinks);  // events Finish() delivered
    st = pipeline.stats();
  }
  if (in != stdin) std::fclose(in);
  // Events (--events) go to stdout directly: a failed write is an error too.
  bool written = std::fflush(stdout) == 0 && !std::ferror(stdout);
  if (!written) std::fprintf(stderr, "loghuntd replay: stdout: %s\n", std::strerror(errno));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "loghuntd replay: stream=%s %s elapsed=%.3fs events/s=%.0f\n",
               options.stream.c_str(), st.Summary().c_str(), seconds,
               seconds > 0 ? static_cast<double>(st.events) / seconds : 0.0);
  return st.sink_errors > 0 || !read || !written ? 1 : 0;
}

int RunCheckConfig(const std::string& path) {
  Config config;
  std::vector<std::string> errors;
  if (!LoadConfig(path, &config, &errors)) {
    for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.c_str());
    return 2;
  }
  // What `run` would refuse to start without: the rules, the GeoIP files.
  std::string error;
  if (!LoadSharedDetectorData(config, &error)) {
    // The error names its section first ("detectors.intel: feed ...").
    const int line = ConfigKeyLine(path, std::string_view(error).substr(0, error.find(':')));
    std::fprintf(stderr, "%s:%d: %s\n", path.c_str(), line, error.c_str());
    return 2;
  }
  if (!config.kafka.enabled && config.inputs.empty()) {
    std::fprintf(stderr, "%s:0: inputs: no input configured (and no kafka section)\n",
                 path.c_str());
    return 2;
  }
  std::printf("%s: ok\n", path.c_str());
  return 0;
}

namespace {

// The config of input `index`'s pipeline. With several inputs each pipeline
// (listeners run at once, on their own threads) has a cluster detector of
// its own, so each gets a snapshot file of its own, as Kafka workers do
// (WorkerDetectorConfig): snapshot_path.input<N>. With one input the path
// is used as configured.
Config InputDetectorConfig(const Config& config, size_t index) {
  Config c = config;
  if (!c.cluster.snapshot_path.empty() && config.inputs.size() > 1) {
    c.cluster.snapshot_path += ".input" + std::to_string(index);
  }
  return c;
}

int RunFiles(const Config& config) {
  SinkSet sinks;
  if (!sinks.Open(config)) return 1;
  InterruptOnStop interrupt_on_stop([&sinks] { sinks.Interrupt(); });
  std::unique_ptr<Metrics> metrics;
  if (!config.metrics_listen.empty()) {
    std::string error;
    metrics = Metrics::Create(config.metrics_listen, &error);
    if (!metrics) {
      spdlog::error("{}", error);
      return 1;
    }
    spdlog::info("metrics at http://{}/metrics", config.metrics_listen);
  }
  IntelFeedMetricsScope intel_feed_metrics(metrics.get());
  // Pipelines refer to their config while they live.
  std::vector<Config> input_configs;
  for (size_t i = 0; i < config.inputs.size(); ++i)
    input_configs.push_back(InputDetectorConfig(config, i));
  auto config_of = [&](const InputConfig& input) -> const Config& {
    return input_configs[static_cast<size_t>(&input - config.inputs.data())];
  };
  Heartbeat heartbeat;
  // Listeners and stdin number their messages from this start: their
  // position topics carry it, so alert ids differ from those of the
  // messages of an earlier start (the same numbers; until 2026-11-30 a
  // restart reused the ids, and an Elasticsearch sink, which indexes by id,
  // overwrote the earlier alerts) and between listeners (they shared the
  // topic "syslog_udp").
  const std::string started = "@" + std::to_string(NowNanos());
  // Syslog listeners run (each on its own thread, with its own pipeline)
  // while the files are read, and until SIGTERM.
  std::vector<std::unique_ptr<Pipeline>> listener_pipelines;
  std::vector<std::unique_ptr<SyslogListener>> listeners;
  for (const InputConfig& input : config.inputs) {
    if (input.type != "syslog_udp" && input.type != "syslog_tcp") continue;
    auto pipeline = std::make_unique<Pipeline>(config_of(input), input.stream, sinks.pointers());
    pipeline->SetMetrics(metrics.get());
    SyslogListenerOptions lo;
    (input.type == "syslog_udp" ? lo.udp_listen : lo.tcp_listen) = input.listen;
    lo.max_message_bytes = config.max_message_bytes;
    lo.max_connections = input.max_connections;
    lo.max_connections_per_address = input.max_connections_per_address;
    lo.frame_timeout = std::chrono::milliseconds(input.frame_timeout_ms);
    Pipeline* p = pipeline.get();
    auto name = std::make_shared<const std::string>(input.type + ":" + input.listen + started);
    const std::string label = input.type + ":" + input.listen;
    const bool tcp = input.type == "syslog_tcp";
    auto seq = std::make_shared<int64_t>(0);
    auto published = std::make_shared<std::chrono::steady_clock::time_point>();
    Metrics* m = metrics.get();
    std::string error;
    // The pipeline's counts, from the listener's thread (which owns the
    // pipeline): from 0 before any message, after a message at most once a
    // second, and every second whatever arrives (the last of a burst too).
    auto publish = [p, m] {
      if (m == nullptr) return;
      m->PublishPipeline(p->stream(), p->stats(), p->id());
      if (p->detectors() != nullptr)
        m->PublishDetectorSeconds(p->detectors()->Seconds(), p->detectors()->id());
    };
    publish();
    auto listener = SyslogListener::Start(
        lo,
        [p, name, seq, published, publish](std::string_view message, bool too_long,
                                           std::string_view) {
          SourcePosition pos{*name, -1, ++*seq};
          if (too_long) {
            p->CountTooLong(message, pos);
          } else {
            p->Process(message, pos);
          }
          auto now = std::chrono::steady_clock::now();
          if (now - *published > std::chrono::seconds(1)) {
            *published = now;
            publish();
          }
        },
        &error,
        [publish, m, label, tcp](const SyslogListenerStats& stats) {
          publish();
          if (m != nullptr) m->PublishListener(label, tcp, stats);
        });
    if (!listener) {
      spdlog::error("input {}: {}", input.type, error);
      return 1;
    }
    if (m != nullptr) m->PublishListener(label, tcp, listener->stats());  // the series from 0
    spdlog::info("listening for syslog on {} {}", input.type == "syslog_udp" ? "udp" : "tcp",
                 input.listen);
    listener_pipelines.push_back(std::move(pipeline));
    listeners.push_back(std::move(listener));
  }
  // What needs root is open (listener ports, stdin, sinks, metrics): the
  // rest runs as run_as (the auditd plugin is started as root).
  if (!config.run_as.empty()) {
    std::string error;
    if (!RunAs(config.run_as, &error)) {
      spdlog::error("{}", error);
      g_stop = true;  // the listeners already started end
      return 2;
    }
    spdlog::info("running as {}", config.run_as);
  }
  // Followed files too: each on its own thread until SIGTERM.
  std::vector<std::unique_ptr<FollowedInput>> followed;
  for (const InputConfig& input : config.inputs) {
    if (!input.follow) continue;
    std::string error;
    auto f =
        FollowedInput::Start(input, config_of(input), &sinks, metrics.get(), &heartbeat, &error);
    if (!f) {
      spdlog::error("input {}: {}", input.path, error);
      g_stop = true;  // the inputs already started end
      return 1;
    }
    spdlog::info("following {} ({}{})", input.path, StreamName(input.stream),
                 input.position_file.empty() ? "" : ", position in " + input.position_file);
    followed.push_back(std::move(f));
  }
  sd_notify(0, "READY=1");
  spdlog::info("loghuntd started with {} input(s)", config.inputs.size());
  int rc = 0;
  for (const InputConfig& input : config.inputs) {
    if (g_stop) break;
    if (input.type == "syslog_udp" || input.type == "syslog_tcp" || input.type == "journald" ||
        input.follow)
      continue;
    FILE* in = OpenInput(input.path);
    if (in == nullptr) {
      rc = 1;
      continue;
    }
    Pipeline pipeline(config_of(input), input.stream, sinks.pointers());
    pipeline.SetMetrics(metrics.get());
    const std::string name = input.path == "-" ? "stdin" + started : input.path;
    if (!FeedLines(in, name, config_of(input), pipeline, &sinks, metrics.get(), &heartbeat)) rc = 1;
    pipeline.Finish();
    PublishFileMetrics(metrics.get(), pipeline, &sinks);  // events Finish() delivered
    if (in != stdin) std::fclose(in);
    spdlog::info("input {} ({}): {}", input.path, StreamName(input.stream),
                 pipeline.stats().Summary());
    if (pipeline.stats().sink_errors > 0) rc = 1;
  }
  // The journal is followed on this thread until SIGTERM (one journald input).
  for (const InputConfig& input : config.inputs) {
    if (input.type != "journald" || g_stop) continue;
    Pipeline pipeline(config_of(input), input.stream, sinks.pointers());
    pipeline.SetMetrics(metrics.get());
    // The cursor is saved below the oldest entry whose alerts a sink has not
    // delivered yet (they would be lost in a crash).
    auto tracker = std::make_shared<OffsetTracker>();
    pipeline.SetDeliveryTracker(tracker);
    JournaldOptions jo;
    if (!input.path.empty()) jo.files = {input.path};
    jo.cursor_file = input.cursor_file;
    jo.from_start = input.from_start;
    jo.oldest_unfinished = [&pipeline, tracker]() -> int64_t {
      int64_t held = pipeline.OldestBufferedOffset();
      if (std::optional<int64_t> pending = tracker->OldestPending()) {
        held = held < 0 ? *pending : std::min(held, *pending);
      }
      return held;
    };
    std::string error;
    auto journal = JournaldSource::Open(jo, &error);
    if (!journal) {
      spdlog::error("input journald: {}", error);
      rc = 1;
      break;
    }
    PublishFileMetrics(metrics.get(), pipeline, &sinks);  // the stream's series from 0
    auto journal_published = std::chrono::steady_clock::now();
    // After each entry and each quiet quarter second.
    auto periodic = [&] {
      heartbeat.Beat();
      if (g_reopen) {
        g_reopen = false;
        sinks.Hangup();
      }
      if (std::chrono::steady_clock::now() - journal_published > std::chrono::seconds(1)) {
        journal_published = std::chrono::steady_clock::now();
        PublishFileMetrics(metrics.get(), pipeline, &sinks);
      }
    };
    // A full sink: as FeedReader's wait hook (no SIGHUP in the middle of an event).
    pipeline.SetWaitHook([&] {
      heartbeat.Beat();
      if (std::chrono::steady_clock::now() - journal_published > std::chrono::seconds(1)) {
        journal_published = std::chrono::steady_clock::now();
        PublishFileMetrics(metrics.get(), pipeline, &sinks);
      }
    });
    journal->Run(
        g_stop, /*follow=*/true,
        [&](std::string_view line, const SourcePosition& position) {
          pipeline.Process(line, position);
          periodic();
        },
        periodic);
    pipeline.Finish();
    PublishFileMetrics(metrics.get(), pipeline, &sinks);
    // What the sinks deliver by now is not read again at the next start.
    sinks.FlushDeliveries(kPositionFlushMs);
    journal->SavePosition();
    spdlog::info("input journald: {}", pipeline.stats().Summary());
    if (pipeline.stats().sink_errors > 0) rc = 1;
    break;
  }
  auto published = std::chrono::steady_clock::now();
  while ((!listeners.empty() || !followed.empty()) && !g_stop) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    heartbeat.Beat();
    if (g_reopen) {
      g_reopen = false;
      sinks.Hangup();
    }
    if (std::chrono::steady_clock::now() - published > std::chrono::seconds(1)) {
      published = std::chrono::steady_clock::now();
      sinks.Publish(metrics.get());
    }
  }
  sd_notify(0, "STOPPING=1");
  for (auto& f : followed) {
    if (!f->Join()) rc = 1;
  }
  for (size_t i = 0; i < listeners.size(); ++i) {
    listeners[i]->Stop();
    listener_pipelines[i]->Finish();
    PublishFileMetrics(metrics.get(), *listener_pipelines[i], &sinks);
    spdlog::info("syslog listener: {}", listener_pipelines[i]->stats().Summary());
    if (listener_pipelines[i]->stats().sink_errors > 0) rc = 1;
  }
  // Alerts asynchronous sinks (http) accepted and then gave up on, also
  // those still undelivered after the sinks' flush bound.
  sinks.Close();
  if (const uint64_t lost = sinks.delivery_failures(); lost > 0) {
    spdlog::error("sinks: {} alert(s) given up after they were accepted", lost);
    rc = 1;
  }
  spdlog::info("loghuntd stopped");
  return rc;
}

int RunKafka(Config config, const std::string& config_path, int64_t idle_exit_ms) {
  std::string error;
  std::unique_ptr<Metrics> metrics;
  if (!config.metrics_listen.empty()) {
    metrics = Metrics::Create(config.metrics_listen, &error);
    if (!metrics) {
      spdlog::error("{}", error);
      return 1;
    }
    spdlog::info("metrics at http://{}/metrics", config.metrics_listen);
  }
  IntelFeedMetricsScope intel_feed_metrics(metrics.get());
  std::unique_ptr<EmbeddedKafka> embedded;
  if (config.kafka.embedded) {
    embedded = EmbeddedKafka::Start(config, &error);
    if (!embedded) {
      spdlog::error("{}", error);
      return 1;
    }
    config.kafka.brokers = embedded->bootstrap_servers();
  }
  // Declared before the sinks so it outlives them: a sink that purges what
  // it could not deliver when destroyed reports those alerts to the source's
  // per-partition bookkeeping, which must still exist.
  std::unique_ptr<KafkaSource> source;
  SinkSet sinks;
  if (!sinks.Open(config)) return 1;
  std::unique_ptr<KafkaProducer> dead_letter_producer;
  std::unique_ptr<KafkaDeadLetterWriter> dead_letters;
  if (!config.kafka.dead_letter_topic.empty()) {
    dead_letter_producer = KafkaProducer::Create(CommonKafkaProperties(config.kafka), &error);
    if (!dead_letter_producer) {
      spdlog::error("dead letters: {}", error);
      return 1;
    }
    dead_letters = std::make_unique<KafkaDeadLetterWriter>(dead_letter_producer.get(),
                                                           config.kafka.dead_letter_topic);
  }
  InterruptOnStop interrupt_on_stop([&] {
    sinks.Interrupt();
    if (dead_letter_producer) dead_letter_producer->Interrupt();
  });
  source =
      std::make_unique<KafkaSource>(config, sinks.pointers(), dead_letters.get(), metrics.get());
  if (!source->Open(&error)) {
    spdlog::error("{}", error);
    return 1;
  }
  // Detectors rebuilt on SIGHUP keep referring to the config they were built
  // from, so it lives until the next successful reload.
  std::unique_ptr<Config> detector_config;
  uint64_t watchdog_usec = 0;
  bool watchdog = sd_watchdog_enabled(0, &watchdog_usec) > 0;
  auto last_status = std::chrono::steady_clock::now();
  uint64_t last_events = 0;
  // A revocation flushes the sinks outside tick(): each for at most a third
  // of the watchdog interval, with a keep-alive before and after.
  source->keepalive = [watchdog] {
    if (watchdog) sd_notify(0, "WATCHDOG=1");
  };
  // A reload that starts Kafka intel feeds waits for each to load.
  IntelFeedLoadKeepAlive feed_load_keep_alive([watchdog] {
    if (watchdog) sd_notify(0, "WATCHDOG=1");
  });
  if (watchdog) {
    source->revoke_flush_ms = static_cast<int>(
        std::min<uint64_t>(static_cast<uint64_t>(source->revoke_flush_ms), watchdog_usec / 3000));
  }
  source->tick = [&] {
    if (g_reopen) {
      g_reopen = false;
      sd_notify(0, "RELOADING=1");
      auto fresh = std::make_unique<Config>();
      std::vector<std::string> errors;
      std::string reload_error;
      if (config_path.empty() || !LoadConfig(config_path, fresh.get(), &errors)) {
        for (const auto& e : errors) spdlog::error("reload: {}", e);
        spdlog::error("reload: config rejected, keeping the running one");
      } else {
        // The embedded cluster's address is known only to the running daemon
        // (Kafka intel feeds without brokers of their own use it).
        if (embedded) fresh->kafka.brokers = embedded->bootstrap_servers();
        // Rule files are read again even when the config names the same ones.
        ReloadSigmaRules();
        if (!source->ReloadDetectors(*fresh, &reload_error)) {
          spdlog::error("reload: detectors rejected ({}), keeping the running ones", reload_error);
        } else {
          detector_config = std::move(fresh);
          spdlog::info("reload: detectors rebuilt from {}", config_path);
        }
      }
      sinks.Reopen();
      sd_notify(0, "READY=1");
    }
    auto now = std::chrono::steady_clock::now();
    if (now - last_status > std::chrono::seconds(1)) {
      double secs = std::chrono::duration<double>(now - last_status).count();
      uint64_t events = source->Stats().pipeline.events;
      std::string status =
          "STATUS=" + std::to_string(static_cast<uint64_t>((events - last_events) / secs)) +
          " events/s, lag " + std::to_string(source->TotalLag());
      sd_notify(0, status.c_str());
      if (watchdog) sd_notify(0, "WATCHDOG=1");
      sinks.Publish(metrics.get());
      last_events = events;
      last_status = now;
    }
  };
  sd_notify(0, "READY=1");
  spdlog::info("loghuntd consuming from {} as group {} with {} worker(s)", config.kafka.brokers,
               config.kafka.group_id, config.kafka.workers);
  source->Run(g_stop, idle_exit_ms);
  sd_notify(0, "STOPPING=1");
  if (dead_letter_producer) dead_letter_producer->Flush(30'000);
  KafkaSourceStats st = source->Stats();
  spdlog::info("loghuntd stopped: {} commits={} commit_errors={} pauses={} rebalances={}",
               st.pipeline.Summary(), st.commits, st.commit_errors, st.pauses, st.rebalances);
  if (st.active_seconds > 0) {
    spdlog::info("throughput: {} messages in {:.2f} s of consumption = {:.0f} messages/s",
                 st.pipeline.messages, st.active_seconds, st.pipeline.messages / st.active_seconds);
  }
  // Alerts a sink refused or gave up after accepting them (an http endpoint
  // answering 400, say, or a broker away at shutdown: those were given up
  // when the sinks were destroyed, after this was read, and the run exited
  // 0) make a failed run, as in file mode.
  sinks.Close();
  const uint64_t lost = sinks.delivery_failures();
  if (lost > 0) spdlog::error("sinks: {} alert(s) given up after they were accepted", lost);
  return st.pipeline.sink_errors > 0 || lost > 0 ? 1 : 0;
}

}  // namespace

int RunDaemon(const RunOptions& options) {
  Config config;
  if (!LoadOrDefault(options.config_path, &config)) return 2;
  if (!config.kafka.enabled && config.inputs.empty()) {
    std::fprintf(stderr, "%s:0: inputs: no input configured (and no kafka section)\n",
                 options.config_path.c_str());
    return 2;
  }
  std::string error;
  if (!LoadSharedDetectorData(config, &error)) {
    spdlog::error("{}", error);
    return 2;
  }
  InstallSignalHandlers();
  if (config.kafka.enabled) return RunKafka(config, options.config_path, options.idle_exit_ms);
  return RunFiles(config);
}

}  // namespace loghunt
