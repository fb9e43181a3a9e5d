#include "parsers/auditd/auditd_assembler.h"

#include <linux/audit.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <mutex>

#include "core/hash.h"

namespace loghunt {
namespace {

// auparse 3.0 interprets records through process-global lists (and keeps its
// EOE timeout in a global), so at most one thread may be inside auparse.
std::mutex& AuparseMutex() {
  static std::mutex mutex;
  return mutex;
}

// auparse ages events on its own after a whole number of seconds; keep that
// later than ours so our millisecond timeout decides. Called under the mutex.
void RaiseAuparseTimeout(int64_t timeout_ms) {
  static time_t current = 0;
  time_t wanted = static_cast<time_t>(timeout_ms / 1000 + 2);
  if (wanted > current) {
    current = wanted;
    auparse_set_eoe_timeout(wanted);
  }
}

// A year: keeps time + timeout within int64 nanoseconds.
constexpr int64_t kMaxTimeoutMs = 365LL * 24 * 3600 * 1000;

}  // namespace

AuditdAssembler::AuditdAssembler(int64_t timeout_ms, size_t max_open_events)
    : timeout_ns_(std::clamp<int64_t>(timeout_ms, 0, kMaxTimeoutMs) * 1'000'000),
      max_open_(std::max<size_t>(max_open_events, 1)) {
  std::lock_guard<std::mutex> lock(AuparseMutex());
  RaiseAuparseTimeout(timeout_ms);
  au_ = auparse_init(AUSOURCE_FEED, nullptr);
  if (au_ != nullptr) auparse_add_callback(au_, &AuditdAssembler::OnAuparseEvent, this, nullptr);
}

AuditdAssembler::~AuditdAssembler() {
  if (au_ == nullptr) return;
  std::lock_guard<std::mutex> lock(AuparseMutex());
  auparse_destroy(au_);
}

void AuditdAssembler::OnAuparseEvent(auparse_state_t* au, auparse_cb_event_t type, void* self) {
  if (type == AUPARSE_CB_EVENT_READY) static_cast<AuditdAssembler*>(self)->Collect(au);
}

void AuditdAssembler::Collect(auparse_state_t* au) {
  const au_event_t* stamp = auparse_get_timestamp(au);
  if (stamp == nullptr) return;
  size_t slot =
      FindOpen(stamp->host != nullptr ? std::string_view(stamp->host) : std::string_view(),
               stamp->sec, stamp->milli, stamp->serial);
  OpenEvent* e = slot == kNoSlot ? nullptr : &slots_[slot];
  // Before its EOE an event's records are only carried (see OpenEvent::carry);
  // otherwise they go, after what was carried, straight to the pending queue.
  bool hold = e != nullptr && !e->eoe_fed;
  if (!hold) QueuePending(slot, current_);
  std::string& text = hold ? e->carry : pending_text_;
  auto& ranges = hold ? e->carry_ranges : pending_ranges_;
  size_t first = ranges.size();
  if (auparse_first_record(au) > 0) {
    do {
      if (auparse_get_type(au) == AUDIT_EOE) continue;
      const char* record = auparse_get_record_text(au);
      if (record == nullptr) continue;
      size_t start = text.size();
      text.append(record);
      const char* interp = auparse_get_record_interpretations(au);
      if (interp != nullptr && *interp != '\0') {
        text.push_back(kAuditInterpSeparator);
        text.append(interp);
      }
      ranges.emplace_back(start, text.size() - start);
    } while (auparse_next_record(au) > 0);
  }
  if (e != nullptr) e->returned += ranges.size() - first;
  if (hold) return;
  if (slot != kNoSlot && !pending_.empty() && pending_.back().slot == slot &&
      pending_.back().first_record + pending_.back().record_count == first) {
    pending_.back().record_count = pending_ranges_.size() - pending_.back().first_record;
  } else if (pending_ranges_.size() > first) {
    pending_.push_back({first, pending_ranges_.size() - first, slot, current_});
  }
  if (e != nullptr) Close(slot);
}

uint64_t AuditdAssembler::KeyHash(std::string_view node, int64_t seconds, uint32_t millis,
                                  uint64_t serial) {
  uint64_t h = Fnv1a64(node);
  for (uint64_t v : {static_cast<uint64_t>(seconds), uint64_t{millis}, serial}) {
    h = (h ^ v) * 1099511628211ULL;
    h ^= h >> 29;
  }
  return h;
}

void AuditdAssembler::TableInsert(size_t slot) {
  if ((open_count_ + 1) * 2 > table_.size()) {
    std::vector<uint32_t> old(std::max<size_t>(64, table_.size() * 2), 0);
    old.swap(table_);
    const size_t mask = table_.size() - 1;
    for (uint32_t v : old) {
      if (v == 0) continue;
      size_t i = slots_[v - 1].key_hash & mask;
      while (table_[i] != 0) i = (i + 1) & mask;
      table_[i] = v;
    }
  }
  const size_t mask = table_.size() - 1;
  size_t i = slots_[slot].key_hash & mask;
  while (table_[i] != 0) i = (i + 1) & mask;
  table_[i] = static_cast<uint32_t>(slot + 1);
}

void AuditdAssembler::TableErase(size_t slot) {
  const size_t mask = table_.size() - 1;
  size_t i = slots_[slot].key_hash & mask;
  while (table_[i] != slot + 1) i = (i + 1) & mask;
  // Backward-shift deletion: later entries of the probe run move up unless
  // their home position lies cyclically in (i, j].
  for (size_t j = (i + 1) & mask; table_[j] != 0; j = (j + 1) & mask) {
    size_t home = slots_[table_[j] - 1].key_hash & mask;
    bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
    if (!stays) {
      table_[i] = table_[j];
      i = j;
    }
  }
  table_[i] = 0;
}

void AuditdAssembler::Close(size_t slot) {
  OpenEvent& e = slots_[slot];
  TableErase(slot);
  (e.prev == kNoSlot ? open_head_ : slots_[e.prev].next) = e.next;
  (e.next == kNoSlot ? open_tail_ : slots_[e.next].prev) = e.prev;
  --open_count_;
  open_bytes_ -= e.bytes;
  e.open = false;
  released_slots_.push_back(slot);
}

// Moves `slot`'s carried records (if any) to the pending queue as one event.
void AuditdAssembler::QueuePending(size_t slot, const SourcePosition& fallback) {
  if (slot == kNoSlot) return;
  OpenEvent& e = slots_[slot];
  if (e.carry_ranges.empty()) return;
  PendingEvent pending{pending_ranges_.size(), 0, slot, fallback};
  for (auto [offset, size] : e.carry_ranges) {
    pending_ranges_.emplace_back(pending_text_.size(), size);
    pending_text_.append(e.carry, offset, size);
  }
  e.carry.clear();
  e.carry_ranges.clear();
  pending.record_count = pending_ranges_.size() - pending.first_record;
  pending_.push_back(pending);
}

int64_t AuditdAssembler::OldestOpenOffset() const {
  int64_t oldest = -1;
  for (size_t slot = open_head_; slot != kNoSlot; slot = slots_[slot].next) {
    int64_t o = slots_[slot].first_offset;
    if (o >= 0 && (oldest < 0 || o < oldest)) oldest = o;
  }
  return oldest;
}

size_t AuditdAssembler::FindOpen(std::string_view node, int64_t seconds, uint32_t millis,
                                 uint64_t serial) const {
  if (open_count_ == 0) return kNoSlot;
  const size_t mask = table_.size() - 1;
  const uint64_t h = KeyHash(node, seconds, millis, serial);
  for (size_t i = h & mask; table_[i] != 0; i = (i + 1) & mask) {
    const size_t slot = table_[i] - 1;
    const OpenEvent& e = slots_[slot];
    if (e.key_hash == h && e.serial == serial && e.seconds == seconds && e.millis == millis &&
        e.node == node) {
      return slot;
    }
  }
  return kNoSlot;
}

void AuditdAssembler::Feed(std::string_view text, bool completes) {
  if (au_ == nullptr) return;
  std::lock_guard<std::mutex> lock(AuparseMutex());
  auparse_feed(au_, text.data(), text.size());
  // A record that completes an event it joins (EOE) only marks it ready; auparse
  // hands ready events out at the start of its next call. Make that call now
  // rather than one record later.
  if (completes) auparse_feed(au_, "", 0);
}

void AuditdAssembler::ForceComplete(size_t slot) {
  OpenEvent& e = slots_[slot];
  e.eoe_fed = true;
  if (e.returned == e.fed) {  // auparse holds none of its records: nothing to feed
    QueuePending(slot, current_);
    Close(slot);
    return;
  }
  feed_.clear();
  if (!e.node.empty()) {
    feed_.append("node=").append(e.node).push_back(' ');
  }
  // The same id text auparse parsed: millis as three digits is what it reads back.
  char id[64];
  char* p = std::to_chars(id, id + 24, e.seconds).ptr;
  *p++ = '.';
  *p++ = static_cast<char>('0' + e.millis / 100 % 10);
  *p++ = static_cast<char>('0' + e.millis / 10 % 10);
  *p++ = static_cast<char>('0' + e.millis % 10);
  *p++ = ':';
  p = std::to_chars(p, id + sizeof id, e.serial).ptr;
  feed_.append("type=EOE msg=audit(").append(id, p).append("): \n");
  Feed(feed_, /*completes=*/true);
  // auparse emits the event during that feed. If it had nothing left (records
  // it dropped, or all already carried), deliver what we carry and stop
  // tracking the event.
  if (slots_[slot].open) {
    QueuePending(slot, current_);
    Close(slot);
  }
}

void AuditdAssembler::ExpireOld() {
  // Completing one event may complete others (auparse hands out what the
  // synthetic EOE releases), so the expired ones are listed first.
  expired_.clear();
  int64_t next = INT64_MAX;
  for (size_t slot = open_head_; slot != kNoSlot; slot = slots_[slot].next) {
    int64_t deadline = slots_[slot].time_ns + timeout_ns_;
    if (deadline < stream_time_ns_) {
      expired_.push_back(slot);
    } else {
      next = std::min(next, deadline);
    }
  }
  for (size_t slot : expired_) {
    if (slots_[slot].open) ForceComplete(slot);
  }
  next_deadline_ns_ = next;
}

void AuditdAssembler::Add(std::string_view line, const AuditRecordHeader& header,
                          const SourcePosition& position, AssembledAuditEventSink& sink,
                          EventHandler& errors) {
  current_ = position;
  int64_t time_ns = header.timestamp_ns();
  while (open_count_ > 0 && open_bytes_ + line.size() > kMaxOpenBytes) {
    errors.OnError(ParseError::kTooManyOpen, line, position);
    ForceComplete(open_head_);
    Deliver(sink);
  }
  size_t slot = FindOpen(header.node, header.seconds, header.millis, header.serial);
  if (slot != kNoSlot && slots_[slot].fed >= kMaxRecordsPerEvent) {
    // Records that never end (no EOE, one timestamp, so no timeout either):
    // the event is delivered as it is and the record starts another.
    errors.OnError(ParseError::kTooLong, line, position);
    ForceComplete(slot);
    Deliver(sink);
    slot = kNoSlot;
  }
  if (slot == kNoSlot) {
    if (open_count_ >= max_open_) {
      errors.OnError(ParseError::kTooManyOpen, line, position);
      ForceComplete(open_head_);
      Deliver(sink);
    }
    if (!free_slots_.empty()) {
      slot = free_slots_.back();
      free_slots_.pop_back();
    } else {
      slot = slots_.size();
      slots_.emplace_back();
    }
    OpenEvent& e = slots_[slot];
    e.node.assign(header.node);
    e.seconds = header.seconds;
    e.millis = header.millis;
    e.serial = header.serial;
    e.time_ns = time_ns;
    e.first_offset = position.offset;
    e.eoe_fed = false;
    e.fed = 0;
    e.bytes = 0;
    e.returned = 0;
    e.carry.clear();
    e.carry_ranges.clear();
    e.open = true;
    e.key_hash = KeyHash(e.node, e.seconds, e.millis, e.serial);
    e.prev = open_tail_;
    e.next = kNoSlot;
    (open_tail_ == kNoSlot ? open_head_ : slots_[open_tail_].next) = slot;
    open_tail_ = slot;
    TableInsert(slot);  // before counting it: the load check counts the new one
    ++open_count_;
    next_deadline_ns_ = std::min(next_deadline_ns_, time_ns + timeout_ns_);
  }
  OpenEvent& e = slots_[slot];
  if (e.topic != position.topic) e.topic.assign(position.topic);
  e.partition = position.partition;
  e.offset = position.offset;
  if (header.type == "EOE") {
    e.eoe_fed = true;
  } else {
    ++e.fed;
  }
  e.bytes += line.size();
  open_bytes_ += line.size();

  feed_.assign(line);
  feed_.push_back('\n');
  Feed(feed_, e.eoe_fed);
  Deliver(sink);

  stream_time_ns_ = std::max(stream_time_ns_, time_ns);
  if (stream_time_ns_ > next_deadline_ns_) {
    ExpireOld();
    Deliver(sink);
  }
}

void AuditdAssembler::Flush(AssembledAuditEventSink& sink) {
  current_ = SourcePosition{};
  if (au_ != nullptr) {
    std::lock_guard<std::mutex> lock(AuparseMutex());
    auparse_flush_feed(au_);
  }
  // Whatever is still tracked was carried or dropped by auparse.
  for (size_t slot = open_head_; slot != kNoSlot; slot = slots_[slot].next) {
    QueuePending(slot, current_);
    released_slots_.push_back(slot);
    slots_[slot].open = false;
  }
  open_head_ = open_tail_ = kNoSlot;
  open_count_ = 0;
  open_bytes_ = 0;
  std::fill(table_.begin(), table_.end(), 0);
  Deliver(sink);
  next_deadline_ns_ = INT64_MAX;
}

void AuditdAssembler::Deliver(AssembledAuditEventSink& sink) {
  for (const PendingEvent& p : pending_) {
    record_views_.clear();
    for (size_t i = 0; i < p.record_count; ++i) {
      auto [offset, size] = pending_ranges_[p.first_record + i];
      record_views_.emplace_back(pending_text_.data() + offset, size);
    }
    AssembledAuditEvent event;
    event.records = record_views_.data();
    event.record_count = record_views_.size();
    if (p.slot != kNoSlot) {
      const OpenEvent& e = slots_[p.slot];
      event.position.topic = e.topic;
      event.position.partition = e.partition;
      event.position.offset = e.offset;
      event.position.first_offset = e.first_offset == e.offset ? -1 : e.first_offset;
    } else {
      event.position = p.fallback;
    }
    sink.OnAssembled(event);
  }
  pending_.clear();
  pending_ranges_.clear();
  pending_text_.clear();
  free_slots_.insert(free_slots_.end(), released_slots_.begin(), released_slots_.end());
  released_slots_.clear();
}

}  // namespace loghunt
