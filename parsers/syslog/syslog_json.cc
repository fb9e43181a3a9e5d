#include "parsers/syslog/syslog_json.h"

#include <cstdint>
#include <optional>

#include "core/text.h"
#include "core/time.h"
#include "parsers/json_error.h"

namespace loghunt {
namespace {

namespace od = simdjson::ondemand;
using sv = std::string_view;

enum Slot : uint8_t {
  kMessage,
  kHost,
  kProgram,
  kTag,  // "sshd[12]:" style, split into program and pid
  kPid,
  kTime,
  kRealtimeMicros,
  kPriority,
  kSeverity,
  kFacility,
  kMsgId,
  kStructuredData,
  kSlotCount,
  kNoSlot = kSlotCount,
};

struct KeySpec {
  sv key;
  Slot slot;
  uint8_t rank;  // lower wins
};

// Journald first (rank 0), then rsyslog, then generic names.
constexpr KeySpec kKeys[] = {
    {"MESSAGE", kMessage, 0},
    {"msg", kMessage, 1},
    {"message", kMessage, 2},
    {"_HOSTNAME", kHost, 0},
    {"hostname", kHost, 1},
    {"HOSTNAME", kHost, 1},
    {"host", kHost, 2},
    {"HOST", kHost, 2},
    {"fromhost", kHost, 3},
    {"SYSLOG_IDENTIFIER", kProgram, 0},
    {"programname", kProgram, 1},
    {"app-name", kProgram, 1},
    {"appname", kProgram, 1},
    {"app_name", kProgram, 1},
    {"program", kProgram, 1},
    {"PROGRAM", kProgram, 1},
    {"ident", kProgram, 2},
    {"_COMM", kProgram, 4},
    {"syslogtag", kTag, 0},
    {"tag", kTag, 1},
    {"SYSLOG_PID", kPid, 0},
    {"_PID", kPid, 1},
    {"procid", kPid, 1},
    {"pid", kPid, 2},
    {"PID", kPid, 2},
    {"__REALTIME_TIMESTAMP", kRealtimeMicros, 0},
    {"timereported", kTime, 0},
    {"ISODATE", kTime, 1},
    {"@timestamp", kTime, 2},
    {"timestamp", kTime, 2},
    {"time", kTime, 3},
    {"timegenerated", kTime, 4},
    {"pri", kPriority, 0},
    {"PRI", kPriority, 0},
    {"PRIORITY", kSeverity, 0},
    {"syslogseverity", kSeverity, 1},
    {"syslogseverity-text", kSeverity, 2},
    {"severity", kSeverity, 2},
    {"level", kSeverity, 3},
    {"SYSLOG_FACILITY", kFacility, 0},
    {"syslogfacility", kFacility, 1},
    {"syslogfacility-text", kFacility, 2},
    {"facility", kFacility, 2},
    {"msgid", kMsgId, 0},
    {"MSGID", kMsgId, 0},
    {"structured-data", kStructuredData, 0},
    {"structured_data", kStructuredData, 1},
};

const KeySpec* FindKey(sv key) {
  for (const auto& k : kKeys) {
    if (k.key == key) return &k;
  }
  return nullptr;
}

int SeverityFromText(sv s) {
  static constexpr sv kNames[] = {"emerg",   "alert",  "crit", "err",
                                  "warning", "notice", "info", "debug"};
  for (int i = 0; i < 8; ++i) {
    if (EqualsNoCase(s, kNames[i])) return i;
  }
  if (EqualsNoCase(s, "panic") || EqualsNoCase(s, "emergency")) return 0;
  if (EqualsNoCase(s, "critical")) return 2;
  if (EqualsNoCase(s, "error")) return 3;
  if (EqualsNoCase(s, "warn")) return 4;
  if (EqualsNoCase(s, "information")) return 6;
  return -1;
}

int FacilityFromText(sv s) {
  static constexpr sv kNames[] = {
      "kern", "user", "mail",     "daemon", "auth", "syslog",   "lpr",     "news",
      "uucp", "cron", "authpriv", "ftp",    "ntp",  "security", "console", "solaris-cron"};
  for (int i = 0; i < 16; ++i) {
    if (EqualsNoCase(s, kNames[i])) return i;
  }
  if (s.size() == 6 && StartsWithNoCase(s, "local") && s[5] >= '0' && s[5] <= '7') {
    return 16 + (s[5] - '0');
  }
  return -1;
}

// A number given as JSON number or string, within [lo, hi]; -1 otherwise.
int SmallInt(sv text, int lo, int hi) {
  auto v = ParseInt(Trim(text));
  return v && *v >= lo && *v <= hi ? static_cast<int>(*v) : -1;
}

// "sshd[12]:" -> "sshd", "12"; "java[main][12]:" -> "java", "12", as
// ParseSyslogFrame reads such a tag.
void SplitTag(sv tag, sv* program, sv* pid) {
  while (!tag.empty() && (tag.back() == ':' || tag.back() == ' ')) tag.remove_suffix(1);
  size_t open = tag.find('[');
  if (open != sv::npos && tag.back() == ']') {
    size_t last = tag.rfind('[');
    *pid = tag.substr(last + 1, tag.size() - last - 2);
    tag = tag.substr(0, open);
  }
  *program = tag;
}

// Epoch time as fluentd's in_syslog and other shippers write it: seconds
// with an optional fraction ("1705312800.123"), or milliseconds when the
// number is too large to be seconds (> 1e11, the year 5138). nullopt when it
// is not such a number or lies outside int64 nanoseconds.
std::optional<int64_t> ParseEpochTime(sv s) {
  size_t dot = s.find('.');
  sv whole = s.substr(0, dot), fraction = dot == sv::npos ? sv() : s.substr(dot + 1);
  if (whole.empty() || whole.size() > 18 || (dot != sv::npos && fraction.empty())) {
    return std::nullopt;
  }
  int64_t units = 0, frac_ns = 0, scale = 100'000'000;
  for (char c : whole) {
    if (c < '0' || c > '9') return std::nullopt;
    units = units * 10 + (c - '0');
  }
  for (char c : fraction) {
    if (c < '0' || c > '9') return std::nullopt;
    frac_ns += (c - '0') * scale;
    scale /= 10;
  }
  constexpr int64_t kMaxSeconds = INT64_MAX / kNanosPerSecond - 1;
  constexpr int64_t kMaxMillis = INT64_MAX / 1'000'000 - 1;
  if (units > 100'000'000'000) {
    if (units > kMaxMillis) return std::nullopt;
    return units * 1'000'000 + frac_ns / 1000;
  }
  if (units > kMaxSeconds || (units == 0 && frac_ns == 0)) return std::nullopt;
  return units * kNanosPerSecond + frac_ns;
}

bool LooksLikeSyslogLine(sv s) {
  if (s.size() < 16) return false;
  if (s[0] == '<') return true;
  if (ParseMonthAbbrev(s.substr(0, 3)) != 0 && s[3] == ' ') return true;
  return s[0] >= '0' && s[0] <= '9' && s[4] == '-' && s[10] == 'T';
}

}  // namespace

ParseError SyslogJsonDecoder::Decode(sv message, const SyslogClock& clock, SyslogFrame* f,
                                     Arena& arena) {
  const ParseError error = DecodeOnce(message, clock, f, arena);
  // One bad byte or lone surrogate hid the whole message: read once more
  // with them replaced by U+FFFD (as the winevent parser does).
  if (error == ParseError::kBadEncoding && RepairJsonText(message, &repaired_))
    return DecodeOnce(repaired_, clock, f, arena);
  return error;
}

ParseError SyslogJsonDecoder::DecodeOnce(sv message, const SyslogClock& clock, SyslogFrame* f,
                                         Arena& arena) {
  *f = SyslogFrame{};
  f->format = SyslogFormat::kJson;
  padded_.assign(message);
  padded_.append(simdjson::SIMDJSON_PADDING, '\0');
  od::document doc;
  if (auto err = parser_.iterate(padded_.data(), message.size(), padded_.size()).get(doc)) {
    return JsonParseError(err);
  }
  od::object obj;
  if (auto err = doc.get_object().get(obj)) {
    return err == simdjson::INCORRECT_TYPE ? ParseError::kUnsupported : JsonParseError(err);
  }
  sv values[kSlotCount];
  uint8_t ranks[kSlotCount];
  for (auto& r : ranks) r = 255;
  bool bad_type = false;

  auto take = [&](Slot slot, uint8_t rank, od::value value) -> simdjson::error_code {
    od::json_type type;
    if (auto err = value.type().get(type)) return err;
    sv text;
    if (type == od::json_type::string) {
      if (auto err = value.get_string().get(text)) return err;
    } else if (type == od::json_type::number) {
      if (slot == kMessage || slot == kHost) {
        bad_type = true;
        return simdjson::SUCCESS;
      }
      text = TrimRight(value.raw_json_token());
    } else if (type == od::json_type::array && slot == kMessage) {
      // journald: a MESSAGE that is not valid UTF-8 is exported as its bytes.
      od::array bytes;
      if (auto err = value.get_array().get(bytes)) return err;
      size_t cap = message.size();  // never more bytes than JSON characters
      char* out = arena.Allocate(cap);
      size_t n = 0;
      for (auto b : bytes) {
        uint64_t v;
        if (b.get_uint64().get(v) || v > 255 || n == cap) {
          bad_type = true;
          break;
        }
        out[n++] = static_cast<char>(v);
      }
      arena.Shrink(cap - n);
      text = sv(out, n);
    } else if (type == od::json_type::object && (slot == kHost || slot == kProgram)) {
      // ECS: host.{name,hostname}; process.{name,pid}.
      od::object inner;
      if (auto err = value.get_object().get(inner)) return err;
      for (auto field : inner) {
        sv key;
        if (auto err = field.unescaped_key().get(key)) return err;
        sv v;
        if (field.value().get_string().get(v)) continue;
        if (slot == kHost && (key == "name" || key == "hostname")) text = v;
        if (slot == kProgram && key == "name") text = v;
      }
      if (text.empty()) return simdjson::SUCCESS;
    } else if (type == od::json_type::null) {
      return simdjson::SUCCESS;
    } else {
      if (slot == kMessage) bad_type = true;
      return simdjson::SUCCESS;
    }
    if (rank < ranks[slot]) {
      ranks[slot] = rank;
      values[slot] = text;
    }
    return simdjson::SUCCESS;
  };

  for (auto field : obj) {
    sv key;
    if (auto err = field.unescaped_key().get(key)) return JsonParseError(err);
    const KeySpec* spec = FindKey(key);
    if (spec == nullptr) {
      if (key == "process") {
        // ECS process.{name,pid}: name is a program, pid a pid.
        od::object inner;
        if (field.value().get_object().get(inner)) continue;
        for (auto pf : inner) {
          sv pk;
          if (auto err = pf.unescaped_key().get(pk)) return JsonParseError(err);
          od::value pv;
          if (auto err = pf.value().get(pv)) return JsonParseError(err);
          if (pk == "name") {
            if (auto err = take(kProgram, 3, pv)) return JsonParseError(err);
          } else if (pk == "pid") {
            if (auto err = take(kPid, 3, pv)) return JsonParseError(err);
          }
        }
      }
      continue;  // On-Demand skips the value
    }
    od::value value;
    if (auto err = field.value().get(value)) return JsonParseError(err);
    if (auto err = take(spec->slot, spec->rank, value)) return JsonParseError(err);
  }
  // simdjson 3.0 On-Demand has no document::at_end(): text after the closing
  // brace ("{...}x") is not detected and is ignored.
  if (bad_type) return ParseError::kWrongType;
  if (ranks[kMessage] == 255) return ParseError::kMissingField;

  f->message = values[kMessage];
  f->hostname = values[kHost];
  f->app_name = values[kProgram];
  f->proc_id = values[kPid];
  if (ranks[kTag] != 255) {
    sv program, pid;
    SplitTag(values[kTag], &program, &pid);
    if (f->app_name.empty()) f->app_name = program;
    if (f->proc_id.empty()) f->proc_id = pid;
  }
  f->msg_id = values[kMsgId];
  if (values[kStructuredData] != "-") f->structured_data = values[kStructuredData];

  if (ranks[kPriority] != 255) {
    f->priority = SmallInt(values[kPriority], 0, 191);
    if (f->priority >= 0) {
      f->facility = f->priority / 8;
      f->severity = f->priority % 8;
    }
  }
  if (ranks[kSeverity] != 255 && f->severity < 0) {
    f->severity = SmallInt(values[kSeverity], 0, 7);
    if (f->severity < 0) f->severity = SeverityFromText(values[kSeverity]);
  }
  if (ranks[kFacility] != 255 && f->facility < 0) {
    f->facility = SmallInt(values[kFacility], 0, 23);
    if (f->facility < 0) f->facility = FacilityFromText(values[kFacility]);
  }
  if (f->priority < 0 && f->facility >= 0 && f->severity >= 0) {
    f->priority = f->facility * 8 + f->severity;
  }

  // A time that cannot be read leaves the timestamp unknown (0): one odd
  // field should not cost the whole message.
  if (ranks[kRealtimeMicros] != 255) {
    auto us = ParseInt(values[kRealtimeMicros]);
    if (us && *us > 0 && *us < INT64_MAX / 1000) f->timestamp_ns = *us * 1000;
  }
  if (f->timestamp_ns == 0 && ranks[kTime] != 255) {
    auto ns = ParseRfc3339(values[kTime], clock.utc_offset_seconds);
    if (!ns) ns = ParseEpochTime(Trim(values[kTime]));
    if (ns) f->timestamp_ns = *ns;
  }

  // A shipper that forwards whole syslog lines: let the line's frame fill in.
  if (f->app_name.empty() && LooksLikeSyslogLine(f->message)) {
    SyslogFrame inner;
    if (ParseSyslogFrame(f->message, clock, &inner) == ParseError::kNone) {
      f->app_name = inner.app_name;
      f->proc_id = inner.proc_id;
      f->msg_id = inner.msg_id;
      if (f->structured_data.empty()) f->structured_data = inner.structured_data;
      f->message = inner.message;
      f->message_had_bom = inner.message_had_bom;
      f->version = inner.version;
      if (f->hostname.empty()) f->hostname = inner.hostname;
      if (f->timestamp_ns == 0 && inner.timestamp_ns != 0) {
        f->timestamp_ns = inner.timestamp_ns;
        f->year_assumed = inner.year_assumed;
      }
      if (f->priority < 0 && inner.priority >= 0) {
        f->priority = inner.priority;
        f->facility = inner.facility;
        f->severity = inner.severity;
      }
    }
  }
  return ParseError::kNone;
}

}  // namespace loghunt
