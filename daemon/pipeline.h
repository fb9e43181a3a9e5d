// Pipeline: message -> parse -> Event -> detect -> Alert -> sinks, for one
// stream (and, under Kafka, one partition), on the calling thread. The replay
// command drives one per input; a Kafka worker owns one per assigned
// partition, all sharing the worker's DetectorSet.
//
// Every message either yields events or is counted as an error by reason
// (and, when a dead-letter writer is set, sent there); nothing is dropped
// silently. With an OffsetTracker, every asynchronous delivery (alert to the
// Kafka sink, dead letter) is registered as pending on the offset of the
// first message of its event, so the source commits only what is delivered.
//
// Thread-safety: none; the owner thread calls everything. Counters are plain
// integers read by the owner (summary) or copied out under its lock.
#pragma once

#include <array>
#include <atomic>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/alert.h"
#include "daemon/config.h"
#include "daemon/offset_tracker.h"
#include "detectors/context/process_table.h"
#include "detectors/detector.h"
#include "parsers/parser.h"
#include "sinks/sink.h"

namespace loghunt {

struct PipelineStats {
  uint64_t messages = 0;
  uint64_t bytes = 0;
  uint64_t events = 0;
  std::array<uint64_t, kEventKindCount> events_by_kind{};
  std::array<uint64_t, kParseErrorCount> errors_by_reason{};
  uint64_t alerts = 0;
  uint64_t sink_errors = 0;
  uint64_t dead_letters = 0;

  uint64_t errors() const;
  void Add(const PipelineStats& other);
  // "messages=.. events=.. alerts=.. errors=.. (reason=n ...)".
  std::string Summary() const;
};

// Builds the detectors enabled in `config` (one set per pipeline/worker);
// the ancestry detector reads `processes` (fed by the caller) when given.
std::vector<std::unique_ptr<Detector>> MakeDetectors(const Config& config,
                                                     ProcessTable* processes = nullptr);

// Loads what enabled detectors share and cannot work without (the Sigma rule
// set, the GeoIP databases), once per process: false with `error` (e.g.
// "detectors.sigma: no rules loaded: ...: no such file") when one cannot be
// loaded. Called before a start (the daemon then exits 2 rather than run
// without the detector) and before a SIGHUP reload (the running detectors are
// kept), so MakeDetectors() does not silently leave a detector out.
bool LoadSharedDetectorData(const Config& config, std::string* error);

// The detectors of one worker, run in order on each event. One event in
// kTimingSample is timed per detector, for loghunt_detector_seconds_total.
//
// With Sigma rules or ancestry enabled the set keeps a ProcessTable of the
// process starts it saw (after the detectors ran on each): a process start
// that does not name its parent's image (auditd execve) is inspected with
// the parent's image and command line from the table, so ParentImage /
// ParentCommandLine rules work on Linux; the ancestry detector reads it too.
class DetectorSet {
 public:
  static constexpr uint64_t kTimingSample = 8;
  explicit DetectorSet(const Config& config);
  void Inspect(const Event& event, std::vector<Alert>& alerts);
  // Estimated seconds spent in each detector so far.
  std::vector<std::pair<std::string, double>> Seconds() const;
  // Whether a detector of that name (Detector::name()) is in the set.
  bool Has(std::string_view name) const;
  // Unique in the process (never 0): tells detector sets apart for metrics.
  uint64_t id() const { return id_; }
  // Takes over what `old` learned that must survive a reload (SIGHUP): each
  // detector's state from the old detector of its name
  // (Detector::TakeStateFrom: the cluster detector's hosts and patterns, the
  // command bursts and sudo sessions in progress). This set
  // has restored its cluster state from its snapshot file, if any, at
  // construction; that file is stale while `old` runs (it writes it at its
  // end, after this set was built), so the state moves in memory instead,
  // with or without snapshot_path. The process table (parents, ancestry)
  // moves too. REQUIRES: neither set is in use.
  void TakeStateFrom(DetectorSet& old);

 private:
  // `event`, or a copy with the parent fields from processes_ filled in.
  const Event& WithParent(const Event& event);

  uint64_t id_;
  std::unique_ptr<ProcessTable> processes_;  // declared before the detectors that read it
  Event with_parent_;                        // reused: its vectors keep their capacity
  std::vector<std::unique_ptr<Detector>> detectors_;
  std::vector<uint64_t> sampled_ns_;
  uint64_t events_ = 0;
};

class Metrics;

// Receives messages that could not be parsed (the Kafka dead-letter topic).
class DeadLetterWriter {
 public:
  virtual ~DeadLetterWriter() = default;
  // Hands `message` over with its reason; `done` as for AlertSink::WriteAsync.
  virtual bool Write(std::string_view message, ParseError reason, const SourcePosition& position,
                     DeliveryCallback done) = 0;
  // As AlertSink::WaitForRoom: a Kafka worker waits here before each batch.
  virtual bool WaitForRoom(int timeout_ms) {
    (void)timeout_ms;
    return true;
  }
};

class Pipeline : public EventHandler {
 public:
  // Owns its detectors. `sinks` are not owned and must outlive the pipeline.
  // When `events_out` is set, normalized events are written there as JSON
  // lines and detectors do not run (replay --events).
  Pipeline(const Config& config, Stream stream, std::vector<AlertSink*> sinks,
           FILE* events_out = nullptr);
  // Shares `detectors`; registers deliveries with `tracker` and sends bad
  // messages to `dead_letters` (both optional, not owned).
  Pipeline(const Config& config, Stream stream, DetectorSet* detectors,
           std::vector<AlertSink*> sinks, OffsetTracker* tracker, DeadLetterWriter* dead_letters);

  // Processes one message. `message` needs to live only for the call.
  void Process(std::string_view message, const SourcePosition& position);
  // Counts a message the source had to cut (longer than max_message_bytes).
  void CountTooLong(std::string_view message, const SourcePosition& position);
  // Delivers events still buffered in the parser (end of input, idle partition).
  void FlushParser() { parser_->Flush(*this); }
  // End of input: flushes buffered events and the sinks.
  void Finish();

  int64_t OldestBufferedOffset() const { return parser_->OldestBufferedOffset(); }
  // Swaps in another detector set (SIGHUP reload); not owned.
  void SetDetectors(DetectorSet* detectors) { detectors_ = detectors; }
  DetectorSet* detectors() const { return detectors_; }
  // Counts alerts by rule in `metrics` (optional, not owned).
  void SetMetrics(Metrics* metrics) { metrics_ = metrics; }
  // Outside Kafka mode (the first constructor): registers the deliveries of
  // alerts to asynchronous sinks with `tracker` (a followed file's; the
  // pipeline keeps it alive while a delivery is outstanding), by the lowest
  // offset of the event's position; null: none registered.
  void SetDeliveryTracker(std::shared_ptr<OffsetTracker> tracker) {
    tracker_ = tracker.get();
    own_tracker_ = std::move(tracker);
  }
  // Called about every second while an alert waits for room in a full sink
  // (outside Kafka mode): the input's keep-alive (watchdog, metrics), as a
  // wait on a sink that is away is back-pressure, not a hang. It must not
  // call back into the pipeline's processing.
  void SetWaitHook(std::function<void()> hook) { wait_hook_ = std::move(hook); }
  const PipelineStats& stats() const { return stats_; }
  Stream stream() const { return stream_; }
  // Unique in the process (never 0): tells pipelines apart for metrics.
  uint64_t id() const { return id_; }

  // EventHandler
  void OnEvent(const Event& event) override;
  void OnError(ParseError reason, std::string_view message,
               const SourcePosition& position) override;

 private:
  Stream stream_;
  uint64_t id_ = NextId();
  static uint64_t NextId() {
    static std::atomic<uint64_t> next{0};
    return ++next;
  }
  std::unique_ptr<StreamParser> parser_;
  std::unique_ptr<DetectorSet> own_detectors_;
  DetectorSet* detectors_ = nullptr;
  std::vector<AlertSink*> sinks_;
  FILE* events_out_ = nullptr;
  OffsetTracker* tracker_ = nullptr;
  std::shared_ptr<OffsetTracker> own_tracker_;  // SetDeliveryTracker
  // Outside Kafka mode an alert waits for room in a full asynchronous sink
  // (a Kafka worker waits before each batch).
  bool wait_for_room_ = false;
  DeadLetterWriter* dead_letters_ = nullptr;
  Metrics* metrics_ = nullptr;
  std::function<void()> wait_hook_;
  std::string line_;
  std::vector<Alert> alerts_;
  PipelineStats stats_;
};

}  // namespace loghunt
