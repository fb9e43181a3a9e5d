// ProcessTable: the processes each host started, fed by process_start events
// (auditd execve, Windows 4688, Sysmon 1), so an alert about a process can
// carry its ancestry chain (image, command line, pid, start time) and a
// `tree` view can list a process's ancestors and children.
//
// Keys: host + pid (every process kept with the pid: pids are reused, and
// lookups by pid alone give the latest) and, when the event has one, host +
// ProcessGuid (Sysmon), which is unique and, when the child names its
// parent's guid, the only way its parent is resolved (else by pid). A parent
// found by pid is the latest process with the pid that started no later than
// its child, so a reused pid is not mistaken for the parent, and the parent
// of an older child is still found after its pid was reused. When even the parent is not in the
// table, AppendAncestry attaches the parent the event itself names (parent image, command line,
// ppid), marked Source=child_event.
//
// Memory is bounded: at most `max_processes_per_host` records per host (the
// oldest started is forgotten first), `max_hosts` hosts (the least recently
// seen host is forgotten first), and `max_processes` and `max_bytes` in all
// (the least recently seen host's oldest first). A record keeps at most
// kKeptTextBytes of the executable and of the command line and kKeptNameBytes
// of the user (core/text.h: a longer value is kept cut, with a marker that
// alerts and `tree` show), so any local user could make each of a million
// records hold a 100 KB argument list; the host and guids, which key the
// table, are kept whole and counted in bytes(). Strings are copied once per
// process_start event, never per lookup.
//
// Thread-safety: none; one table per worker (a host's events all reach one
// worker). Pointers returned by queries are valid until the next Observe().
#pragma once

#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/alert.h"
#include "core/event.h"

namespace loghunt {

struct ProcessTableOptions {
  size_t max_hosts = 1024;
  size_t max_processes_per_host = 16384;
  // Processes kept in all, over every host (about 300-500 bytes each): beyond
  // it the least recently seen host's oldest processes are forgotten. The
  // product of the two bounds above is 16.7 million processes.
  size_t max_processes = 1'000'000;
  // bytes() in all: beyond it, as beyond max_processes, the least recently
  // seen host's oldest processes are forgotten. Ordinary processes reach
  // max_processes first; long command lines (up to kKeptTextBytes each) this.
  size_t max_bytes = size_t{512} << 20;
  size_t max_depth = 8;  // ancestors attached to alerts
};

struct ProcessRecord {
  std::string host;
  int64_t pid = -1;
  int64_t ppid = -1;
  std::string guid;         // Sysmon ProcessGuid, "" when unknown
  std::string parent_guid;  // Sysmon ParentProcessGuid
  std::string executable;
  std::string command_line;
  std::string user;
  int64_t start_ns = 0;           // 0 = unknown
  bool from_child_event = false;  // synthesized from a child's parent_* fields
};

class ProcessTable {
 public:
  explicit ProcessTable(ProcessTableOptions options = {});

  // Records `event` when it is a process_start with a pid or a ProcessGuid,
  // or an auditd fork/clone/vfork/clone3 (the child, with its parent's image,
  // started then); ignores others.
  void Observe(const Event& event);

  // The process with `guid` on `host` when `guid` is given and known, else
  // the latest with `pid`; nullptr when neither is known.
  const ProcessRecord* Find(std::string_view host, int64_t pid, std::string_view guid = {}) const;

  // The parent of the process `event` starts, when the table knows it (as
  // Ancestors() finds it: by the parent's guid when the event names one,
  // else by ppid, not started after the child); nullptr otherwise.
  const ProcessRecord* ParentOf(const Event& event) const;

  // Parent, grandparent, ... of `process` found in the table (nearest
  // first), at most `depth`; stops at a cycle or an unknown parent.
  std::vector<const ProcessRecord*> Ancestors(const ProcessRecord& process, size_t depth) const;
  // Processes on `process.host` whose parent resolves to `process`, oldest first.
  std::vector<const ProcessRecord*> Children(const ProcessRecord& process) const;
  // The children of every process of `host` at once (one pass over the
  // host's processes, where Children() takes one per call), oldest first.
  using ChildIndex = std::unordered_map<const ProcessRecord*, std::vector<const ProcessRecord*>>;
  ChildIndex ChildrenOn(std::string_view host) const;

  // Appends to `alert` one "Process" entity per ancestor of the event's
  // process (up to options.max_depth), with AncestryDepth 1 = parent. Does
  // nothing when the event has neither pid nor guid, or no known parent.
  void AppendAncestry(const Event& event, Alert* alert) const;

  // Takes `other`'s processes (a detector reload), keeping this table's
  // bounds; they apply as new processes arrive.
  void TakeProcessesFrom(ProcessTable& other) {
    hosts_ = std::move(other.hosts_);
    by_host_ = std::move(other.by_host_);
    total_ = other.total_;
    bytes_ = other.bytes_;
    other.hosts_.clear();
    other.by_host_.clear();
    other.total_ = 0;
    other.bytes_ = 0;
  }

  size_t host_count() const { return hosts_.size(); }
  size_t process_count() const { return total_; }
  // The table's estimate of the memory it holds: the records' strings plus a
  // fixed cost per record and per host (the record, list node and index
  // entries), what max_bytes bounds.
  size_t bytes() const { return bytes_; }
  const ProcessTableOptions& options() const { return options_; }

 private:
  struct HostTable {
    std::string host;
    std::list<ProcessRecord> processes;  // in arrival order, oldest first
    // Every process kept with the pid, oldest first (pids are reused: a
    // child's parent is the latest that started no later than the child).
    std::unordered_map<int64_t, std::vector<std::list<ProcessRecord>::iterator>> by_pid;
    std::unordered_map<std::string, std::list<ProcessRecord>::iterator> by_guid;
    size_t bytes = 0;  // of bytes_: the host's and its records'
  };
  void Add(ProcessRecord record);
  void ForgetOldest(HostTable& table);  // the host's oldest process
  const HostTable* FindHost(std::string_view host) const;
  const ProcessRecord* Parent(const HostTable& table, const ProcessRecord& child) const;

  ProcessTableOptions options_;
  std::list<HostTable> hosts_;  // least recently seen first
  std::unordered_map<std::string, std::list<HostTable>::iterator> by_host_;
  size_t total_ = 0;  // processes over all hosts
  size_t bytes_ = 0;  // bytes() over all hosts
};

// The ProcessRecord an event describes (without storing it): what Observe()
// would record, and what AppendAncestry() starts from; long executables,
// command lines and users are kept cut (core/text.h).
ProcessRecord ProcessRecordOf(const Event& event);

// One "Process" entity for `record` at `depth` (0 = the process itself).
Entity ProcessEntity(const ProcessRecord& record, size_t depth);

}  // namespace loghunt
