// RunAs: the daemon gives up root for an unprivileged user once what needs
// root is open (listener ports below 1024, stdin of the auditd plugin, sink
// files in root's directories). auditd starts its plugins as root, outside
// loghuntd.service's sandbox: without this the parsers, the decoders and
// every client ran as root on attacker-written records.
//
// Thread-safety: call before or while other threads run (glibc applies the
// change to every thread of the process).
#pragma once

#include <string>

namespace loghunt {

// Switches the process to `user` (its uid, primary group and supplementary
// groups) for good. True when done, or when the process already runs as
// `user`; false with *error when the user is unknown, the process is not
// root, or a step fails.
bool RunAs(const std::string& user, std::string* error);

// True when `user` names an account of this machine.
bool UserExists(const std::string& user);

}  // namespace loghunt
