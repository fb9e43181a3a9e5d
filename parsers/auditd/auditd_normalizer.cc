#include "parsers/auditd/auditd_normalizer.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "core/text.h"

namespace loghunt {
namespace {

enum class UserRecordClass { kNone, kLogon, kLogoff, kCommand, kAccount, kOtherUser };

UserRecordClass ClassifyUserRecord(std::string_view type) {
  static constexpr std::string_view kLogon[] = {"USER_LOGIN", "USER_AUTH", "USER_START", "CRED_ACQ",
                                                "CRED_REFR"};
  static constexpr std::string_view kLogoff[] = {"USER_END", "USER_LOGOUT", "CRED_DISP"};
  static constexpr std::string_view kAccount[] = {
      "ADD_USER",      "DEL_USER",    "ADD_GROUP",   "DEL_GROUP",   "USER_CHAUTHTOK",
      "GRP_CHAUTHTOK", "CHUSER_ID",   "CHGRP_ID",    "USER_MGMT",   "GRP_MGMT",
      "ACCT_LOCK",     "ACCT_UNLOCK", "ROLE_ASSIGN", "ROLE_REMOVE", "USER_ROLE_CHANGE"};
  for (auto t : kLogon) {
    if (type == t) return UserRecordClass::kLogon;
  }
  for (auto t : kLogoff) {
    if (type == t) return UserRecordClass::kLogoff;
  }
  if (type == "USER_CMD") return UserRecordClass::kCommand;
  for (auto t : kAccount) {
    if (type == t) return UserRecordClass::kAccount;
  }
  if (type.starts_with("USER_") || type.starts_with("CRED_")) return UserRecordClass::kOtherUser;
  return UserRecordClass::kNone;
}

// Syscall names by number for the architectures audit logs commonly come from,
// for logs without the enriched SYSCALL= name.
std::string_view SyscallName(std::string_view arch, std::string_view number) {
  struct Entry {
    std::string_view arch;
    std::string_view number;
    std::string_view name;
  };
  static constexpr Entry kTable[] = {
      {"c000003e", "59", "execve"},
      {"c000003e", "322", "execveat"},
      {"c000003e", "42", "connect"},
      {"c000003e", "49", "bind"},
      {"c00000b7", "221", "execve"},
      {"c00000b7", "281", "execveat"},
      {"c00000b7", "203", "connect"},
      {"c00000b7", "200", "bind"},
      {"40000003", "11", "execve"},
      {"40000003", "362", "connect"},
      {"40000003", "361", "bind"},
      {"80000015", "11", "execve"},
      {"80000015", "328", "connect"},
      {"80000015", "327", "bind"},
      {"c0000015", "11", "execve"},
      {"c0000015", "328", "connect"},
      {"c0000015", "327", "bind"},
      // Process creation without exec (the process table learns forks).
      {"c000003e", "56", "clone"},
      {"c000003e", "57", "fork"},
      {"c000003e", "58", "vfork"},
      {"c000003e", "435", "clone3"},
      {"c00000b7", "220", "clone"},
      {"c00000b7", "435", "clone3"},
      {"40000003", "2", "fork"},
      {"40000003", "120", "clone"},
      {"40000003", "190", "vfork"},
      {"40000003", "435", "clone3"},
      {"80000015", "2", "fork"},
      {"80000015", "120", "clone"},
      {"80000015", "189", "vfork"},
      {"80000015", "435", "clone3"},
      {"c0000015", "2", "fork"},
      {"c0000015", "120", "clone"},
      {"c0000015", "189", "vfork"},
      {"c0000015", "435", "clone3"},
  };
  for (const Entry& e : kTable) {
    if (e.arch == arch && e.number == number) return e.name;
  }
  return {};
}

// Fields the kernel writes quoted or, when they contain special bytes, as hex.
bool IsEncodedField(std::string_view key) {
  return key == "proctitle" || key == "cmd" || key == "acct" || key == "exe" || key == "cwd" ||
         key == "name" || key == "comm" || key == "key";
}

bool IsUnsetId(std::string_view v) { return v == "4294967295" || v == "-1"; }

bool IsAbsent(std::string_view v) {
  return v.empty() || v == "?" || v == "(null)" || v == "(none)";
}

// An enriched name auditd could not resolve ("unknown(1002)", "unset") is no name.
std::string_view ResolvedName(std::string_view v) {
  return v.starts_with("unknown(") || v == "unset" ? std::string_view() : v;
}

// Value of an encoded field: quoted text as is, unquoted hex decoded.
std::string_view Decoded(const AuditField& f, Arena& arena) {
  if (f.quoted) return f.value;
  if (IsAbsent(f.value)) return {};
  if (auto decoded = DecodeHex(f.value, arena)) return *decoded;
  return f.value;
}

std::string_view ReplaceChar(std::string_view s, char from, char to, Arena& arena) {
  if (s.find(from) == std::string_view::npos) return s;
  char* out = arena.Allocate(s.size());
  for (size_t i = 0; i < s.size(); ++i) out[i] = s[i] == from ? to : s[i];
  return {out, s.size()};
}

// "alice" -> itself; "4294967295" style unset ids -> empty.
std::string_view Id(std::string_view v) { return IsUnsetId(v) ? std::string_view() : v; }

std::optional<int64_t> Int(std::string_view v) { return v.empty() ? std::nullopt : ParseInt(v); }

struct SockAddr {
  std::string_view family;  // "ipv4", "ipv6", "unix", "" when unknown
  std::string_view address;
  int32_t port = -1;
};

// Decodes a SOCKADDR saddr (hex of struct sockaddr). sa_family is in the
// producer's byte order: big-endian unless the audit arch has the LE bit.
SockAddr DecodeSockAddr(std::string_view hex, std::string_view arch, Arena& arena) {
  SockAddr out;
  if (hex.size() < 4) return out;
  auto decoded = DecodeHex(hex, arena);
  if (!decoded) return out;
  std::string_view raw = *decoded;
  auto byte = [&](size_t i) { return static_cast<unsigned char>(raw[i]); };
  bool big_endian = false;
  if (auto a = ParseHexInt(arch); a && (*a & 0x40000000u) == 0) big_endian = true;
  if (arch.empty()) big_endian = byte(0) == 0 && byte(1) != 0;
  unsigned family = big_endian ? (byte(0) << 8 | byte(1)) : (byte(1) << 8 | byte(0));
  char text[INET6_ADDRSTRLEN] = {};
  if (family == 2 && raw.size() >= 8) {
    out.family = "ipv4";
    out.port = static_cast<int32_t>(byte(2) << 8 | byte(3));
    if (inet_ntop(AF_INET, raw.data() + 4, text, sizeof text)) out.address = arena.Copy(text);
  } else if (family == 10 && raw.size() >= 24) {
    out.family = "ipv6";
    out.port = static_cast<int32_t>(byte(2) << 8 | byte(3));
    if (inet_ntop(AF_INET6, raw.data() + 8, text, sizeof text)) out.address = arena.Copy(text);
  } else if (family == 1) {
    out.family = "unix";
    std::string_view path = raw.substr(2);
    if (!path.empty() && path.front() == '\0') {  // abstract socket: shown as @name
      path = path.substr(1);
      path = path.substr(0, path.find('\0'));
      char* p = arena.Allocate(path.size() + 1);
      p[0] = '@';
      if (!path.empty()) std::memcpy(p + 1, path.data(), path.size());
      out.address = {p, path.size() + 1};
    } else {
      out.address = path.substr(0, path.find('\0'));
    }
  }
  return out;
}

// Everything the kinds need, gathered in one pass over the records.
struct Facts {
  // SYSCALL
  std::string_view arch, syscall, success, exit, pid, ppid, uid, auid, euid, ses, tty, comm, exe,
      key;
  std::string_view arch_name, syscall_name, uid_name, auid_name, euid_name;
  // EXECVE / CWD / PROCTITLE / SOCKADDR
  std::string_view argc, cwd, proctitle, saddr;
  // first userspace record
  std::string_view u_pid, u_uid, u_auid, u_ses, u_op, u_acct, u_id, u_exe, u_hostname, u_addr,
      u_terminal, u_res, u_cmd, u_cwd, u_uid_name, u_auid_name, u_id_name, u_message;
};

void AddExtra(Event* e, std::string_view key, std::string_view value) {
  if (!value.empty()) e->extras.push_back({key, value});
}

std::string_view UserMessage(std::string_view fields) {
  size_t open = fields.find("msg='");
  if (open == std::string_view::npos) return {};
  std::string_view m = fields.substr(open + 5);
  size_t close = m.rfind('\'');
  return close == std::string_view::npos ? m : m.substr(0, close);
}

}  // namespace

// The kernel splits a long argument into aN[0], aN[1], ... over several
// EXECVE records, which need not arrive in order (aN[i] before aN_len too):
// each argument is its pieces in the order of their [i].
void AuditdNormalizer::JoinChunkedArgs(Arena& arena) {
  std::stable_sort(chunks_.begin(), chunks_.end(), [](const ArgChunk& a, const ArgChunk& b) {
    return a.arg != b.arg ? a.arg < b.arg : a.part < b.part;
  });
  for (size_t i = 0; i < chunks_.size();) {
    const uint64_t arg = chunks_[i].arg;
    bool quoted = false;
    chunk_hex_.clear();
    for (size_t first = i; i < chunks_.size() && chunks_[i].arg == arg; ++i) {
      if (i > first && chunks_[i].part == chunks_[i - 1].part) continue;  // a repeat: the first
      chunk_hex_.append(chunks_[i].text);
      quoted = quoted || chunks_[i].quoted;
    }
    std::optional<std::string_view> decoded;
    if (!quoted) decoded = DecodeHex(chunk_hex_, arena);
    args_.emplace_back(arg, decoded ? *decoded : arena.Copy(chunk_hex_));
  }
}

void AuditdNormalizer::Normalize(const AssembledAuditEvent& in, Arena& arena, Event* event) {
  event->Clear();
  event->stream = Stream::kAuditd;
  event->kind = EventKind::kOther;
  event->position = in.position;
  event->raw = in.records[0];

  headers_.clear();
  syscall_record_ = nullptr;
  for (size_t i = 0; i < in.record_count; ++i) {
    AuditRecordHeader h;
    if (ParseAuditRecordHeader(in.records[i], &h) == ParseError::kNone) headers_.push_back(h);
  }
  if (headers_.empty()) return;
  const AuditRecordHeader& first = headers_.front();
  event->timestamp_ns = first.timestamp_ns();
  event->host = first.node;
  event->program = first.type;
  AddExtra(event, "auditd.id", first.id);

  Facts f;
  args_.clear();
  chunks_.clear();
  bool has_execve = false, has_syscall = false, has_user = false;
  UserRecordClass user_class = UserRecordClass::kNone;
  AuditField fld;
  for (const AuditRecordHeader& h : headers_) {
    if (h.type == "SYSCALL" && !has_syscall) {
      has_syscall = true;
      syscall_record_ = &h;
      syscall_fields_.clear();
      for (AuditFieldCursor c(h.fields); c.Next(&fld);) {
        syscall_fields_.push_back(fld);  // AddRawExtras reuses them for `other`
        std::string_view k = fld.key, v = fld.value;
        switch (k[0]) {  // keys are never empty
          case 'a':
            if (k == "arch")
              f.arch = v;
            else if (k == "auid")
              f.auid = v;
            break;
          case 's':
            if (k == "syscall")
              f.syscall = v;
            else if (k == "success")
              f.success = v;
            else if (k == "ses")
              f.ses = v;
            break;
          case 'e':
            if (k == "exit")
              f.exit = v;
            else if (k == "euid")
              f.euid = v;
            else if (k == "exe")
              f.exe = Decoded(fld, arena);
            break;
          case 'p':
            if (k == "pid")
              f.pid = v;
            else if (k == "ppid")
              f.ppid = v;
            break;
          case 'u':
            if (k == "uid") f.uid = v;
            break;
          case 't':
            if (k == "tty") f.tty = IsAbsent(v) ? std::string_view() : v;
            break;
          case 'c':
            if (k == "comm") f.comm = Decoded(fld, arena);
            break;
          case 'k':
            if (k == "key") f.key = ReplaceChar(Decoded(fld, arena), '\x01', ',', arena);
            break;
          default:
            break;
        }
      }
      for (AuditFieldCursor c(h.enriched); c.Next(&fld);) {
        if (fld.key == "ARCH")
          f.arch_name = fld.value;
        else if (fld.key == "SYSCALL")
          f.syscall_name = fld.value;
        else if (fld.key == "UID")
          f.uid_name = fld.value;
        else if (fld.key == "AUID")
          f.auid_name = fld.value;
        else if (fld.key == "EUID")
          f.euid_name = fld.value;
      }
    } else if (h.type == "EXECVE") {
      has_execve = true;
      for (AuditFieldCursor c(h.fields); c.Next(&fld);) {
        std::string_view k = fld.key;
        if (k == "argc") {
          f.argc = fld.value;
          continue;
        }
        if (k.size() < 2 || k[0] != 'a' || k[1] < '0' || k[1] > '9') continue;
        size_t digits = 1;
        while (digits < k.size() && k[digits] >= '0' && k[digits] <= '9') ++digits;
        uint64_t index = 0;
        if (std::from_chars(k.data() + 1, k.data() + digits, index).ec != std::errc()) continue;
        std::string_view suffix = k.substr(digits);
        if (suffix.empty()) {
          args_.emplace_back(index, fld.quoted ? fld.value : Decoded(fld, arena));
        } else if (suffix.size() > 2 && suffix.front() == '[' && suffix.back() == ']') {
          // aN[i]; aN_len is not needed: the pieces say how long they are.
          uint64_t part = 0;
          const char* end = suffix.data() + suffix.size() - 1;
          auto [ptr, ec] = std::from_chars(suffix.data() + 1, end, part);
          if (ec == std::errc() && ptr == end) {
            chunks_.push_back({index, part, fld.value, fld.quoted});
          }
        }
      }
    } else if (h.type == "CWD" && f.cwd.empty()) {
      for (AuditFieldCursor c(h.fields); c.Next(&fld);) {
        if (fld.key == "cwd") f.cwd = Decoded(fld, arena);
      }
    } else if (h.type == "PROCTITLE" && f.proctitle.empty()) {
      for (AuditFieldCursor c(h.fields); c.Next(&fld);) {
        if (fld.key == "proctitle")
          f.proctitle = ReplaceChar(Decoded(fld, arena), '\0', ' ', arena);
      }
    } else if (h.type == "SOCKADDR" && f.saddr.empty()) {
      for (AuditFieldCursor c(h.fields); c.Next(&fld);) {
        if (fld.key == "saddr") f.saddr = fld.value;
      }
    } else if (!has_user && ClassifyUserRecord(h.type) != UserRecordClass::kNone) {
      has_user = true;
      user_class = ClassifyUserRecord(h.type);
      f.u_message = UserMessage(h.fields);
      for (AuditFieldCursor c(h.fields); c.Next(&fld);) {
        std::string_view k = fld.key, v = fld.value;
        if (k == "pid")
          f.u_pid = v;
        else if (k == "uid")
          f.u_uid = v;
        else if (k == "auid")
          f.u_auid = v;
        else if (k == "ses")
          f.u_ses = v;
        else if (k == "op")
          f.u_op = v;
        else if (k == "acct")
          f.u_acct = Decoded(fld, arena);
        else if (k == "id")
          f.u_id = v;
        else if (k == "exe")
          f.u_exe = Decoded(fld, arena);
        else if (k == "hostname")
          f.u_hostname = IsAbsent(v) ? std::string_view() : v;
        else if (k == "addr")
          f.u_addr = IsAbsent(v) ? std::string_view() : v;
        else if (k == "terminal")
          f.u_terminal = IsAbsent(v) ? std::string_view() : v;
        else if (k == "res")
          f.u_res = v;
        else if (k == "cmd")
          f.u_cmd = Decoded(fld, arena);
        else if (k == "cwd")
          f.u_cwd = Decoded(fld, arena);
      }
      for (AuditFieldCursor c(h.enriched); c.Next(&fld);) {
        if (fld.key == "UID")
          f.u_uid_name = fld.value;
        else if (fld.key == "AUID")
          f.u_auid_name = fld.value;
        else if (fld.key == "ID")
          f.u_id_name = ResolvedName(fld.value);
      }
    }
  }
  JoinChunkedArgs(arena);

  std::string_view syscall_name =
      !f.syscall_name.empty() ? f.syscall_name : SyscallName(f.arch, f.syscall);

  // Subject: the SYSCALL record when there is one, else the userspace record.
  std::string_view pid = has_syscall ? f.pid : f.u_pid;
  std::string_view uid = has_syscall ? f.uid : f.u_uid;
  std::string_view uid_name = has_syscall ? f.uid_name : f.u_uid_name;
  std::string_view auid = Id(has_syscall ? f.auid : f.u_auid);
  std::string_view auid_name =
      auid.empty() ? std::string_view() : (has_syscall ? f.auid_name : f.u_auid_name);
  std::string_view ses = Id(has_syscall ? f.ses : f.u_ses);
  std::string_view exe = has_syscall ? f.exe : f.u_exe;
  if (auto v = Int(pid)) event->process.pid = *v;
  if (auto v = Int(f.ppid)) event->process.ppid = *v;
  event->process.executable = exe;
  // uid 0 is root on every Linux system: Sigma rules name it so (User: root).
  event->process.user = !uid_name.empty() ? uid_name : uid == "0" ? std::string_view("root") : uid;
  event->process.logon_id = ses;

  AddExtra(event, "user.id", uid);
  AddExtra(event, "user.name", uid_name);
  AddExtra(event, "user.audit.id", auid);
  AddExtra(event, "user.audit.name", auid_name);
  AddExtra(event, "user.effective.id", f.euid);
  AddExtra(event, "user.effective.name", f.euid_name);
  AddExtra(event, "auditd.session", ses);
  AddExtra(event, "process.tty", has_syscall ? f.tty : f.u_terminal);
  AddExtra(event, "process.name", f.comm);
  AddExtra(event, "auditd.key", f.key);
  AddExtra(event, "auditd.syscall", !syscall_name.empty() ? syscall_name : f.syscall);
  AddExtra(event, "host.architecture", !f.arch_name.empty() ? f.arch_name : f.arch);
  std::string_view outcome;
  if (has_syscall) {
    outcome = f.success == "yes" ? "success" : f.success == "no" ? "failure" : "";
    AddExtra(event, "auditd.exit", f.exit);
  } else if (has_user) {
    outcome = (f.u_res == "success" || f.u_res == "1")  ? "success"
              : (f.u_res == "failed" || f.u_res == "0") ? "failure"
                                                        : "";
  }
  AddExtra(event, "event.outcome", outcome);
  AddExtra(event, "event.action", has_user && !f.u_op.empty() ? f.u_op : syscall_name);

  if (has_execve) {
    event->kind = EventKind::kProcessStart;
    if (!std::is_sorted(args_.begin(), args_.end(),
                        [](const auto& a, const auto& b) { return a.first < b.first; })) {
      std::stable_sort(args_.begin(), args_.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
    }
    size_t total = 0;
    for (const auto& a : args_) total += a.second.size() + 1;
    if (total > 0) {
      char* out = arena.Allocate(total - 1);
      char* p = out;
      for (size_t i = 0; i < args_.size(); ++i) {
        if (i > 0) *p++ = ' ';
        if (!args_[i].second.empty())
          std::memcpy(p, args_[i].second.data(), args_[i].second.size());
        p += args_[i].second.size();
      }
      event->process.command_line = {out, total - 1};
    }
    event->process.cwd = f.cwd;
    AddExtra(event, "process.args_count", f.argc);
    AddExtra(event, "process.title", f.proctitle);
    return;
  }
  if (!f.saddr.empty() && (syscall_name == "connect" || syscall_name == "bind")) {
    event->kind = EventKind::kNetwork;
    SockAddr sa = DecodeSockAddr(f.saddr, f.arch, arena);
    if (syscall_name == "bind") {
      event->network.source_ip = sa.family == "unix" ? std::string_view() : sa.address;
      event->network.source_port = sa.port;
      if (sa.family == "unix") AddExtra(event, "source.address", sa.address);
    } else {
      event->network.destination_ip = sa.family == "unix" ? std::string_view() : sa.address;
      event->network.destination_port = sa.port;
      if (sa.family == "unix") AddExtra(event, "destination.address", sa.address);
    }
    AddExtra(event, "network.type", sa.family);
    event->process.cwd = f.cwd;
    AddExtra(event, "process.title", f.proctitle);
    return;
  }
  if (has_user) {
    event->message = f.u_message;
    switch (user_class) {
      case UserRecordClass::kLogon:
      case UserRecordClass::kLogoff: {
        event->kind =
            user_class == UserRecordClass::kLogon ? EventKind::kLogon : EventKind::kLogoff;
        std::string_view user = f.u_acct;
        if (user.empty()) user = !f.u_id_name.empty() ? f.u_id_name : Id(f.u_id);
        if (user.empty()) user = auid_name;
        event->logon.user = user;
        event->logon.source_ip = f.u_addr;
        event->logon.result = outcome == "success"   ? LogonResult::kSuccess
                              : outcome == "failure" ? LogonResult::kFailure
                                                     : LogonResult::kUnknown;
        event->logon.method = f.u_op;
        AddExtra(event, "source.domain", f.u_hostname);
        return;
      }
      case UserRecordClass::kCommand:
        event->kind = EventKind::kUserCommand;
        event->process.command_line = f.u_cmd;
        event->process.cwd = f.u_cwd;
        return;
      case UserRecordClass::kAccount:
        event->kind = EventKind::kAccountChange;
        // useradd names the new account by its id only ("op=adding user
        // id=1001"); ENRICHED logs carry the name auditd resolved it to.
        AddExtra(event, "user.target.name", !f.u_acct.empty() ? f.u_acct : f.u_id_name);
        AddExtra(event, "user.target.id", Id(f.u_id));
        AddExtra(event, "source.domain", f.u_hostname);
        AddExtra(event, "source.ip", f.u_addr);
        return;
      default:
        break;
    }
  }
  // other: keep every field, the process title and cwd included.
  event->process.cwd = f.cwd;
  AddExtra(event, "process.title", f.proctitle);
  type_counts_.clear();
  for (const AuditRecordHeader& h : headers_) {
    size_t occurrence = 0;
    auto it = std::find_if(type_counts_.begin(), type_counts_.end(),
                           [&](const auto& tc) { return tc.first == h.type; });
    if (it == type_counts_.end()) {
      type_counts_.emplace_back(h.type, 1);
    } else {
      occurrence = it->second++;
    }
    AddRawExtras(h, occurrence, arena, event);
  }
}

void AuditdNormalizer::AddRawExtras(const AuditRecordHeader& h, size_t occurrence, Arena& arena,
                                    Event* event) {
  // Prefix "auditd.<type>." or "auditd.<type>.<n>." for the n-th repeat of a type.
  char number[24];
  size_t number_len = 0;
  if (occurrence > 0) {
    number_len =
        static_cast<size_t>(std::to_chars(number, number + sizeof number, occurrence).ptr - number);
  }
  size_t prefix_len = 7 + h.type.size() + 1 + (number_len > 0 ? number_len + 1 : 0);
  char* prefix = arena.Allocate(prefix_len);
  {
    char* p = prefix;
    std::memcpy(p, "auditd.", 7);
    p += 7;
    for (char c : h.type) *p++ = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    *p++ = '.';
    if (number_len > 0) {
      std::memcpy(p, number, number_len);
      p += number_len;
      *p++ = '.';
    }
  }
  record_keys_.clear();
  uint64_t seen_mask = 0;  // cheap filter: most records repeat no key
  auto add = [&](const AuditField& fld) {
    if (event->extras.size() >= kMaxRawExtras + 32) return;
    uint64_t bit =
        uint64_t{1} << ((static_cast<unsigned char>(fld.key[0]) * 7 + fld.key.size()) & 63);
    if (seen_mask & bit) {
      for (std::string_view seen : record_keys_) {
        if (seen == fld.key) return;
      }
    }
    seen_mask |= bit;
    record_keys_.push_back(fld.key);
    char* key = arena.Allocate(prefix_len + fld.key.size());
    std::memcpy(key, prefix, prefix_len);
    std::memcpy(key + prefix_len, fld.key.data(), fld.key.size());
    std::string_view value = fld.value;
    if (!fld.quoted && IsEncodedField(fld.key)) {
      if (auto decoded = DecodeHex(value, arena)) value = *decoded;
      // As process.title: the argument separators (NULs) become spaces.
      if (fld.key == "proctitle") value = ReplaceChar(value, '\0', ' ', arena);
    }
    event->extras.push_back({{key, prefix_len + fld.key.size()}, value});
  };
  AuditField fld;
  if (&h == syscall_record_) {
    for (const AuditField& cached : syscall_fields_) add(cached);
  } else {
    for (AuditFieldCursor c(h.fields); c.Next(&fld);) add(fld);
  }
  for (AuditFieldCursor c(h.enriched); c.Next(&fld);) add(fld);
}

}  // namespace loghunt
