// Fuzz target: the Windows event JSON parser (all shapes) and the concatenated
// object splitter. Each input is one message; the contract is "never crash,
// never read out of bounds, never hang", and every event's views must lie in
// the message or in memory the parser owns (ASan checks the reads below).
#include <cstdint>
#include <string_view>

#include "parsers/winevent/json_object_splitter.h"
#include "parsers/winevent/winevent_parser.h"

namespace {

class TouchingHandler : public loghunt::EventHandler {
 public:
  void OnEvent(const loghunt::Event& e) override {
    auto touch = [&](std::string_view v) {
      for (char c : v) sum_ += static_cast<unsigned char>(c);
    };
    touch(e.host);
    touch(e.program);
    touch(e.message);
    touch(e.process.executable);
    touch(e.process.command_line);
    touch(e.process.parent_executable);
    touch(e.process.user);
    touch(e.logon.user);
    for (const auto& f : e.extras) {
      touch(f.key);
      touch(f.value);
    }
  }
  void OnError(loghunt::ParseError, std::string_view, const loghunt::SourcePosition&) override {}
  size_t sum_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static loghunt::ParserOptions options;
  static loghunt::WineventParser parser(options);
  std::string_view input(reinterpret_cast<const char*>(data), size);
  TouchingHandler handler;
  parser.Parse(input, {"fuzz", 0, 0}, handler);
  // The splitter feeds evtx_dump files object by object to the same parser.
  loghunt::JsonSplitResult split = loghunt::SplitJsonObjects(input);
  for (std::string_view object : split.objects) parser.Parse(object, {"fuzz", 0, 1}, handler);
  return 0;
}
