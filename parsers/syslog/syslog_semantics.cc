#include "parsers/syslog/syslog_semantics.h"

#include <algorithm>

#include "core/text.h"

namespace loghunt {
namespace {

using sv = std::string_view;
constexpr size_t npos = sv::npos;

bool Eat(sv* s, sv prefix) {
  if (s->substr(0, prefix.size()) != prefix) return false;
  s->remove_prefix(prefix.size());
  return true;
}

bool EatSuffix(sv* s, sv suffix) {
  if (s->size() < suffix.size() || s->substr(s->size() - suffix.size()) != suffix) return false;
  s->remove_suffix(suffix.size());
  return true;
}

// Takes the text up to the next space and the space itself.
sv Word(sv* s) {
  size_t sp = s->find(' ');
  sv w = s->substr(0, sp);
  s->remove_prefix(sp == npos ? s->size() : sp + 1);
  return w;
}

void AddExtra(Event* e, sv key, sv value) {
  if (value.empty()) return;
  for (const auto& f : e->extras) {
    if (f.key == key) return;  // keys stay unique per event
  }
  e->extras.push_back({key, value});
}

void SetAction(Event* e, sv action) { AddExtra(e, "event.action", action); }

int32_t ParsePort(sv s) {
  auto v = ParseInt(s);
  return v && *v >= 0 && *v <= 65535 ? static_cast<int32_t>(*v) : -1;
}

// A remote peer: an address goes to source.ip (network and logon), a name to
// source.domain.
void SetPeer(Event* e, sv host, sv port = {}) {
  if (host.empty()) return;
  if (LooksLikeIpAddress(host)) {
    e->network.source_ip = host;
    if (e->kind == EventKind::kLogon || e->kind == EventKind::kLogoff) e->logon.source_ip = host;
  } else {
    AddExtra(e, "source.domain", host);
  }
  if (!port.empty()) e->network.source_port = ParsePort(port);
}

void SetLogon(Event* e, LogonResult result, sv user, sv method) {
  e->kind = EventKind::kLogon;
  e->logon.result = result;
  e->logon.user = user;
  e->logon.method = method;
}

// "IP port P[ rest]" -> ip, port; returns the rest.
sv TakeAddrPort(sv s, sv* ip, sv* port) {
  *ip = Word(&s);
  if (Eat(&s, "port ")) *port = Word(&s);
  return s;
}

// --- PAM ---------------------------------------------------------------------

// "logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4  user=root"
void ApplyPamKeyValues(Event* e, sv kv) {
  sv user, ruser, rhost;
  while (!kv.empty()) {
    sv tok = Word(&kv);
    size_t eq = tok.find('=');
    if (eq == npos) continue;
    sv key = tok.substr(0, eq), value = tok.substr(eq + 1);
    if (key == "user") {
      user = value;
    } else if (key == "ruser") {
      ruser = value;
    } else if (key == "rhost") {
      rhost = value;
    } else if (key == "tty") {
      AddExtra(e, "process.tty", value);
    }
  }
  e->logon.user = !user.empty() ? user : ruser;
  if (!ruser.empty() && ruser != e->logon.user) AddExtra(e, "source.user.name", ruser);
  SetPeer(e, rhost);
}

// "U[(uid=N)]" -> U
sv UserBeforeParen(sv s) { return s.substr(0, s.find('(')); }

// The message of a PAM module, after "pam_x(service:type): " or from a
// "service(pam_x)" tag.
void ApplyPamMessage(Event* e, sv m) {
  if (Eat(&m, "authentication failure; ")) {
    SetLogon(e, LogonResult::kFailure, {}, "password");
    SetAction(e, "authentication_failure");
    ApplyPamKeyValues(e, m);
  } else if (Eat(&m, "session opened for user ")) {
    // "U by L(uid=N)", "U(uid=0) by L(uid=1000)", "U by (uid=0)"
    size_t by = m.find(" by ");
    SetLogon(e, LogonResult::kSuccess, UserBeforeParen(m.substr(0, by)), "session");
    SetAction(e, "session_opened");
    if (by != npos) AddExtra(e, "pam.by_user", UserBeforeParen(m.substr(by + 4)));
  } else if (Eat(&m, "session closed for user ")) {
    e->kind = EventKind::kLogoff;
    e->logon.user = UserBeforeParen(Word(&m));
    e->logon.method = "session";
    SetAction(e, "session_closed");
  } else if (Eat(&m, "password changed for ")) {
    e->kind = EventKind::kAccountChange;
    AddExtra(e, "user.target.name", Word(&m));
    SetAction(e, "password_changed");
  } else if (Eat(&m, "check pass; user unknown")) {
    SetAction(e, "user_unknown");
  } else if (Eat(&m, "auth could not identify password for [")) {
    SetLogon(e, LogonResult::kFailure, m.substr(0, m.find(']')), "password");
    SetAction(e, "authentication_failure");
  }
}

// "pam_unix(sshd:session): rest" -> module, service, rest. False otherwise.
bool SplitPamPrefix(sv m, sv* module, sv* service, sv* rest) {
  if (m.substr(0, 4) != "pam_") return false;
  size_t open = m.find('(');
  size_t close = m.find("): ");
  if (open == npos || close == npos || close < open || open > 32) return false;
  *module = m.substr(0, open);
  sv inner = m.substr(open + 1, close - open - 1);
  *service = inner.substr(0, inner.find(':'));
  *rest = m.substr(close + 3);
  return true;
}

bool ApplyPamPrefixed(Event* e, sv m) {
  sv module, service, rest;
  if (!SplitPamPrefix(m, &module, &service, &rest)) return false;
  AddExtra(e, "pam.module", module);
  AddExtra(e, "pam.service", service);
  ApplyPamMessage(e, rest);
  return true;
}

// --- sshd ----------------------------------------------------------------------

// "[invalid user ]U from IP port P..." (the user may contain spaces: split on
// the last " from ").
void ApplySshdUserFrom(Event* e, sv s) {
  size_t from = s.rfind(" from ");
  if (from == npos) return;
  sv user = s.substr(0, from);
  if (Eat(&user, "invalid user ")) AddExtra(e, "sshd.invalid_user", "true");
  e->logon.user = user;
  sv ip, port;
  TakeAddrPort(s.substr(from + 6), &ip, &port);
  SetPeer(e, ip, port);
}

void ApplySshd(Event* e, sv m);

// "message repeated N times: [ inner]"
bool ApplyRepeated(Event* e, sv m) {
  if (!Eat(&m, "message repeated ")) return false;
  sv count = Word(&m);
  if (!Eat(&m, "times: [ ")) return false;
  EatSuffix(&m, "]");
  AddExtra(e, "event.count", count);
  ApplySshd(e, m);
  return true;
}

void ApplySshd(Event* e, sv m) {
  if (m.empty()) return;
  bool preauth = EatSuffix(&m, " [preauth]");
  sv s = m;
  if (Eat(&s, "Accepted ")) {
    SetLogon(e, LogonResult::kSuccess, {}, Word(&s));
    if (!Eat(&s, "for ")) return;
    ApplySshdUserFrom(e, s);
    SetAction(e, "logged_in");
  } else if (Eat(&s, "Failed ")) {
    SetLogon(e, LogonResult::kFailure, {}, Word(&s));
    if (!Eat(&s, "for ")) return;
    ApplySshdUserFrom(e, s);
    SetAction(e, "authentication_failure");
  } else if (Eat(&s, "Invalid user ")) {
    SetLogon(e, LogonResult::kFailure, {}, {});
    AddExtra(e, "sshd.invalid_user", "true");
    ApplySshdUserFrom(e, s);
    SetAction(e, "invalid_user");
  } else if (Eat(&s, "error: maximum authentication attempts exceeded for ")) {
    SetLogon(e, LogonResult::kFailure, {}, {});
    ApplySshdUserFrom(e, s);
    SetAction(e, "max_auth_attempts");
  } else if (Eat(&s, "Disconnecting: Too many authentication failures")) {
    SetLogon(e, LogonResult::kFailure, {}, {});
    if (Eat(&s, " for ")) e->logon.user = s;
    SetAction(e, "max_auth_attempts");
  } else if (Eat(&s, "Disconnecting authenticating user ") ||
             Eat(&s, "Disconnecting invalid user ")) {
    // "U IP port P: Too many authentication failures"
    size_t colon = s.find(": ");
    sv head = s.substr(0, colon);
    size_t port = head.rfind(" port ");
    size_t ip = head.rfind(' ', port == npos ? npos : port - 1);
    if (port == npos || ip == npos) return;
    SetLogon(e, LogonResult::kFailure, head.substr(0, ip), {});
    SetPeer(e, head.substr(ip + 1, port - ip - 1), head.substr(port + 6));
    SetAction(e, colon != npos && s.substr(colon + 2).starts_with("Too many") ? "max_auth_attempts"
                                                                              : "disconnected");
  } else if (Eat(&s, "Received disconnect from ") || Eat(&s, "error: Received disconnect from ")) {
    // With "error: ", a client that gave up (JSch's "Auth fail" in brute
    // force): the peer matters as much.
    // "IP port P:11: msg" or "IP: 11: msg"
    size_t colon = s.find(':');
    sv addr = s.substr(0, colon);
    // An IPv6 address contains colons: take the text up to ": " instead.
    if (addr.find(' ') == npos && s.find(": ") != npos && s.find(": ") > colon) {
      addr = s.substr(0, s.find(": "));
    }
    sv ip, port;
    TakeAddrPort(addr, &ip, &port);
    e->kind = EventKind::kNetwork;
    SetPeer(e, ip, port);
    SetAction(e, "disconnect_received");
  } else if (Eat(&s, "Disconnected from ")) {
    // "[invalid user |authenticating user |user ]U IP port P" or "IP port P"
    bool user_known = false;
    sv user;
    if (Eat(&s, "invalid user ") || Eat(&s, "authenticating user ")) {
      user_known = true;
    } else if (Eat(&s, "user ")) {
      user_known = true;
      if (!preauth) e->kind = EventKind::kLogoff;
    }
    size_t port = s.rfind(" port ");
    sv head = s.substr(0, port);
    if (user_known) {
      size_t sp = head.rfind(' ');
      if (sp == npos) return;
      user = head.substr(0, sp);
      head = head.substr(sp + 1);
    }
    if (e->kind != EventKind::kLogoff) e->kind = EventKind::kNetwork;
    e->logon.user = user;
    SetPeer(e, head, port == npos ? sv() : s.substr(port + 6));
    SetAction(e, "disconnected");
  } else if (Eat(&s, "Connection closed by ") || Eat(&s, "Connection reset by ")) {
    sv user;
    if (Eat(&s, "invalid user ") || Eat(&s, "authenticating user ")) {
      size_t port = s.rfind(" port ");
      sv head = s.substr(0, port);
      size_t sp = head.rfind(' ');
      if (sp != npos) {
        user = head.substr(0, sp);
        s = s.substr(sp + 1);
      }
    }
    e->kind = EventKind::kNetwork;
    e->logon.user = user;
    sv ip, port;
    TakeAddrPort(s, &ip, &port);
    SetPeer(e, ip, port);
    SetAction(e, "connection_closed");
  } else if (Eat(&s, "Connection from ")) {
    sv ip, port, dip, dport;
    s = TakeAddrPort(s, &ip, &port);
    e->kind = EventKind::kNetwork;
    SetPeer(e, ip, port);
    if (Eat(&s, "on ")) {
      TakeAddrPort(s, &dip, &dport);
      e->network.destination_ip = dip;
      e->network.destination_port = ParsePort(dport);
    }
    SetAction(e, "connection");
  } else if (Eat(&s, "Did not receive identification string from ")) {
    sv ip, port;
    TakeAddrPort(s, &ip, &port);
    e->kind = EventKind::kNetwork;
    SetPeer(e, ip, port);
    SetAction(e, "no_identification");
  } else if (Eat(&s, "reverse mapping checking getaddrinfo for ")) {
    size_t open = s.find(" [");
    size_t close = s.find(']');
    if (open == npos || close == npos || close < open) return;
    e->kind = EventKind::kNetwork;
    SetPeer(e, s.substr(open + 2, close - open - 2));
    AddExtra(e, "source.domain", s.substr(0, open));
    SetAction(e, "reverse_mapping_failed");
  } else if (Eat(&s, "PAM ")) {
    // "N more authentication failure(s); logname= ... rhost=IP [user=U]"
    sv count = Word(&s);
    if (!Eat(&s, "more authentication failure")) return;
    size_t semi = s.find("; ");
    if (semi == npos) return;
    SetLogon(e, LogonResult::kFailure, {}, "password");
    AddExtra(e, "event.count", count);
    ApplyPamKeyValues(e, s.substr(semi + 2));
    SetAction(e, "authentication_failure");
  } else if (Eat(&s, "input_userauth_request: invalid user ")) {
    e->logon.user = s;
    AddExtra(e, "sshd.invalid_user", "true");
    SetAction(e, "invalid_user_request");
  } else if (ApplyRepeated(e, m)) {
  } else {
    ApplyPamPrefixed(e, m);
  }
}

// --- sudo / su / login -----------------------------------------------------------

// Finds "key=" at a field start of a sudo "k=v ; k=v" list; the value runs to
// " ; " (COMMAND, the last field, to the end).
sv SudoField(sv msg, sv key) {
  size_t pos = 0;
  while ((pos = msg.find(key, pos)) != npos) {
    if (pos == 0 || msg[pos - 1] == ' ') {
      sv rest = msg.substr(pos + key.size());
      if (key == "COMMAND=") return rest;
      // Azure's Syslog table replaces " ; " by three spaces.
      return rest.substr(0, std::min(rest.find(" ; "), rest.find("   ")));
    }
    pos += key.size();
  }
  return {};
}

void ApplySudo(Event* e, sv m) {
  // "alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls -l"
  // "alice : 3 incorrect password attempts ; TTY=... ; COMMAND=..."
  size_t colon = m.find(" : ");
  if (colon == npos) {
    ApplyPamPrefixed(e, m);
    return;
  }
  sv fields = m.substr(colon + 3);
  sv command = SudoField(fields, "COMMAND=");
  if (command.empty() && SudoField(fields, "TTY=").empty()) return;
  e->kind = EventKind::kUserCommand;
  e->process.user = Trim(m.substr(0, colon));
  e->process.command_line = command;
  e->process.cwd = SudoField(fields, "PWD=");
  AddExtra(e, "user.effective.name", SudoField(fields, "USER="));
  AddExtra(e, "process.tty", SudoField(fields, "TTY="));
  if (!fields.starts_with("TTY=") && !fields.starts_with("PWD=")) {
    AddExtra(e, "sudo.reason", fields.substr(0, std::min(fields.find(" ; "), fields.find("   "))));
    AddExtra(e, "event.outcome", "failure");
    SetAction(e, "sudo_refused");
  } else {
    SetAction(e, "sudo_command");
    // sudo logs the command's resolved path first: the image Sigma's Image
    // names (a refused command ran no image).
    e->process.executable = command.substr(0, command.find(' '));
  }
}

void SetSu(Event* e, LogonResult result, sv target, sv by, sv tty) {
  SetLogon(e, result, target, "su");
  e->process.user = by;
  AddExtra(e, "user.effective.name", target);
  AddExtra(e, "process.tty", tty);
  SetAction(e, result == LogonResult::kSuccess ? "su" : "su_failed");
}

void ApplySu(Event* e, sv m) {
  sv s = m;
  if (Eat(&s, "'su ")) {
    // "'su root' failed for lonvick on /dev/pts/8"
    size_t q = s.find("' ");
    if (q == npos) return;
    sv target = s.substr(0, q);
    s.remove_prefix(q + 2);
    bool failed = Eat(&s, "failed for ");
    if (!failed && !Eat(&s, "succeeded for ")) return;
    size_t on = s.find(" on ");
    SetSu(e, failed ? LogonResult::kFailure : LogonResult::kSuccess, target, s.substr(0, on),
          on == npos ? sv() : s.substr(on + 4));
  } else if (Eat(&s, "(to ") || Eat(&s, "FAILED SU (to ")) {
    // "(to root) alice on pts/0", "FAILED SU (to root) alice on pts/0"
    bool failed = m.starts_with("FAILED");
    size_t close = s.find(") ");
    if (close == npos) return;
    sv target = s.substr(0, close);
    s.remove_prefix(close + 2);
    size_t on = s.find(" on ");
    SetSu(e, failed ? LogonResult::kFailure : LogonResult::kSuccess, target, s.substr(0, on),
          on == npos ? sv() : s.substr(on + 4));
  } else if (Eat(&s, "Successful su for ") || Eat(&s, "FAILED su for ")) {
    bool failed = m.starts_with("FAILED");
    size_t by = s.find(" by ");
    if (by == npos) return;
    SetSu(e, failed ? LogonResult::kFailure : LogonResult::kSuccess, s.substr(0, by),
          s.substr(by + 4), {});
  } else {
    ApplyPamPrefixed(e, m);
  }
}

void ApplyLogin(Event* e, sv m) {
  sv s = m;
  if (Eat(&s, "ROOT LOGIN ON ")) {
    // "ROOT LOGIN ON tty2[ FROM host]"
    SetLogon(e, LogonResult::kSuccess, "root", "interactive");
    AddExtra(e, "process.tty", Word(&s));
    if (Eat(&s, "FROM ")) SetPeer(e, Word(&s));
    SetAction(e, "logged_in");
  } else if (Eat(&s, "LOGIN ON ")) {
    // "LOGIN ON tty1 BY alice[ FROM host]"
    sv tty = Word(&s);
    if (!Eat(&s, "BY ")) return;
    SetLogon(e, LogonResult::kSuccess, Word(&s), "interactive");
    AddExtra(e, "process.tty", tty);
    if (Eat(&s, "FROM ")) SetPeer(e, Word(&s));
    SetAction(e, "logged_in");
  } else if (Eat(&s, "FAILED LOGIN ")) {
    // "FAILED LOGIN 1 FROM host FOR user, Authentication failure"
    size_t for_pos = s.find(" FOR ");
    size_t from = s.find("FROM ");
    if (for_pos == npos) return;
    sv user = s.substr(for_pos + 5);
    user = user.substr(0, user.find(','));
    SetLogon(e, LogonResult::kFailure, user, "interactive");
    if (from != npos && from < for_pos) SetPeer(e, s.substr(from + 5, for_pos - from - 5));
    SetAction(e, "authentication_failure");
  } else {
    ApplyPamPrefixed(e, m);
  }
}

// --- account management --------------------------------------------------------

// The first "'x'" quoted name in `s`.
sv FirstQuoted(sv s, sv* after = nullptr) {
  size_t a = s.find('\'');
  if (a == npos) return {};
  size_t b = s.find('\'', a + 1);
  if (b == npos) return {};
  if (after) *after = s.substr(b + 1);
  return s.substr(a + 1, b - a - 1);
}

// "name=bob, UID=1001, ..." -> "bob"
sv NameField(sv s) {
  size_t p = s.find("name=");
  if (p == npos) return {};
  sv v = s.substr(p + 5);
  return v.substr(0, v.find_first_of(", "));
}

void ApplyAccountTool(Event* e, sv program, sv m) {
  if (ApplyPamPrefixed(e, m)) return;
  sv s = m;
  sv action;
  sv user, group;
  if (Eat(&s, "new user: ")) {
    action = "user_created";
    user = NameField(s);
  } else if (Eat(&s, "new group: ") || Eat(&s, "group added to ")) {
    action = "group_created";
    group = NameField(s);
  } else if (Eat(&s, "new account added - ") || Eat(&s, "account added - ")) {
    action = "user_created";
    user = NameField(s);
  } else if (Eat(&s, "delete user ")) {
    action = "user_deleted";
    user = FirstQuoted(s);
  } else if (Eat(&s, "removed group ") || Eat(&s, "group deleted") ||
             Eat(&s, "removed shadow group ")) {
    action = "group_deleted";
    group = FirstQuoted(s);
    if (group.empty()) group = NameField(s);
  } else if (Eat(&s, "add ")) {
    // "add 'bob' to group 'sudo'", "add 'bob' to shadow group 'sudo'"
    sv rest;
    user = FirstQuoted(s, &rest);
    group = FirstQuoted(rest);
    action = "user_added_to_group";
  } else if (Eat(&s, "delete ")) {
    sv rest;
    user = FirstQuoted(s, &rest);
    group = FirstQuoted(rest);
    action = "user_removed_from_group";
  } else if (Eat(&s, "change user ")) {
    // "change user 'bob' password", "change user name 'a' to 'b'", "... shell ..."
    if (Eat(&s, "name ")) {
      user = FirstQuoted(s);
      action = "user_renamed";
    } else {
      sv rest;
      user = FirstQuoted(s, &rest);
      action = rest.starts_with(" password") ? sv("password_changed") : sv("user_modified");
    }
  } else if (Eat(&s, "lock user ") || Eat(&s, "unlock user ")) {
    user = FirstQuoted(s);
    action = m.starts_with("lock") ? "user_locked" : "user_unlocked";
  } else if (Eat(&s, "password for ")) {
    // passwd: "password for 'bob' changed by 'root'"
    user = FirstQuoted(m);
    action = "password_changed";
  } else if (Eat(&s, "group '") || Eat(&s, "change group ")) {
    group = FirstQuoted(m);
    action = "group_modified";
  } else if (Eat(&s, "changed password expiry for ")) {
    user = Word(&s);
    action = "password_expiry_changed";
  } else if (Eat(&s, "failed adding user ") || Eat(&s, "failed ")) {
    user = FirstQuoted(s);
    action = "account_change_failed";
    AddExtra(e, "event.outcome", "failure");
  } else {
    return;
  }
  e->kind = EventKind::kAccountChange;
  AddExtra(e, "user.target.name", user);
  AddExtra(e, "group.name", group);
  SetAction(e, action);
  (void)program;
}

// --- cron -----------------------------------------------------------------------

void ApplyCron(Event* e, sv m) {
  // "(root) CMD (run-parts /etc/cron.hourly)"
  sv s = m;
  if (Eat(&s, "(")) {
    size_t close = s.find(") ");
    if (close == npos) return;
    sv user = s.substr(0, close);
    s.remove_prefix(close + 2);
    if (!Eat(&s, "CMD (")) return;
    EatSuffix(&s, ")");
    e->kind = EventKind::kProcessStart;
    e->process.user = user;
    e->process.command_line = s;
    SetAction(e, "cron_command");
    return;
  }
  ApplyPamPrefixed(e, m);
}

sv BaseName(sv program) {
  size_t slash = program.rfind('/');
  return slash == npos ? program : program.substr(slash + 1);
}

}  // namespace

bool LooksLikeIpAddress(sv s) {
  if (s.empty() || s.size() > 45) return false;
  bool has_colon = false;
  int dots = 0;
  for (char c : s) {
    if (c == ':') {
      has_colon = true;
    } else if (c == '.') {
      ++dots;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  if (has_colon) return true;
  if (dots != 3) return false;
  for (char c : s) {
    if (c != '.' && (c < '0' || c > '9')) return false;
  }
  return true;
}

void ApplySyslogSemantics(Event* e) {
  sv program = BaseName(e->program);
  sv m = e->message;
  // "sshd(pam_unix)": an old PAM tag, service(module).
  size_t paren = program.find('(');
  if (paren != npos && program.back() == ')') {
    sv service = program.substr(0, paren);
    AddExtra(e, "pam.module", program.substr(paren + 1, program.size() - paren - 2));
    AddExtra(e, "pam.service", service);
    e->program = service;
    if (service == "su") {
      ApplySu(e, m);
      if (e->kind == EventKind::kOther) ApplyPamMessage(e, m);
    } else {
      ApplyPamMessage(e, m);
    }
    return;
  }
  if (program.empty()) return;
  switch (program[0]) {
    case 's':
      if (program == "sshd" || program == "sshd-session") return ApplySshd(e, m);
      if (program == "sudo") return ApplySudo(e, m);
      if (program == "su") return ApplySu(e, m);
      break;
    case 'u':
      if (program == "useradd" || program == "usermod" || program == "userdel") {
        return ApplyAccountTool(e, program, m);
      }
      break;
    case 'g':
      if (program == "groupadd" || program == "groupmod" || program == "groupdel" ||
          program == "gpasswd") {
        return ApplyAccountTool(e, program, m);
      }
      break;
    case 'p':
      if (program == "passwd") return ApplyAccountTool(e, program, m);
      break;
    case 'c':
      if (program == "chpasswd" || program == "chage") return ApplyAccountTool(e, program, m);
      if (program == "cron" || program == "crond") return ApplyCron(e, m);
      break;
    case 'C':
      if (program == "CRON" || program == "CROND") return ApplyCron(e, m);
      break;
    case 'l':
      if (program == "login") return ApplyLogin(e, m);
      break;
    case '-':
      if (program.starts_with("-- ")) return ApplyLogin(e, m);
      break;
    default:
      break;
  }
  if (m.starts_with("pam_")) ApplyPamPrefixed(e, m);
}

}  // namespace loghunt
