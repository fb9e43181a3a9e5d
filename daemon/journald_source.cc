#include "daemon/journald_source.h"

#include <spdlog/spdlog.h>
#include <systemd/sd-journal.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/file.h"
#include "core/text.h"
#include "core/time.h"

namespace loghunt {
namespace {

// The value of FIELD in the current entry ("" when absent); valid until the next entry.
std::string_view Field(sd_journal* j, const char* field) {
  const void* data = nullptr;
  size_t len = 0;
  if (sd_journal_get_data(j, field, &data, &len) < 0) return {};
  std::string_view v(static_cast<const char*>(data), len);
  size_t eq = v.find('=');
  return eq == std::string_view::npos ? std::string_view{} : v.substr(eq + 1);
}

// PRIORITY is one digit 0..7 (systemd.journal-fields(7)); journalctl shows any
// other value, or none, as info (logs-show.c), and so does the line: masking
// it with 7 turned 12 into a warning and 8 into an emergency.
int Severity(std::string_view priority) {
  return priority.size() == 1 && priority[0] >= '0' && priority[0] <= '7' ? priority[0] - '0' : 6;
}

}  // namespace

std::unique_ptr<JournaldSource> JournaldSource::Open(const JournaldOptions& options,
                                                     std::string* error) {
  std::unique_ptr<JournaldSource> s(new JournaldSource());
  s->options_ = options;
  int rc;
  std::error_code ec;
  if (options.files.empty()) {
    rc = sd_journal_open(&s->journal_, SD_JOURNAL_LOCAL_ONLY);
  } else if (options.files.size() == 1 && std::filesystem::is_directory(options.files[0], ec)) {
    rc = sd_journal_open_directory(&s->journal_, options.files[0].c_str(), 0);
  } else {
    std::vector<const char*> paths;
    for (const auto& f : options.files) paths.push_back(f.c_str());
    paths.push_back(nullptr);
    rc = sd_journal_open_files(&s->journal_, paths.data(), 0);
  }
  if (rc < 0) {
    *error = std::string("journal") + (options.files.empty() ? "" : " " + options.files[0]) + ": " +
             std::strerror(-rc);
    return nullptr;
  }
  std::string saved;
  if (!options.cursor_file.empty()) {
    std::ifstream in(options.cursor_file);
    std::getline(in, saved);
  }
  if (!saved.empty() && sd_journal_seek_cursor(s->journal_, saved.c_str()) >= 0) {
    // seek_cursor lands on (or next to) the saved entry, which was handled.
    if (sd_journal_next(s->journal_) > 0 &&
        sd_journal_test_cursor(s->journal_, saved.c_str()) <= 0) {
      sd_journal_previous(s->journal_);
    }
    s->saved_ = saved;
  } else if (options.from_start) {
    sd_journal_seek_head(s->journal_);
  } else {
    sd_journal_seek_tail(s->journal_);
    sd_journal_previous(s->journal_);  // so that next() returns the first new entry
  }
  return s;
}

JournaldSource::~JournaldSource() {
  if (journal_ != nullptr) sd_journal_close(journal_);
}

bool JournaldSource::SavePosition() {
  if (options_.cursor_file.empty() || last_.second.empty()) return true;
  const int64_t unfinished = options_.oldest_unfinished ? options_.oldest_unfinished() : -1;
  const std::string* cursor = &last_.second;
  if (unfinished >= 0 && unfinished <= last_.first) {
    auto it = checkpoints_.lower_bound(unfinished);
    if (it == checkpoints_.begin()) return true;  // none handed over before it is kept
    cursor = &std::prev(it)->second;
    checkpoints_.erase(checkpoints_.begin(), std::prev(it));
  } else {
    checkpoints_.clear();  // every entry handed over is finished
    spacing_ = 1;
    since_checkpoint_ = 0;
  }
  if (*cursor == saved_) return true;
  std::string error;
  if (!WriteFileAtomically(options_.cursor_file, *cursor + "\n", &error)) {
    spdlog::error("journald: cannot save the cursor: {}", error);
    return false;
  }
  saved_ = *cursor;
  return true;
}

SourcePosition JournaldSource::PositionOf(std::string_view cursor) {
  // "s=SEQNUM_ID;i=SEQNUM(hex);b=...;m=...;t=...;x=..." (sd_journal_get_cursor).
  std::string_view id, seqnum;
  for (std::string_view rest = cursor; !rest.empty();) {
    size_t semi = rest.find(';');
    std::string_view field = rest.substr(0, semi);
    rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
    if (field.starts_with("s=")) id = field.substr(2);
    if (field.starts_with("i=")) seqnum = field.substr(2);
  }
  int64_t number = 0;
  if (seqnum.size() <= 15) {  // below 2^60: no overflow
    for (char c : seqnum) {
      int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (digit < 0) {
        number = 0;
        break;
      }
      number = number * 16 + digit;
    }
  }
  last_offset_ = number > last_offset_ ? number : last_offset_ + 1;
  std::string topic = "journald#" + std::string(id);
  auto it = topics_.find(topic);
  if (it == topics_.end()) it = topics_.insert(std::move(topic)).first;
  return SourcePosition{*it, -1, last_offset_};
}

void JournaldSource::AddCheckpoint(int64_t offset, std::string cursor) {
  if (!last_.second.empty() && ++since_checkpoint_ >= spacing_) {
    since_checkpoint_ = 0;
    checkpoints_.emplace(last_.first, std::move(last_.second));
    if (checkpoints_.size() > kMaxCheckpoints) {
      // A long backlog: every other one goes, and they are taken half as often.
      bool drop = false;
      for (auto it = checkpoints_.begin(); it != checkpoints_.end(); drop = !drop) {
        it = drop ? checkpoints_.erase(it) : std::next(it);
      }
      spacing_ *= 2;
    }
  }
  last_ = {offset, std::move(cursor)};
}

uint64_t JournaldSource::Run(const std::atomic<bool>& stop, bool follow,
                             const EntryHandler& handler, const std::function<void()>& idle) {
  std::string line;
  uint64_t n = 0;
  while (!stop) {
    int rc = sd_journal_next(journal_);
    if (rc < 0) {
      spdlog::error("journald: {}", std::strerror(-rc));
      break;
    }
    if (rc == 0) {
      if (!follow) break;
      SavePosition();
      sd_journal_wait(journal_, 250'000);  // µs: wake up to check `stop`
      if (idle) idle();
      continue;
    }
    line.clear();
    // SYSLOG_FACILITY is the facility's number; one outside 0..23 is user.
    int64_t facility = ParseInt(Field(journal_, "SYSLOG_FACILITY")).value_or(1);
    if (facility < 0 || facility > 23) facility = 1;
    line += "<" + std::to_string(facility * 8 + Severity(Field(journal_, "PRIORITY"))) + ">1 ";
    uint64_t usec = 0;
    if (sd_journal_get_realtime_usec(journal_, &usec) >= 0) {
      AppendRfc3339(static_cast<int64_t>(usec) * 1000, &line);
    } else {
      line.push_back('-');
    }
    line.push_back(' ');
    AppendRfc5424HeaderField(Field(journal_, "_HOSTNAME"), 255, &line);
    line.push_back(' ');
    std::string_view ident = Field(journal_, "SYSLOG_IDENTIFIER");
    AppendRfc5424HeaderField(ident.empty() ? Field(journal_, "_COMM") : ident, 48, &line);
    line.push_back(' ');
    AppendRfc5424HeaderField(Field(journal_, "_PID"), 128, &line);
    line += " - - ";
    std::string_view message = Field(journal_, "MESSAGE");
    for (char c : message) line.push_back(c == '\n' ? ' ' : c);  // one line per entry
    std::string cursor;
    char* c = nullptr;
    if (sd_journal_get_cursor(journal_, &c) >= 0) {
      cursor = c;
      free(c);
    }
    const SourcePosition position = PositionOf(cursor);
    handler(line, position);
    if (!cursor.empty()) AddCheckpoint(position.offset, std::move(cursor));
    if (++n % static_cast<uint64_t>(std::max(1, options_.save_every)) == 0) SavePosition();
  }
  SavePosition();
  return n;
}

}  // namespace loghunt
