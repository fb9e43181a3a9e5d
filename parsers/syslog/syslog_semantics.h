// Meaning for the message of a syslog event, the way an analyst reads
// /var/log/auth.log: sshd logons and disconnects, PAM sessions and failures,
// sudo commands, su, account changes (useradd, usermod, groupadd, passwd,
// chpasswd, ...) and cron jobs.
//
// ApplySyslogSemantics reads event->program and event->message and sets
// event->kind plus the process / logon / network fields and a few extras:
//   event.action        what happened ("session_opened", "invalid_user", ...)
//   event.outcome       "failure" for refused sudo / account commands
//   event.count         "message repeated N times", "PAM N more failures"
//   source.domain       a remote host given by name instead of address
//   user.effective.name the account sudo / su switch to
//   user.target.name    the account an account change acts on
//   group.name          the group an account change acts on
//   process.tty, pam.module, pam.service, pam.by_user, sudo.reason
// The logon fields name the account being logged into (for su: the target;
// the invoking user is process.user). A message it does not recognise keeps
// kind kOther with program, pid and message untouched.
//
// Every view it writes points into event->message (or is a literal), so the
// event stays valid as long as the message. It allocates nothing beyond the
// growth of event->extras. Thread-safety: pure function of its input.
#pragma once

#include "core/event.h"

namespace loghunt {

void ApplySyslogSemantics(Event* event);

// True when `text` looks like an IPv4 or IPv6 address (not a host name).
bool LooksLikeIpAddress(std::string_view text);

}  // namespace loghunt
