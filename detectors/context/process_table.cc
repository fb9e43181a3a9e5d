#include "detectors/context/process_table.h"

#include <algorithm>

#include "core/text.h"
#include "core/time.h"

namespace loghunt {

ProcessRecord ProcessRecordOf(const Event& event) {
  ProcessRecord r;
  r.host = std::string(event.host);
  r.pid = event.process.pid;
  r.ppid = event.process.ppid;
  r.guid = std::string(event.Extra("ProcessGuid"));
  r.parent_guid = std::string(event.Extra("ParentProcessGuid"));
  r.executable = KeptText(event.process.executable, kKeptTextBytes);
  r.command_line = KeptText(event.process.command_line, kKeptTextBytes);
  r.user = KeptText(event.process.user, kKeptNameBytes);
  r.start_ns = event.timestamp_ns;
  return r;
}

Entity ProcessEntity(const ProcessRecord& r, size_t depth) {
  Entity e{"Process", {}};
  e.properties.emplace_back("AncestryDepth", std::to_string(depth));
  e.properties.emplace_back("ProcessId", std::to_string(r.pid));
  if (!r.executable.empty()) e.properties.emplace_back("ImageFile", r.executable);
  if (!r.command_line.empty()) e.properties.emplace_back("CommandLine", r.command_line);
  if (r.start_ns != 0) e.properties.emplace_back("CreationTimeUtc", FormatRfc3339(r.start_ns));
  if (!r.guid.empty()) e.properties.emplace_back("ProcessGuid", r.guid);
  if (!r.user.empty()) e.properties.emplace_back("Account", r.user);
  if (r.from_child_event) e.properties.emplace_back("Source", "child_event");
  return e;
}

ProcessTable::ProcessTable(ProcessTableOptions options) : options_(options) {
  options_.max_hosts = std::max<size_t>(options_.max_hosts, 1);
  options_.max_processes_per_host = std::max<size_t>(options_.max_processes_per_host, 1);
  options_.max_processes = std::max<size_t>(options_.max_processes, 1);
}

namespace {

// bytes() of a record: its strings (the guid twice: by_guid's key is a copy)
// and the record, its list node and its by_pid entry.
size_t RecordBytes(const ProcessRecord& r) {
  return sizeof(ProcessRecord) + 64 + r.host.size() + 2 * r.guid.size() + r.parent_guid.size() +
         r.executable.size() + r.command_line.size() + r.user.size();
}

// bytes() of a host without its records: the table and the name (twice:
// by_host_'s key is a copy).
size_t HostBytes(std::string_view host) { return 256 + 2 * host.size(); }

// The pid a successful auditd fork/clone/vfork/clone3 created, or -1.
int64_t ForkedPid(const Event& event) {
  if (event.stream != Stream::kAuditd || event.kind != EventKind::kOther) return -1;
  const std::string_view call = event.Extra("auditd.syscall");
  if (call != "clone" && call != "fork" && call != "vfork" && call != "clone3") return -1;
  if (event.Extra("event.outcome") == "failure") return -1;
  int64_t child = 0;
  for (char c : event.Extra("auditd.exit")) {
    if (c < '0' || c > '9' || child > (int64_t{1} << 40)) return -1;
    child = child * 10 + (c - '0');
  }
  return child > 0 ? child : -1;
}

}  // namespace

void ProcessTable::Observe(const Event& event) {
  if (event.kind != EventKind::kProcessStart) {
    // A fork: the child runs its parent's image until it execs; until then
    // it is a parent of its own (a subshell's commands), not the older
    // process that had its pid (laurel's shell-proc-trace-confusion).
    const int64_t child = ForkedPid(event);
    if (child >= 0 && event.process.pid >= 0) {
      ProcessRecord r;
      r.host = std::string(event.host);
      r.pid = child;
      r.ppid = event.process.pid;
      r.executable = KeptText(event.process.executable, kKeptTextBytes);
      const ProcessRecord* forker = Find(event.host, event.process.pid);
      if (forker != nullptr && forker->executable == r.executable) {
        r.command_line = forker->command_line;
      }
      r.user = KeptText(event.process.user, kKeptNameBytes);
      r.start_ns = event.timestamp_ns;
      Add(std::move(r));
    }
    return;
  }
  // Some Sysmon exports carry the ProcessGuid but no ProcessId field.
  if (event.process.pid < 0 && event.Extra("ProcessGuid").empty()) return;
  Add(ProcessRecordOf(event));
}

void ProcessTable::ForgetOldest(HostTable& t) {
  auto oldest = t.processes.begin();
  // The oldest process of all is the oldest with its pid.
  if (auto p = t.by_pid.find(oldest->pid); p != t.by_pid.end()) {
    auto& kept = p->second;
    if (!kept.empty() && kept.front() == oldest) kept.erase(kept.begin());
    if (kept.empty()) t.by_pid.erase(p);
  }
  if (!oldest->guid.empty()) {
    if (auto g = t.by_guid.find(oldest->guid); g != t.by_guid.end() && g->second == oldest) {
      t.by_guid.erase(g);
    }
  }
  const size_t bytes = RecordBytes(*oldest);
  t.bytes -= bytes;
  bytes_ -= bytes;
  t.processes.pop_front();
  --total_;
}

void ProcessTable::Add(ProcessRecord record) {
  std::list<HostTable>::iterator host;
  if (auto it = by_host_.find(record.host); it != by_host_.end()) {
    host = it->second;
    hosts_.splice(hosts_.end(), hosts_, host);  // most recently seen last
  } else {
    if (hosts_.size() >= options_.max_hosts) {
      total_ -= hosts_.front().processes.size();
      bytes_ -= hosts_.front().bytes;
      by_host_.erase(hosts_.front().host);
      hosts_.pop_front();
    }
    hosts_.emplace_back();
    host = std::prev(hosts_.end());
    host->host = record.host;
    host->bytes = HostBytes(host->host);
    bytes_ += host->bytes;
    by_host_.emplace(host->host, host);
  }
  HostTable& t = *host;
  if (t.processes.size() >= options_.max_processes_per_host) ForgetOldest(t);
  // Over a total: the least recently seen hosts give up their oldest
  // processes (this host, seen last, only when it is the only one).
  const size_t bytes = RecordBytes(record);
  while ((total_ >= options_.max_processes || bytes_ + bytes > options_.max_bytes) && total_ > 0) {
    HostTable& lru = hosts_.front();
    if (lru.processes.empty()) break;
    ForgetOldest(lru);
    if (lru.processes.empty() && &lru != &t) {
      bytes_ -= lru.bytes;
      by_host_.erase(lru.host);
      hosts_.pop_front();
    }
  }
  t.processes.push_back(std::move(record));
  t.bytes += bytes;
  bytes_ += bytes;
  ++total_;
  auto rec = std::prev(t.processes.end());
  if (rec->pid >= 0) t.by_pid[rec->pid].push_back(rec);
  if (!rec->guid.empty()) t.by_guid[rec->guid] = rec;
}

const ProcessTable::HostTable* ProcessTable::FindHost(std::string_view host) const {
  auto it = by_host_.find(std::string(host));
  return it == by_host_.end() ? nullptr : &*it->second;
}

const ProcessRecord* ProcessTable::Find(std::string_view host, int64_t pid,
                                        std::string_view guid) const {
  const HostTable* t = FindHost(host);
  if (t == nullptr) return nullptr;
  if (!guid.empty()) {
    if (auto g = t->by_guid.find(std::string(guid)); g != t->by_guid.end()) return &*g->second;
  }
  if (pid < 0) return nullptr;
  if (auto p = t->by_pid.find(pid); p != t->by_pid.end()) return &*p->second.back();
  return nullptr;
}

const ProcessRecord* ProcessTable::Parent(const HostTable& t, const ProcessRecord& child) const {
  // A child that names its parent's guid has that parent or none: a record
  // found by pid alone may be an older process that had the same pid.
  if (!child.parent_guid.empty()) {
    auto g = t.by_guid.find(child.parent_guid);
    return g == t.by_guid.end() ? nullptr : &*g->second;
  }
  if (child.ppid < 0 || child.ppid == child.pid) return nullptr;
  auto p = t.by_pid.find(child.ppid);
  if (p == t.by_pid.end()) return nullptr;
  // A pid reused after the child started is not its parent: the latest
  // process with the pid that started no later than the child is.
  for (auto it = p->second.rbegin(); it != p->second.rend(); ++it) {
    const ProcessRecord& parent = **it;
    if (&parent == &child) continue;
    if (parent.start_ns == 0 || child.start_ns == 0 || parent.start_ns <= child.start_ns) {
      return &parent;
    }
  }
  return nullptr;
}

const ProcessRecord* ProcessTable::ParentOf(const Event& event) const {
  const HostTable* t = FindHost(event.host);
  if (t == nullptr) return nullptr;
  ProcessRecord child;  // only what Parent() reads: no copy of the strings
  child.pid = event.process.pid;
  child.ppid = event.process.ppid;
  child.parent_guid = std::string(event.Extra("ParentProcessGuid"));
  child.start_ns = event.timestamp_ns;
  return Parent(*t, child);
}

std::vector<const ProcessRecord*> ProcessTable::Ancestors(const ProcessRecord& process,
                                                          size_t depth) const {
  std::vector<const ProcessRecord*> chain;
  const HostTable* t = FindHost(process.host);
  const ProcessRecord* cur = &process;
  while (chain.size() < depth) {
    const ProcessRecord* parent = t == nullptr ? nullptr : Parent(*t, *cur);
    if (parent == nullptr || parent == &process ||
        std::find(chain.begin(), chain.end(), parent) != chain.end()) {
      break;
    }
    chain.push_back(parent);
    cur = parent;
  }
  return chain;
}

std::vector<const ProcessRecord*> ProcessTable::Children(const ProcessRecord& process) const {
  std::vector<const ProcessRecord*> out;
  const HostTable* t = FindHost(process.host);
  if (t == nullptr) return out;
  for (const ProcessRecord& r : t->processes) {
    if (&r != &process && Parent(*t, r) == &process) out.push_back(&r);
  }
  return out;
}

ProcessTable::ChildIndex ProcessTable::ChildrenOn(std::string_view host) const {
  ChildIndex index;
  const HostTable* t = FindHost(host);
  if (t == nullptr) return index;
  for (const ProcessRecord& r : t->processes) {
    if (const ProcessRecord* parent = Parent(*t, r); parent != nullptr && parent != &r) {
      index[parent].push_back(&r);
    }
  }
  return index;
}

void ProcessTable::AppendAncestry(const Event& event, Alert* alert) const {
  if (event.process.pid < 0 && event.Extra("ProcessGuid").empty()) return;
  const HostTable* t = FindHost(event.host);
  ProcessRecord self = ProcessRecordOf(event);
  const ProcessRecord* known = t == nullptr ? nullptr : Find(event.host, self.pid, self.guid);
  // The event's own fields describe the process best; the table, its parents.
  if (known != nullptr && self.parent_guid.empty() && self.ppid < 0) self = *known;
  auto chain = Ancestors(self, options_.max_depth);
  size_t depth = 0;
  for (const ProcessRecord* p : chain) alert->entities.push_back(ProcessEntity(*p, ++depth));
  // No parent in the table: the one the event names.
  if (chain.empty() && options_.max_depth > 0 && !event.process.parent_executable.empty()) {
    ProcessRecord parent;
    parent.host = self.host;
    parent.pid = self.ppid;
    parent.guid = self.parent_guid;
    parent.executable = std::string(event.process.parent_executable);
    parent.command_line = std::string(event.process.parent_command_line);
    parent.from_child_event = true;
    alert->entities.push_back(ProcessEntity(parent, 1));
  }
}

}  // namespace loghunt
