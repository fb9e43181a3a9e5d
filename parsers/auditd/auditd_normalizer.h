// AuditdNormalizer: the records of one audit event -> one normalized Event.
//
// Kinds: EXECVE -> process_start (pid, ppid, exe, full command line from every
// argument, cwd); connect/bind with a SOCKADDR -> network; USER_LOGIN,
// USER_AUTH, USER_START, CRED_ACQ, CRED_REFR -> logon; USER_END, USER_LOGOUT,
// CRED_DISP -> logoff; USER_CMD -> user_command; ADD_USER, USER_CHAUTHTOK, ...
// -> account_change; anything else -> other, with every field of every record
// kept as an extra named auditd.<type>[.<n>].<field>.
// Hex-encoded values (EXECVE aN and aN[i] chunks, PROCTITLE, USER_CMD cmd,
// exe, cwd, acct, key, SOCKADDR saddr) are decoded; names from the enriched
// part (AUID="alice") are preferred over numeric ids. Extra keys are ECS-style
// and unique per event; docs/auditd.md lists them.
//
// The Event's views point into the records and into `arena`; they are valid
// until either changes. Thread-safety: none; one per parser.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/arena.h"
#include "core/event.h"
#include "parsers/auditd/auditd_assembler.h"
#include "parsers/auditd/auditd_record.h"

namespace loghunt {

class AuditdNormalizer {
 public:
  // Most extras an `other` event gets from its raw fields; more are dropped so
  // a record with thousands of fields costs bounded time.
  static constexpr size_t kMaxRawExtras = 256;

  // Fills `event` (after Clear()) from `in`, which holds at least one record.
  void Normalize(const AssembledAuditEvent& in, Arena& arena, Event* event);

 private:
  void AddRawExtras(const AuditRecordHeader& h, size_t occurrence, Arena& arena, Event* event);
  void JoinChunkedArgs(Arena& arena);

  // One aN[i] piece of a long argument (text: a view into its record).
  struct ArgChunk {
    uint64_t arg, part;
    std::string_view text;
    bool quoted;
  };

  std::vector<AuditRecordHeader> headers_;
  std::vector<std::pair<uint64_t, std::string_view>> args_;  // index, decoded text
  std::vector<ArgChunk> chunks_;                             // in arrival order
  std::string chunk_hex_;                                    // the pieces of one argument
  std::vector<std::pair<std::string_view, size_t>> type_counts_;
  std::vector<std::string_view> record_keys_;
  const AuditRecordHeader* syscall_record_ = nullptr;  // the SYSCALL record of this event
  std::vector<AuditField> syscall_fields_;             // its fields, tokenized once
};

}  // namespace loghunt
