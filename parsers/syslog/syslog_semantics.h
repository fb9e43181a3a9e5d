// Meaning for the message of a syslog event: sshd logons, sudo commands, ...
// Reads event->program and event->message; sets kind and the process / logon
// fields, as views into the message.
#pragma once

#include "core/event.h"

namespace loghunt {

void ApplySyslogSemantics(Event* event);

}  // namespace loghunt
