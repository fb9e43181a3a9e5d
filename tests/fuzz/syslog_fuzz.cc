// Fuzz target: the syslog frame parsers (RFC 5424, RFC 3164, JSON-wrapped),
// the message semantics and the logon-session tracker fed by them. Each input
// is one message; the contract is "never crash, never read out of bounds,
// never stall", and every message yields exactly one event or one error.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "detectors/context/logon_sessions.h"
#include "parsers/syslog/syslog_parser.h"

namespace {

class CheckingHandler : public loghunt::EventHandler {
 public:
  explicit CheckingHandler(loghunt::LogonSessionTracker* sessions) : sessions_(sessions) {}
  void OnEvent(const loghunt::Event& e) override {
    ++calls;
    // Touch every view so ASan sees any that points outside live memory.
    for (std::string_view v :
         {e.host, e.program, e.message.view(), e.process.user, e.process.command_line, e.logon.user,
          e.logon.source_ip, e.network.source_ip}) {
      for (char c : v) sink_ += static_cast<unsigned char>(c);
    }
    for (const auto& x : e.extras) sink_ += x.key.size() + x.value.size();
    sessions_->Observe(e);
    if (const auto* s = sessions_->SessionFor(e)) sink_ += s->user.size();
  }
  void OnError(loghunt::ParseError, std::string_view, const loghunt::SourcePosition&) override {
    ++calls;
  }
  int calls = 0;
  size_t sink_ = 0;

 private:
  loghunt::LogonSessionTracker* sessions_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static loghunt::ParserOptions options{.default_year = 2024};
  static loghunt::SyslogParser parser(options);
  static loghunt::LogonSessionTracker sessions(loghunt::LogonSessionOptions{.max_sessions = 256});
  CheckingHandler handler(&sessions);
  parser.Parse(std::string_view(reinterpret_cast<const char*>(data), size), {"fuzz", 0, 0},
               handler);
  if (handler.calls != 1) std::abort();  // one event or one error per message
  return 0;
}
