#include "daemon/pipeline.h"

#include "core/serialize.h"
#include "detectors/builtin/risky_command.h"

namespace loghunt {

uint64_t PipelineStats::errors() const {
  uint64_t n = 0;
  for (uint64_t e : errors_by_reason) n += e;
  return n;
}

std::string PipelineStats::Summary() const {
  std::string s = "messages=" + std::to_string(messages) + " events=" + std::to_string(events) +
                  " alerts=" + std::to_string(alerts) + " errors=" + std::to_string(errors());
  if (errors() > 0) {
    s += " (";
    bool first = true;
    for (int i = 0; i < kParseErrorCount; ++i) {
      if (errors_by_reason[static_cast<size_t>(i)] == 0) continue;
      if (!first) s += ' ';
      first = false;
      s += std::string(ParseErrorName(static_cast<ParseError>(i))) + "=" +
           std::to_string(errors_by_reason[static_cast<size_t>(i)]);
    }
    s += ")";
  }
  if (sink_errors > 0) s += " sink_errors=" + std::to_string(sink_errors);
  return s;
}

std::vector<std::unique_ptr<Detector>> MakeDetectors(const Config& config) {
  std::vector<std::unique_ptr<Detector>> detectors;
  if (config.risky_command_enabled) detectors.push_back(std::make_unique<RiskyCommandDetector>());
  return detectors;
}

Pipeline::Pipeline(const Config& config, Stream stream, std::vector<AlertSink*> sinks,
                   FILE* events_out)
    : stream_(stream),
      parser_(MakeParser(stream, config.parser)),
      sinks_(std::move(sinks)),
      events_out_(events_out) {
  if (events_out_ == nullptr) detectors_ = MakeDetectors(config);
}

void Pipeline::Process(std::string_view message, const SourcePosition& position) {
  ++stats_.messages;
  stats_.bytes += message.size();
  parser_->Parse(message, position, *this);
}

void Pipeline::CountTooLong(std::string_view message, const SourcePosition& position) {
  ++stats_.messages;
  stats_.bytes += message.size();
  OnError(ParseError::kTooLong, message, position);
}

void Pipeline::Finish() {
  parser_->Flush(*this);
  for (AlertSink* sink : sinks_) {
    if (!sink->Flush()) ++stats_.sink_errors;
  }
  if (events_out_ != nullptr) std::fflush(events_out_);
}

void Pipeline::OnEvent(const Event& event) {
  ++stats_.events;
  ++stats_.events_by_kind[static_cast<size_t>(event.kind)];
  if (events_out_ != nullptr) {
    line_.clear();
    AppendEventJson(event, &line_);
    line_.push_back('\n');
    std::fwrite(line_.data(), 1, line_.size(), events_out_);
    return;
  }
  alerts_.clear();
  for (auto& detector : detectors_) detector->Inspect(event, alerts_);
  for (const Alert& alert : alerts_) {
    ++stats_.alerts;
    for (AlertSink* sink : sinks_) {
      if (!sink->Write(alert)) ++stats_.sink_errors;
    }
  }
}

void Pipeline::OnError(ParseError reason, std::string_view, const SourcePosition&) {
  ++stats_.errors_by_reason[static_cast<size_t>(reason)];
}

}  // namespace loghunt
