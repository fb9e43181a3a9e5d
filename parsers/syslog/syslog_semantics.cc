#include "parsers/syslog/syslog_semantics.h"

#include "core/text.h"

namespace loghunt {
namespace {

// Finds "key=" in a sudo "k=v ; k=v" list and returns the value up to " ; ".
std::string_view SudoField(std::string_view msg, std::string_view key) {
  size_t pos = 0;
  while ((pos = msg.find(key, pos)) != std::string_view::npos) {
    if (pos == 0 || msg[pos - 1] == ' ') {
      std::string_view rest = msg.substr(pos + key.size());
      size_t end = rest.find(" ; ");
      return rest.substr(0, end);
    }
    pos += key.size();
  }
  return {};
}

void ApplySudo(Event* e) {
  // "alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls -l"
  std::string_view msg = e->message;
  std::string_view command = SudoField(msg, "COMMAND=");
  if (command.empty()) return;
  size_t colon = msg.find(" : ");
  if (colon == std::string_view::npos) return;
  e->kind = EventKind::kUserCommand;
  e->process.user = Trim(msg.substr(0, colon));
  e->process.command_line = command;
  e->process.cwd = SudoField(msg, "PWD=");
  std::string_view target = SudoField(msg, "USER=");
  if (!target.empty()) e->extras.push_back({"sudo.target_user", target});
  std::string_view tty = SudoField(msg, "TTY=");
  if (!tty.empty()) e->extras.push_back({"process.tty", tty});
}

}  // namespace

void ApplySyslogSemantics(Event* e) {
  if (e->program == "sudo") ApplySudo(e);
}

}  // namespace loghunt
