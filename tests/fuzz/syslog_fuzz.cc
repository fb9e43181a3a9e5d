// Fuzz target: the syslog frame parser and message semantics. Each input is
// one message; the contract is "never crash, never read out of bounds".
#include <cstdint>
#include <string_view>

#include "parsers/syslog/syslog_parser.h"

namespace {

class NullHandler : public loghunt::EventHandler {
 public:
  void OnEvent(const loghunt::Event& e) override { sink_ += e.message.size() + e.host.size(); }
  void OnError(loghunt::ParseError, std::string_view, const loghunt::SourcePosition&) override {}
  size_t sink_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static loghunt::ParserOptions options{.default_year = 2024};
  static loghunt::SyslogParser parser(options);
  NullHandler handler;
  parser.Parse(std::string_view(reinterpret_cast<const char*>(data), size), {"fuzz", 0, 0}, handler);
  return 0;
}
