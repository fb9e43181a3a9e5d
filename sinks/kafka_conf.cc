#include "sinks/kafka_conf.h"

#include <spdlog/spdlog.h>

#include <map>
#include <memory>
#include <mutex>

#include "core/log_throttle.h"
#include "core/serialize.h"

namespace loghunt {
namespace {

// librdkafka's facilities are a fixed set of short names ("FAIL", "CONFWARN",
// ...); more than this many distinct ones share the last throttle.
constexpr size_t kMaxFacilities = 64;

LogThrottle& ThrottleFor(std::string_view facility) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<LogThrottle>, std::less<>> throttles;
  static LogThrottle overflow;
  std::lock_guard lock(mu);
  auto it = throttles.find(facility);
  if (it != throttles.end()) return *it->second;
  if (throttles.size() >= kMaxFacilities) return overflow;
  return *throttles.emplace(std::string(facility), std::make_unique<LogThrottle>()).first->second;
}

void LogKafkaLine(const rd_kafka_t* rk, int level, const char* facility, const char* buf) {
  uint64_t held_back = 0;
  if (!ThrottleFor(facility != nullptr ? facility : "").Allow(&held_back)) return;
  // syslog levels: 0-3 errors, 4 warnings, 5-6 notices and info, 7 debug.
  const spdlog::level::level_enum spd = level <= 3   ? spdlog::level::err
                                        : level == 4 ? spdlog::level::warn
                                        : level <= 6 ? spdlog::level::info
                                                     : spdlog::level::debug;
  const char* name = rk != nullptr ? rd_kafka_name(rk) : "librdkafka";
  std::string line = Printable(RedactKafkaLog(buf != nullptr ? buf : ""));
  if (held_back > 0) line += " (" + std::to_string(held_back) + " more held back)";
  spdlog::log(spd, "kafka {} {}: {}", name, facility != nullptr ? facility : "", line);
}

}  // namespace

rd_kafka_conf_t* NewKafkaConf() {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set_log_cb(conf, LogKafkaLine);
  return conf;
}

std::string RedactKafkaLog(std::string_view line) {
  std::string out;
  size_t at = 0;
  for (size_t to; (to = line.find("to `", at)) != std::string_view::npos;) {
    const size_t value = to + 4;
    const size_t close = line.find('`', value);
    out.append(line.substr(at, value - at));
    out.append("(hidden)");
    if (close == std::string_view::npos) return out;
    at = close;
  }
  out.append(line.substr(at));
  return out;
}

}  // namespace loghunt
