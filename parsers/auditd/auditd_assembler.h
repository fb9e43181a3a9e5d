// AuditdAssembler: joins audit records into audit events with libauparse in
// feed mode, keyed by (node, seconds, millis, serial) exactly as auparse keys
// them, so records of unrelated events that share a timestamp stay apart.
//
// An event is complete when its EOE record has been fed and auparse hands it
// back, when it has been open longer than `timeout_ms` of stream time (the
// newest record timestamp seen), when it is the oldest of `max_open_events` open
// events and a new one arrives (reported as kTooManyOpen; the event is still
// delivered), or on Flush(). auparse's own earlier completions (see
// OpenEvent::carry) only move records into our copy. Forced completion feeds
// auparse a synthetic EOE for the event when auparse still holds some of its
// records, so auparse never holds more events than we track.
//
// Completed events are handed out after auparse returns, from the assembler's
// own copies of the record text: auparse 3.0 keeps its interpretation list in
// process-global state, so every auparse call runs under one process-wide
// mutex, and the handler (normalizer, detectors) must not run under it.
//
// Source position of an event: that of the last record added to it (the EOE
// when there is one). It does not depend on when or why the event completed, so
// a replay yields the same positions and therefore the same alert ids.
//
// An event holds at most kMaxRecordsPerEvent records: the one after that is
// reported as kTooLong and starts a new event, the full one being delivered
// (a stream of records with one id and no EOE grew without bound, and auparse
// takes time quadratic in an event's records).
//
// Memory is bounded by max_open_events events of at most kMaxRecordsPerEvent
// records in auparse plus the same number of pending copies; the buffers keep
// their capacity between events.
//
// Thread-safety: an instance belongs to one thread; instances on different
// threads are safe (see the mutex above).
#pragma once

#include <auparse.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "parsers/auditd/auditd_record.h"
#include "parsers/parser.h"

namespace loghunt {

// One completed audit event as the assembler hands it out. Record lines are
// "header fields[\x1d enriched]" without the EOE; views valid during the call.
struct AssembledAuditEvent {
  const std::string_view* records = nullptr;
  size_t record_count = 0;
  SourcePosition position;  // of the event's last record; first_offset of its first
};

class AssembledAuditEventSink {
 public:
  virtual ~AssembledAuditEventSink() = default;
  virtual void OnAssembled(const AssembledAuditEvent& event) = 0;
};

class AuditdAssembler {
 public:
  // The kernel splits an execve's arguments into EXECVE records of at most
  // 7,500 bytes, so even a 2 MB argument list takes about 300; the corpora's
  // largest event has 9 records.
  static constexpr size_t kMaxRecordsPerEvent = 1000;
  // Record bytes held for open events: beyond it the oldest are delivered
  // early (too_many_open), so records of 1 MB each, 1,000 per event, 4,096
  // events do not add up to gigabytes (200 MB of such input peaked at 945 MB).
  static constexpr size_t kMaxOpenBytes = 64 << 20;

  AuditdAssembler(int64_t timeout_ms, size_t max_open_events);
  ~AuditdAssembler();
  AuditdAssembler(const AuditdAssembler&) = delete;
  AuditdAssembler& operator=(const AuditdAssembler&) = delete;

  // Adds one record. REQUIRES: ParseAuditRecordHeader(line, ...) accepted it
  // and `header` is its result; `line` has no '\n' and no NUL byte. Completed
  // events go to `sink`; kTooManyOpen goes to `errors`.
  void Add(std::string_view line, const AuditRecordHeader& header, const SourcePosition& position,
           AssembledAuditEventSink& sink, EventHandler& errors);

  // Completes and delivers every open event (end of input, shutdown).
  void Flush(AssembledAuditEventSink& sink);

  size_t open_events() const { return open_count_; }
  // Smallest offset of a record still held for an open event, or -1.
  int64_t OldestOpenOffset() const;

 private:
  static constexpr size_t kNoSlot = static_cast<size_t>(-1);
  struct OpenEvent {
    std::string node;
    int64_t seconds = 0;
    uint32_t millis = 0;
    uint64_t serial = 0;
    int64_t time_ns = 0;
    std::string topic;  // of the last record
    int32_t partition = -1;
    int64_t offset = -1;
    int64_t first_offset = -1;
    bool open = false;      // in the open list and table
    uint64_t key_hash = 0;  // KeyHash of its id
    size_t prev = kNoSlot;  // open list neighbours (slots)
    size_t next = kNoSlot;
    bool eoe_fed = false;  // an EOE (real or synthetic) was given to auparse
    size_t fed = 0;        // records (not EOE) given to auparse
    size_t bytes = 0;      // their text, counted in open_bytes_
    size_t returned = 0;   // records auparse handed back; fed - returned it still holds
    // Records auparse emitted before the event was whole. auparse completes
    // an event as soon as its last record has a type below 1300, but LOGIN
    // comes before its SYSCALL and newer kernels attach SYSCALL, SOCKADDR and
    // EOE to userspace records (SERVICE_START), and reordered streams put
    // PROCTITLE first; the rest would become a second event with the same id.
    // So nothing is delivered before an EOE, the timeout, the cap or Flush().
    std::string carry;
    std::vector<std::pair<size_t, size_t>> carry_ranges;
  };
  struct PendingEvent {
    size_t first_record;  // index into pending_records_
    size_t record_count;
    size_t slot;  // OpenEvent slot holding the position, or kNoSlot
    SourcePosition fallback;
  };

  static void OnAuparseEvent(auparse_state_t* au, auparse_cb_event_t type, void* self);
  void Collect(auparse_state_t* au);
  // Feeds `text` (one or more '\n'-terminated lines) to auparse under the
  // mutex; `completes` when it ends an event (EOE), to collect it right away.
  void Feed(std::string_view text, bool completes);
  // Completes open event `slot` (feeds auparse a synthetic EOE when needed).
  void ForceComplete(size_t slot);
  // Stops tracking open event `slot` (its slot is freed after Deliver).
  void Close(size_t slot);
  static uint64_t KeyHash(std::string_view node, int64_t seconds, uint32_t millis, uint64_t serial);
  void TableInsert(size_t slot);
  void TableErase(size_t slot);
  // Queues `slot`'s carried records followed by the collected ones as one event.
  void QueuePending(size_t slot, const SourcePosition& fallback);
  void ExpireOld();
  void Deliver(AssembledAuditEventSink& sink);
  // The slot of the open event with this id, or kNoSlot.
  size_t FindOpen(std::string_view node, int64_t seconds, uint32_t millis, uint64_t serial) const;

  auparse_state_t* au_ = nullptr;
  int64_t timeout_ns_;
  size_t max_open_;
  std::vector<OpenEvent> slots_;
  std::vector<size_t> free_slots_;
  // Open events: a list through their slots, oldest first, and an
  // open-addressing table by id hash (slot + 1, 0 = empty, load <= 1/2), so
  // finding, closing and taking the oldest are O(1) without allocating, also
  // with max_open_events open (a brute-force flood of single-record events
  // without EOE keeps thousands open; linear scans made it 20 times slower).
  size_t open_head_ = kNoSlot;
  size_t open_tail_ = kNoSlot;
  size_t open_count_ = 0;
  size_t open_bytes_ = 0;
  std::vector<uint32_t> table_;
  std::vector<size_t> expired_;  // ExpireOld's scratch
  int64_t stream_time_ns_ = 0;
  int64_t next_deadline_ns_ = INT64_MAX;
  SourcePosition current_;  // the record being fed, for events auparse made up
  std::string feed_;
  // Copies of completed events' records, waiting for Deliver().
  std::string pending_text_;
  std::vector<std::pair<size_t, size_t>> pending_ranges_;  // offset, size in pending_text_
  std::vector<PendingEvent> pending_;
  std::vector<size_t> released_slots_;  // freed once their events are delivered
  std::vector<std::string_view> record_views_;
};

}  // namespace loghunt
