// Fuzz target: the auditd parser end to end (header, JSON wrapper, libauparse
// assembly, normalization). Each input is split into lines, each line one
// message, then flushed; a small cap and timeout make forced completion
// common. Contract: never crash, never read out of bounds, never leak.
#include <cstdint>
#include <string_view>

#include "parsers/auditd/auditd_parser.h"

namespace {

class NullHandler : public loghunt::EventHandler {
 public:
  void OnEvent(const loghunt::Event& e) override {
    sink_ += e.process.command_line.size() + e.raw.size() + e.extras.size();
    for (const auto& f : e.extras) sink_ += f.key.size() + f.value.size();
  }
  void OnError(loghunt::ParseError, std::string_view m, const loghunt::SourcePosition&) override {
    sink_ += m.size();
  }
  size_t sink_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  loghunt::ParserOptions options;
  options.audit_event_timeout_ms = 1000;
  options.audit_max_open_events = 8;
  loghunt::AuditdParser parser(options);
  NullHandler handler;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  int64_t line = 0;
  while (!input.empty()) {
    size_t nl = input.find('\n');
    std::string_view message = input.substr(0, nl);
    input.remove_prefix(nl == std::string_view::npos ? input.size() : nl + 1);
    parser.Parse(message, {"fuzz", 0, ++line}, handler);
  }
  parser.Flush(handler);
  return 0;
}
