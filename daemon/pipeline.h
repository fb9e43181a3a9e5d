// Pipeline: message -> parse -> Event -> detect -> Alert -> sinks, for one
// stream, on the calling thread. The replay command drives one per input; the
// daemon's workers (Kafka issue) own one per stream.
//
// Every message either yields events or is counted as an error by reason;
// nothing is dropped silently. Counters are plain integers read by the owner
// thread (summary, metrics).
#pragma once

#include <array>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "core/alert.h"
#include "daemon/config.h"
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

  uint64_t errors() const;
  // "messages=.. events=.. alerts=.. errors=.. (reason=n ...)".
  std::string Summary() const;
};

class Pipeline : public EventHandler {
 public:
  // `sinks` are not owned and must outlive the pipeline. When `events_out` is
  // set, normalized events are written there as JSON lines and detectors do
  // not run (replay --events).
  Pipeline(const Config& config, Stream stream, std::vector<AlertSink*> sinks,
           FILE* events_out = nullptr);

  // Processes one message. `message` needs to live only for the call.
  void Process(std::string_view message, const SourcePosition& position);
  // Counts a message the source had to cut (longer than max_message_bytes).
  void CountTooLong(std::string_view message, const SourcePosition& position);
  // End of input: flushes buffered events and the sinks.
  void Finish();

  const PipelineStats& stats() const { return stats_; }
  Stream stream() const { return stream_; }

  // EventHandler
  void OnEvent(const Event& event) override;
  void OnError(ParseError reason, std::string_view message, const SourcePosition& position) override;

 private:
  Stream stream_;
  std::unique_ptr<StreamParser> parser_;
  std::vector<std::unique_ptr<Detector>> detectors_;
  std::vector<AlertSink*> sinks_;
  FILE* events_out_;
  std::string line_;
  std::vector<Alert> alerts_;
  PipelineStats stats_;
};

// Builds the detectors enabled in `config` (one set per pipeline/worker).
std::vector<std::unique_ptr<Detector>> MakeDetectors(const Config& config);

}  // namespace loghunt
