#include "daemon/config.h"

#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <set>
#include <sstream>

#include "core/text.h"
#include "daemon/metrics.h"
#include "daemon/privileges.h"
#include "detectors/ioc/ioc_types.h"

namespace loghunt {
namespace {

// "IP:PORT" as the listeners and the metrics endpoint take it: an IPv4
// address, an IPv6 one in brackets, or nothing (all addresses), and a port.
bool IsListenAddress(std::string_view s) {
  size_t colon = s.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::string host(s.substr(0, colon));
  auto port = ParseInt(s.substr(colon + 1));
  if (!port || *port < 0 || *port > 65535) return false;
  if (host.empty()) return true;
  unsigned char addr[16];
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), addr) == 1;
  }
  return inet_pton(AF_INET, host.c_str(), addr) == 1;
}

// Collects "FILE:LINE: path: problem" lines while walking the YAML tree.
class ConfigReader {
 public:
  ConfigReader(std::string name, std::vector<std::string>* errors)
      : name_(std::move(name)), errors_(errors) {}

  void Error(const YAML::Node& node, const std::string& path, const std::string& problem) {
    int line = node.Mark().line >= 0 ? node.Mark().line + 1 : 0;
    errors_->push_back(name_ + ":" + std::to_string(line) + ": " + path + ": " + problem);
  }

  // Checks that `node` is a map whose keys are all in `allowed`.
  bool Map(const YAML::Node& node, const std::string& path,
           std::initializer_list<std::string_view> allowed) {
    if (!node.IsMap()) {
      Error(node, path, "expected a map");
      return false;
    }
    std::vector<std::string> seen;
    for (const auto& kv : node) {
      std::string key = kv.first.Scalar();
      // YAML forbids duplicate keys but yaml-cpp keeps the first silently.
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
        Error(kv.first, Join(path, key), "duplicate key");
      }
      seen.push_back(key);
      bool known = false;
      for (auto a : allowed) known = known || a == key;
      if (!known) {
        std::string hint;
        for (auto a : allowed) hint += (hint.empty() ? "" : ", ") + std::string(a);
        Error(kv.first, Join(path, key), "unknown key (expected one of: " + hint + ")");
      }
    }
    return true;
  }

  bool String(const YAML::Node& map, const std::string& path, const char* key, std::string* out) {
    YAML::Node n = map[key];
    if (!n) return false;
    if (!n.IsScalar()) {
      Error(n, Join(path, key), "expected a string");
      return false;
    }
    *out = n.Scalar();
    return true;
  }

  template <typename Int>
  bool Integer(const YAML::Node& map, const std::string& path, const char* key, Int* out,
               long long min, long long max) {
    YAML::Node n = map[key];
    if (!n) return false;
    long long v;
    if (!n.IsScalar() || !YAML::convert<long long>::decode(n, v)) {
      Error(n, Join(path, key), "expected an integer, got '" + Describe(n) + "'");
      return false;
    }
    if (v < min || v > max) {
      Error(n, Join(path, key),
            "must be between " + std::to_string(min) + " and " + std::to_string(max));
      return false;
    }
    *out = static_cast<Int>(v);
    return true;
  }

  bool Bool(const YAML::Node& map, const std::string& path, const char* key, bool* out) {
    YAML::Node n = map[key];
    if (!n) return false;
    bool v;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v)) {
      Error(n, Join(path, key), "expected true or false, got '" + Describe(n) + "'");
      return false;
    }
    *out = v;
    return true;
  }

  static std::string Join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

 private:
  static std::string Describe(const YAML::Node& n) {
    if (n.IsScalar()) return n.Scalar();
    if (n.IsMap()) return "a map";
    if (n.IsSequence()) return "a list";
    return "null";
  }

  std::string name_;
  std::vector<std::string>* errors_;
};

// "+HH:MM" / "-HH:MM" / "UTC" -> seconds east of UTC.
// Why `topic` cannot be a Kafka topic name ("" when it can): Kafka allows
// ASCII letters, digits, '.', '_' and '-', 1 to 249 of them, but not "." or
// "..". A producer refuses every message to such a topic at run time.
std::string KafkaTopicProblem(std::string_view topic) {
  if (topic.empty()) return "empty topic name";
  if (topic == "." || topic == "..") return "'" + std::string(topic) + "' is no Kafka topic name";
  if (topic.size() > 249) return "a Kafka topic name has at most 249 characters";
  for (char ch : topic) {
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == '-')) {
      return "'" + std::string(topic) +
             "' is no Kafka topic name (only letters, digits, '.', '_' and '-')";
    }
  }
  return "";
}

bool ParseUtcOffset(const std::string& text, int32_t* seconds) {
  if (text == "UTC" || text == "Z" || text == "+00:00") {
    *seconds = 0;
    return true;
  }
  if (text.size() != 6 || (text[0] != '+' && text[0] != '-') || text[3] != ':') return false;
  for (size_t i : {1u, 2u, 4u, 5u}) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  int h = (text[1] - '0') * 10 + (text[2] - '0');
  int m = (text[4] - '0') * 10 + (text[5] - '0');
  if (h > 18 || m > 59) return false;
  *seconds = (h * 3600 + m * 60) * (text[0] == '-' ? -1 : 1);
  return true;
}

void ReadParsers(ConfigReader& r, const YAML::Node& n, Config* c) {
  if (!r.Map(n, "parsers", {"utc_offset", "year", "max_message_bytes", "auditd"})) return;
  std::string offset;
  if (r.String(n, "parsers", "utc_offset", &offset) &&
      !ParseUtcOffset(offset, &c->parser.default_utc_offset_seconds)) {
    r.Error(n["utc_offset"], "parsers.utc_offset", "expected UTC or +HH:MM / -HH:MM");
  }
  r.Integer(n, "parsers", "year", &c->parser.default_year, 0, 9999);
  r.Integer(n, "parsers", "max_message_bytes", &c->max_message_bytes, 1024, 64LL << 20);
  if (YAML::Node a = n["auditd"]) {
    if (r.Map(a, "parsers.auditd", {"event_timeout_ms", "max_open_events"})) {
      r.Integer(a, "parsers.auditd", "event_timeout_ms", &c->parser.audit_event_timeout_ms, 0,
                3'600'000);
      r.Integer(a, "parsers.auditd", "max_open_events", &c->parser.audit_max_open_events, 1,
                1'000'000);
    }
  }
}

void ReadInputList(ConfigReader& r, const YAML::Node& n, const std::string& name,
                   std::vector<InputConfig>* out) {
  if (!n.IsSequence()) {
    r.Error(n, name, "expected a list");
    return;
  }
  std::set<std::string> position_files;
  for (size_t i = 0; i < n.size(); ++i) {
    std::string path = name + "[" + std::to_string(i) + "]";
    YAML::Node in = n[i];
    if (!r.Map(in, path,
               {"stream", "path", "type", "listen", "cursor_file", "from_start", "follow",
                "position_file", "max_connections", "max_connections_per_address",
                "frame_timeout_ms"}))
      continue;
    InputConfig input;
    r.String(in, path, "type", &input.type);
    const bool listener = input.type == "syslog_udp" || input.type == "syslog_tcp";
    if (input.type != "file" && !listener && input.type != "audisp" && input.type != "journald") {
      r.Error(in["type"], path + ".type",
              "unknown input type '" + input.type +
                  "' (file, syslog_udp, syslog_tcp, journald or audisp)");
    } else if (input.type != "file" && name != "inputs") {
      r.Error(in["type"], path + ".type", "only file inputs can be loaded here");
    }
    std::string stream;
    if (input.type == "audisp") {
      input.stream = Stream::kAuditd;  // auditd's plugin protocol is audit records, one per line
      input.path = "-";
      if (in["stream"] && r.String(in, path, "stream", &stream) && stream != "auditd") {
        r.Error(in["stream"], path + ".stream", "an audisp input is always auditd");
      }
    } else if (input.type != "file" && !in["stream"]) {
      input.stream = Stream::kSyslog;
    } else if (!r.String(in, path, "stream", &stream)) {
      r.Error(in, path + ".stream", "required (auditd, syslog or winevent)");
    } else if (!ParseStreamName(stream, &input.stream)) {
      r.Error(in["stream"], path + ".stream",
              "unknown stream '" + stream + "' (auditd, syslog or winevent)");
    }
    if (input.type == "file") {
      if (!r.String(in, path, "path", &input.path) || input.path.empty()) {
        r.Error(in, path + ".path", "required (a file, or - for stdin)");
      }
    } else if (input.type == "journald") {
      // A journal file or directory (journalctl --file/--directory): a
      // container's, or what systemd-journal-remote received.
      r.String(in, path, "path", &input.path);
    } else if (in["path"]) {
      r.Error(in["path"], path + ".path", "only used by a file or journald input");
    }
    if (listener) {
      if (!r.String(in, path, "listen", &input.listen) || !IsListenAddress(input.listen)) {
        r.Error(in["listen"] ? in["listen"] : in, path + ".listen",
                "required for a syslog listener: IP:PORT (e.g. 127.0.0.1:5514, [::1]:5514, "
                ":5514 for every address)");
      }
    } else if (in["listen"]) {
      r.Error(in["listen"], path + ".listen", "only used by syslog_udp / syslog_tcp inputs");
    }
    if (input.type == "syslog_tcp") {
      r.Integer(in, path, "max_connections", &input.max_connections, 1, 65'536);
      if (r.Integer(in, path, "max_connections_per_address", &input.max_connections_per_address, 0,
                    65'536) &&
          input.max_connections_per_address > input.max_connections) {
        r.Error(in["max_connections_per_address"], path + ".max_connections_per_address",
                "must not exceed max_connections (" + std::to_string(input.max_connections) + ")");
      }
      r.Integer(in, path, "frame_timeout_ms", &input.frame_timeout_ms, 100, 3'600'000);
    } else {
      for (const char* key :
           {"max_connections", "max_connections_per_address", "frame_timeout_ms"}) {
        if (in[key]) r.Error(in[key], path + "." + key, "only used by a syslog_tcp input");
      }
    }
    if (input.type == "file") {
      r.Bool(in, path, "follow", &input.follow);
      if (input.follow && input.path == "-") {
        r.Error(in["follow"], path + ".follow", "a followed input is a file, not stdin (-)");
      } else if (input.follow && name != "inputs") {
        r.Error(in["follow"], path + ".follow", "only inputs of `run` are followed");
      }
    } else if (in["follow"]) {
      r.Error(in["follow"], path + ".follow", "only used by a file input");
    }
    if (input.type == "journald") {
      r.String(in, path, "cursor_file", &input.cursor_file);
    } else if (in["cursor_file"]) {
      r.Error(in["cursor_file"], path + ".cursor_file", "only used by a journald input");
    }
    if (input.follow) {
      r.String(in, path, "position_file", &input.position_file);
      if (!input.position_file.empty() && !position_files.insert(input.position_file).second) {
        r.Error(in["position_file"], path + ".position_file",
                "used by another input too (each followed file needs its own)");
      }
    } else if (in["position_file"]) {
      r.Error(in["position_file"], path + ".position_file",
              "only used by a followed file input (follow: true)");
    }
    if (input.type == "journald" || input.follow) {
      r.Bool(in, path, "from_start", &input.from_start);
    } else if (in["from_start"]) {
      r.Error(in["from_start"], path + ".from_start",
              "only used by a journald or a followed file input");
    }
    out->push_back(std::move(input));
  }
}

// detectors.intel and detectors.ancestry (docs/intel.md, docs/context.md).
void ReadIntel(ConfigReader& r, const YAML::Node& n, Config* c) {
  if (YAML::Node in = n["intel"]) {
    const std::string p = "detectors.intel";
    if (r.Map(in, p, {"enabled", "scan_text", "feeds"})) {
      r.Bool(in, p, "enabled", &c->intel.enabled);
      r.Bool(in, p, "scan_text", &c->intel.scan_text);
      YAML::Node feeds = in["feeds"];
      if (feeds && !feeds.IsSequence()) r.Error(feeds, p + ".feeds", "expected a list of feeds");
      // Names tell feeds apart in alerts, metrics and logs (and a feed that
      // fails to load is the one named).
      std::set<std::string> names;
      auto unique_name = [&](const YAML::Node& f, const std::string& fp, const std::string& name) {
        if (!name.empty() && !names.insert(name).second)
          r.Error(f["name"], fp + ".name", "duplicate feed name '" + name + "'");
      };
      for (size_t i = 0; feeds && feeds.IsSequence() && i < feeds.size(); ++i) {
        const std::string fp = p + ".feeds[" + std::to_string(i) + "]";
        const YAML::Node f = feeds[i];
        std::string format = "list";
        if (f.IsMap()) r.String(f, fp, "format", &format);
        if (format == "kafka") {
          if (!r.Map(f, fp,
                     {"name", "format", "topic", "brokers", "confidence", "max_indicators",
                      "load_timeout_ms", "drop_expired_after_s"})) {
            continue;
          }
          KafkaFeedConfig feed;
          r.String(f, fp, "name", &feed.name);
          if (r.String(f, fp, "topic", &feed.topic) && !feed.topic.empty()) {
            if (std::string why = KafkaTopicProblem(feed.topic); !why.empty())
              r.Error(f["topic"], fp + ".topic", why);
          }
          r.String(f, fp, "brokers", &feed.brokers);
          r.Integer(f, fp, "confidence", &feed.confidence, 0, 100);
          r.Integer(f, fp, "max_indicators", &feed.max_indicators, 1, 100'000'000);
          r.Integer(f, fp, "load_timeout_ms", &feed.load_timeout_ms, 0, 600'000);
          r.Integer(f, fp, "drop_expired_after_s", &feed.drop_expired_after_s, 0,
                    int64_t{10} * 365 * 86400);
          if (feed.name.empty()) r.Error(f, fp + ".name", "required");
          unique_name(f, fp, feed.name);
          if (feed.topic.empty()) r.Error(f, fp + ".topic", "required");
          if (feed.brokers.empty() && c->kafka.brokers.empty() && !c->kafka.embedded)
            r.Error(f, fp + ".brokers", "required when kafka.brokers is not set");
          c->intel.kafka_feeds.push_back(std::move(feed));
          continue;
        }
        if (!r.Map(f, fp, {"name", "path", "format", "type", "columns", "header", "confidence"}))
          continue;
        FeedConfig feed;
        r.String(f, fp, "name", &feed.name);
        r.String(f, fp, "path", &feed.path);
        if (!ParseFeedFormat(format, &feed.format)) {
          r.Error(f["format"], fp + ".format",
                  "unknown format '" + format + "' (list, csv, stix, misp, kafka)");
        }
        r.String(f, fp, "type", &feed.type);
        if (feed.type != "auto" && !ParseIndicatorType(feed.type)) {
          r.Error(
              f["type"], fp + ".type",
              "unknown indicator type '" + feed.type + "' (auto, ip, network, domain, url, hash)");
        }
        r.Bool(f, fp, "header", &feed.csv_header);
        r.Integer(f, fp, "confidence", &feed.confidence, 0, 100);
        if (YAML::Node cols = f["columns"]) {
          const std::string cp = fp + ".columns";
          if (r.Map(cols, cp, {"value", "type", "description", "confidence", "expires"})) {
            r.String(cols, cp, "value", &feed.columns.value);
            r.String(cols, cp, "type", &feed.columns.type);
            r.String(cols, cp, "description", &feed.columns.description);
            r.String(cols, cp, "confidence", &feed.columns.confidence);
            r.String(cols, cp, "expires", &feed.columns.expires);
          }
        }
        if (feed.name.empty()) r.Error(f, fp + ".name", "required");
        unique_name(f, fp, feed.name);
        if (feed.path.empty()) r.Error(f, fp + ".path", "required");
        c->intel.feeds.push_back(std::move(feed));
      }
      if (c->intel.enabled && c->intel.feeds.empty() && c->intel.kafka_feeds.empty())
        r.Error(in, p + ".feeds", "required when enabled");
    }
  }
  if (YAML::Node geo = n["geoip"]) {
    const std::string p = "detectors.geoip";
    if (r.Map(geo, p, {"enabled", "city_db", "asn_db"})) {
      r.Bool(geo, p, "enabled", &c->geoip.enabled);
      r.String(geo, p, "city_db", &c->geoip.city_db);
      r.String(geo, p, "asn_db", &c->geoip.asn_db);
      if (c->geoip.enabled && c->geoip.city_db.empty() && c->geoip.asn_db.empty()) {
        r.Error(geo, p, "city_db or asn_db required when enabled");
      }
    }
  }
  if (YAML::Node an = n["ancestry"]) {
    const std::string p = "detectors.ancestry";
    ProcessTableOptions& t = c->ancestry.table;
    if (r.Map(an, p,
              {"enabled", "max_depth", "max_hosts", "max_processes_per_host", "max_processes",
               "max_bytes"})) {
      r.Bool(an, p, "enabled", &c->ancestry.enabled);
      r.Integer(an, p, "max_depth", &t.max_depth, 1, 64);
      r.Integer(an, p, "max_hosts", &t.max_hosts, 1, 10'000'000);
      r.Integer(an, p, "max_processes_per_host", &t.max_processes_per_host, 1, 100'000'000);
      r.Integer(an, p, "max_processes", &t.max_processes, 1, 1'000'000'000);
      r.Integer(an, p, "max_bytes", &t.max_bytes, 1 << 20, 1LL << 40);
    }
  }
}

void ReadDetectors(ConfigReader& r, const YAML::Node& n, Config* c) {
  if (!r.Map(n, "detectors",
             {"sigma", "command_burst", "risky_sudo_session", "risky_command", "cluster", "ioc",
              "intel", "ancestry", "geoip"}))
    return;
  ReadIntel(r, n, c);
  if (YAML::Node io = n["ioc"]) {
    const std::string p = "detectors.ioc";
    if (r.Map(io, p, {"enabled", "drop_ip_classes", "max_decode_depth", "decode_byte_budget"})) {
      r.Bool(io, p, "enabled", &c->ioc.enabled);
      r.Integer(io, p, "max_decode_depth", &c->ioc.max_decode_depth, 1, 64);
      r.Integer(io, p, "decode_byte_budget", &c->ioc.decode_byte_budget, 1024, 256LL << 20);
      if (YAML::Node drop = io["drop_ip_classes"]) {
        if (!drop.IsSequence()) {
          r.Error(drop, p + ".drop_ip_classes", "expected a list of IP classes");
        } else {
          for (size_t i = 0; i < drop.size(); ++i) {
            std::string name = drop[i].IsScalar() ? drop[i].Scalar() : "";
            if (!ParseIpClass(name)) {
              r.Error(drop[i], p + ".drop_ip_classes[" + std::to_string(i) + "]",
                      "unknown IP class '" + name +
                          "' (public, private, loopback, link_local, multicast, reserved)");
            } else {
              c->ioc.drop_ip_classes.push_back(name);
            }
          }
        }
      }
    }
  }
  if (YAML::Node rc = n["risky_command"]) {
    if (r.Map(rc, "detectors.risky_command", {"enabled"})) {
      r.Bool(rc, "detectors.risky_command", "enabled", &c->risky_command_enabled);
    }
  }
  for (const char* key : {"command_burst", "risky_sudo_session"}) {
    YAML::Node b = n[key];
    if (!b) continue;
    const std::string p = std::string("detectors.") + key;
    MsticpySudoConfig& k =
        std::string_view(key) == "command_burst" ? c->command_burst : c->risky_sudo_session;
    if (r.Map(b, p, {"enabled", "events", "seconds"})) {
      r.Bool(b, p, "enabled", &k.enabled);
      r.Integer(b, p, "events", &k.events, 1, 10'000);
      r.Integer(b, p, "seconds", &k.seconds, 1, 86'400);
    }
  }
  if (YAML::Node sg = n["sigma"]) {
    const std::string p = "detectors.sigma";
    if (r.Map(sg, p, {"enabled", "rules", "mappings"})) {
      r.Bool(sg, p, "enabled", &c->sigma.enabled);
      r.String(sg, p, "mappings", &c->sigma.mappings);
      if (YAML::Node rules = sg["rules"]) {
        if (rules.IsScalar() && !rules.Scalar().empty()) {
          c->sigma.rules.push_back(rules.Scalar());
        } else if (rules.IsSequence()) {
          for (size_t i = 0; i < rules.size(); ++i) {
            if (!rules[i].IsScalar() || rules[i].Scalar().empty()) {
              r.Error(rules[i], p + ".rules[" + std::to_string(i) + "]", "expected a path");
            } else {
              c->sigma.rules.push_back(rules[i].Scalar());
            }
          }
        } else {
          r.Error(rules, p + ".rules", "expected a path or a list of paths");
        }
      }
      if (c->sigma.enabled && c->sigma.rules.empty()) {
        r.Error(sg, p + ".rules", "required when enabled (rule files or directories)");
      }
    }
  }
  if (YAML::Node cl = n["cluster"]) {
    const std::string p = "detectors.cluster";
    ClusterDetectorConfig& k = c->cluster;
    if (r.Map(cl, p,
              {"enabled", "warmup_events", "warmup_seconds", "rare_count", "window_seconds",
               "max_patterns_per_host", "max_hosts", "max_patterns_total", "alert_on_messages",
               "snapshot_path", "snapshot_interval_seconds"})) {
      r.Bool(cl, p, "enabled", &k.enabled);
      r.Integer(cl, p, "warmup_events", &k.warmup_events, 0, 1'000'000'000);
      r.Integer(cl, p, "warmup_seconds", &k.warmup_seconds, 0, 365LL * 86400);
      r.Integer(cl, p, "rare_count", &k.rare_count, 1, 1'000'000);
      r.Integer(cl, p, "window_seconds", &k.window_seconds, 1, 365LL * 86400);
      r.Integer(cl, p, "max_patterns_per_host", &k.max_patterns_per_host, 1, 100'000'000);
      r.Integer(cl, p, "max_hosts", &k.max_hosts, 1, 10'000'000);
      r.Integer(cl, p, "max_patterns_total", &k.max_patterns_total, 1, 1'000'000'000);
      r.Bool(cl, p, "alert_on_messages", &k.alert_on_messages);
      r.String(cl, p, "snapshot_path", &k.snapshot_path);
      r.Integer(cl, p, "snapshot_interval_seconds", &k.snapshot_interval_seconds, 1, 86400);
    }
  }
}

// "${env:NAME}" / "${file:PATH}" -> the secret; anything else unchanged.
bool ResolveSecret(const std::string& value, std::string* out, std::string* problem) {
  if (value.rfind("${env:", 0) == 0 && value.back() == '}') {
    std::string name = value.substr(6, value.size() - 7);
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) {
      *problem = "environment variable " + name + " is not set";
      return false;
    }
    *out = v;
    return true;
  }
  if (value.rfind("${file:", 0) == 0 && value.back() == '}') {
    std::string path = value.substr(7, value.size() - 8);
    std::ifstream in(path);
    if (!in) {
      *problem = "cannot read secret file " + path;
      return false;
    }
    std::stringstream text;
    text << in.rdbuf();
    *out = text.str();
    while (!out->empty() && (out->back() == '\n' || out->back() == '\r')) out->pop_back();
    return true;
  }
  *out = value;
  return true;
}

void ReadKafka(ConfigReader& r, const YAML::Node& n, Config* c) {
  KafkaConfig& k = c->kafka;
  k.enabled = true;
  if (!r.Map(n, "kafka",
             {"brokers", "group_id", "topics", "dead_letter_topic", "commit_interval_ms", "workers",
              "worker_queue_max_messages", "properties", "embedded"})) {
    return;
  }
  r.String(n, "kafka", "brokers", &k.brokers);
  r.String(n, "kafka", "group_id", &k.group_id);
  if (r.String(n, "kafka", "dead_letter_topic", &k.dead_letter_topic) &&
      !k.dead_letter_topic.empty()) {
    if (std::string why = KafkaTopicProblem(k.dead_letter_topic); !why.empty())
      r.Error(n["dead_letter_topic"], "kafka.dead_letter_topic", why);
  }
  r.Integer(n, "kafka", "commit_interval_ms", &k.commit_interval_ms, 100, 3'600'000);
  r.Integer(n, "kafka", "workers", &k.workers, 1, 256);
  // Also librdkafka's queued.min.messages (kafka_source.cc), whose maximum is 10,000,000.
  r.Integer(n, "kafka", "worker_queue_max_messages", &k.worker_queue_max_messages, 100, 10'000'000);
  if (YAML::Node t = n["topics"]) {
    if (r.Map(t, "kafka.topics", {"auditd", "syslog", "winevent"})) {
      for (const auto& kv : t) {
        Stream stream;
        if (!ParseStreamName(kv.first.Scalar(), &stream)) continue;
        std::string path = "kafka.topics." + kv.first.Scalar();
        auto& list = k.topics[static_cast<size_t>(stream)];
        auto add = [&](const YAML::Node& item) {
          if (std::string why = KafkaTopicProblem(item.Scalar()); !why.empty())
            r.Error(item, path, why);
          list.push_back(item.Scalar());
        };
        if (kv.second.IsScalar()) {
          add(kv.second);
        } else if (kv.second.IsSequence()) {
          for (const auto& item : kv.second) {
            if (item.IsScalar()) {
              add(item);
            } else {
              r.Error(item, path, "expected a topic name");
            }
          }
        } else {
          r.Error(kv.second, path, "expected a topic name or a list of them");
        }
      }
    }
  }
  if (YAML::Node p = n["properties"]) {
    if (!p.IsMap()) {
      r.Error(p, "kafka.properties", "expected a map of librdkafka properties");
    } else {
      std::set<std::string> seen;
      for (const auto& kv : p) {
        std::string key = kv.first.Scalar();
        std::string value, problem;
        if (!seen.insert(key).second) {
          r.Error(kv.first, "kafka.properties." + key, "duplicate key");
        } else if (!kv.second.IsScalar()) {
          r.Error(kv.second, "kafka.properties." + key, "expected a scalar value");
        } else if (!ResolveSecret(kv.second.Scalar(), &value, &problem)) {
          r.Error(kv.second, "kafka.properties." + key, problem);
        } else {
          k.properties.emplace_back(key, value);
        }
      }
    }
  }
  if (YAML::Node e = n["embedded"]) {
    if (r.Map(e, "kafka.embedded", {"enabled", "partitions", "load"})) {
      r.Bool(e, "kafka.embedded", "enabled", &k.embedded);
      r.Integer(e, "kafka.embedded", "partitions", &k.embedded_partitions, 1, 1000);
      if (YAML::Node l = e["load"]) ReadInputList(r, l, "kafka.embedded.load", &k.embedded_load);
    }
  }
  bool any_topic = false;
  for (const auto& list : k.topics) any_topic = any_topic || !list.empty();
  if (!any_topic)
    r.Error(n, "kafka.topics", "required: at least one topic for auditd, syslog or winevent");
  if (k.brokers.empty() && !k.embedded)
    r.Error(n, "kafka.brokers", "required unless embedded.enabled is true");
}

// Keys of the http and syslog sinks (each only valid for its type).
#define HTTP_SINK_KEYS                                                                         \
  "url", "preset", "headers", "token", "index", "batch_max_alerts", "batch_max_bytes",         \
      "linger_ms", "queue_max_alerts", "enqueue_timeout_ms", "timeout_ms", "retry_initial_ms", \
      "retry_max_ms", "max_retries", "flush_timeout_ms", "tls_verify", "ca_file"
#define SYSLOG_SINK_KEYS \
  "transport", "address", "facility", "app_name", "hostname", "max_message_bytes"

// Reports keys of `keys` present in `s` as belonging to another sink type.
void RejectKeys(ConfigReader& r, const YAML::Node& s, const std::string& path,
                std::initializer_list<std::string_view> keys, const char* owner,
                std::initializer_list<std::string_view> except = {}) {
  for (auto key : keys) {
    bool shared = false;
    for (auto e : except) shared = shared || e == key;
    if (shared) continue;
    std::string k(key);
    if (s[k]) r.Error(s[k], path + "." + k, std::string("only used by ") + owner);
  }
}

void ReadHttpSink(ConfigReader& r, const YAML::Node& s, const std::string& path, SinkConfig* sink) {
  if (sink->type != "http") {
    // timeout_ms is shared with the syslog sink and checked there.
    RejectKeys(r, s, path, {HTTP_SINK_KEYS}, "an http sink", {"timeout_ms"});
    return;
  }
  HttpSinkOptions& h = sink->http;
  h.format = sink->format;
  std::string error, url, url_problem;
  if (!r.String(s, path, "url", &url) || url.empty()) {
    r.Error(s, path + ".url", "required for an http sink (http://HOST[:PORT]/PATH or https://...)");
  } else if (!ResolveSecret(url, &h.url, &url_problem)) {
    r.Error(s["url"], path + ".url", url_problem);  // a webhook's url is its secret
  } else if (!CheckHttpUrl(h.url, &url_problem)) {
    r.Error(s["url"], path + ".url", url_problem);
  }
  std::string preset;
  if (r.String(s, path, "preset", &preset) && !ParseHttpPreset(preset, &h.preset)) {
    r.Error(s["preset"], path + ".preset",
            "expected webhook, webhook_ndjson, elasticsearch, opensearch or splunk_hec");
  }
  std::string token, problem;
  if (r.String(s, path, "token", &token)) {
    // It goes into the Authorization header: a CR LF (a ${file:} with two
    // lines, an ${env:} set by hand) started another header on the wire.
    if (!ResolveSecret(token, &h.token, &problem)) {
      r.Error(s["token"], path + ".token", problem);
    } else if (h.token.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      r.Error(s["token"], path + ".token", "a token cannot hold CR, LF or NUL");
    }
  }
  if (h.preset == HttpPreset::kSplunkHec && !s["token"]) {
    r.Error(s, path + ".token", "required for the splunk_hec preset");
  }
  if (YAML::Node hd = s["headers"]) {
    if (!hd.IsMap()) {
      r.Error(hd, path + ".headers", "expected a map of header names to values");
    } else {
      std::set<std::string> seen;
      for (const auto& kv : hd) {
        std::string key = kv.first.Scalar(), value;
        std::string lower = key;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        // RFC 9110 5.1 token characters; a value without CR, LF or NUL (one
        // went to the wire as is and started another header).
        const bool name_ok = !key.empty() && key.find_first_not_of(
                                                 "!#$%&'*+-.^_`|~0123456789"
                                                 "abcdefghijklmnopqrstuvwxyz"
                                                 "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == std::string::npos;
        if (!name_ok) {
          r.Error(kv.first, path + ".headers." + key, "not a header name (RFC 9110 token)");
        } else if (!seen.insert(lower).second) {  // header names are case-insensitive
          r.Error(kv.first, path + ".headers." + key, "duplicate header");
        } else if (!kv.second.IsScalar()) {
          r.Error(kv.second, path + ".headers." + key, "expected a string");
        } else if (!ResolveSecret(kv.second.Scalar(), &value, &problem)) {
          r.Error(kv.second, path + ".headers." + key, problem);
        } else if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
          r.Error(kv.second, path + ".headers." + key, "a header value cannot hold CR, LF or NUL");
        } else {
          h.headers.emplace_back(key, value);
        }
      }
    }
  }
  r.String(s, path, "index", &h.index);
  r.Integer(s, path, "batch_max_alerts", &h.batch_max_alerts, 1, 100'000);
  r.Integer(s, path, "batch_max_bytes", &h.batch_max_bytes, 1024, 256LL << 20);
  r.Integer(s, path, "linger_ms", &h.linger_ms, 0, 60'000);
  r.Integer(s, path, "queue_max_alerts", &h.queue_max_alerts, 1, 10'000'000);
  r.Integer(s, path, "enqueue_timeout_ms", &h.enqueue_timeout_ms, -1, 3'600'000);
  r.Integer(s, path, "timeout_ms", &h.timeout_ms, 100, 600'000);
  r.Integer(s, path, "retry_initial_ms", &h.retry_initial_ms, 1, 600'000);
  r.Integer(s, path, "retry_max_ms", &h.retry_max_ms, 1, 3'600'000);
  r.Integer(s, path, "max_retries", &h.max_retries, 0, 1'000'000);
  r.Integer(s, path, "flush_timeout_ms", &h.flush_timeout_ms, 0, 3'600'000);
  r.Bool(s, path, "tls_verify", &h.tls_verify);
  if (r.String(s, path, "ca_file", &h.ca_file) && !h.ca_file.empty()) {
    // Checked here, not first when the sink starts (which said only "TLS
    // trust store: asio.ssl error").
    std::ifstream ca(h.ca_file);
    std::string problem;
    if (!ca) {
      r.Error(s["ca_file"], path + ".ca_file", "cannot be read: " + h.ca_file);
    } else if (!CheckCaFile(h.ca_file, &problem)) {
      r.Error(s["ca_file"], path + ".ca_file", problem);
    }
  }
  if (h.retry_max_ms < h.retry_initial_ms) {
    r.Error(s["retry_max_ms"] ? s["retry_max_ms"] : s, path + ".retry_max_ms",
            "must not be below retry_initial_ms");
  }
}

void ReadSyslogSink(ConfigReader& r, const YAML::Node& s, const std::string& path,
                    SinkConfig* sink) {
  if (sink->type != "syslog") {
    RejectKeys(r, s, path, {SYSLOG_SINK_KEYS}, "a syslog sink");
    if (sink->type != "http" && s["timeout_ms"]) {
      r.Error(s["timeout_ms"], path + ".timeout_ms", "only used by an http or syslog sink");
    }
    return;
  }
  SyslogSinkOptions& o = sink->syslog;
  o.format = sink->format;
  std::string transport = "udp";
  if (r.String(s, path, "transport", &transport) &&
      !ParseSyslogTransport(transport, &o.transport)) {
    r.Error(s["transport"], path + ".transport", "expected udp, tcp or unix");
  }
  bool has_address = r.String(s, path, "address", &o.address) && !o.address.empty();
  if (!has_address && o.transport == SyslogTransport::kUnix) {
    o.address = "/dev/log";
  } else if (!has_address) {
    r.Error(s, path + ".address", "required for a udp or tcp syslog sink (HOST:PORT)");
  } else if (o.transport != SyslogTransport::kUnix) {
    size_t colon = o.address.rfind(':');
    auto port = colon == std::string::npos
                    ? std::nullopt
                    : ParseInt(std::string_view(o.address).substr(colon + 1));
    if (!port || *port < 1 || *port > 65535) {
      r.Error(s["address"], path + ".address", "expected HOST:PORT, got '" + o.address + "'");
    }
  }
  std::string facility;
  if (r.String(s, path, "facility", &facility) && !ParseSyslogFacility(facility, &o.facility)) {
    r.Error(s["facility"], path + ".facility",
            "unknown facility '" + facility +
                "' (kern, user, daemon, auth, authpriv, local0..local7, ...)");
  }
  r.String(s, path, "app_name", &o.app_name);
  r.String(s, path, "hostname", &o.hostname);
  r.Integer(s, path, "timeout_ms", &o.timeout_ms, 100, 600'000);
  r.Integer(s, path, "max_message_bytes", &o.max_message_bytes, 480, 65'507);
}

void ReadSuppression(ConfigReader& r, const YAML::Node& n, Config* c) {
  SuppressionOptions& o = c->suppression;
  if (!r.Map(n, "suppression", {"enabled", "window_seconds", "max_keys", "max_distinct_values"})) {
    return;
  }
  o.enabled = true;  // the section is present; enabled: false turns it off
  r.Bool(n, "suppression", "enabled", &o.enabled);
  r.Integer(n, "suppression", "window_seconds", &o.window_seconds, 1, 7 * 86'400);
  r.Integer(n, "suppression", "max_keys", &o.max_keys, 1, 10'000'000);
  r.Integer(n, "suppression", "max_distinct_values", &o.max_distinct_values, 0, 1000);
}

void ReadSinks(ConfigReader& r, const YAML::Node& n, Config* c) {
  if (!n.IsSequence()) {
    r.Error(n, "sinks", "expected a list");
    return;
  }
  for (size_t i = 0; i < n.size(); ++i) {
    std::string path = "sinks[" + std::to_string(i) + "]";
    YAML::Node s = n[i];
    if (!r.Map(s, path,
               {"type", "path", "topic", "format", "fsync", HTTP_SINK_KEYS, SYSLOG_SINK_KEYS})) {
      continue;
    }
    SinkConfig sink;
    if (!r.String(s, path, "type", &sink.type)) {
      r.Error(s, path + ".type", "required (stdout, file, kafka, http or syslog)");
    } else if (sink.type != "stdout" && sink.type != "file" && sink.type != "kafka" &&
               sink.type != "http" && sink.type != "syslog") {
      r.Error(s["type"], path + ".type",
              "unknown sink type '" + sink.type + "' (stdout, file, kafka, http or syslog)");
    }
    bool has_topic = r.String(s, path, "topic", &sink.topic);
    if (sink.type == "kafka" && !c->kafka.enabled) {
      // Its brokers come from there; without any, run waited for ever on the
      // first alert, also after SIGTERM.
      r.Error(s["type"], path + ".type",
              "a kafka sink needs the kafka section (its brokers; run then consumes from Kafka)");
    }
    if (sink.type == "kafka" && (!has_topic || sink.topic.empty())) {
      r.Error(s, path + ".topic", "required for a kafka sink");
    } else if (sink.type == "kafka" && !KafkaTopicProblem(sink.topic).empty()) {
      r.Error(s["topic"], path + ".topic", KafkaTopicProblem(sink.topic));
    } else if (sink.type != "kafka" && has_topic) {
      r.Error(s["topic"], path + ".topic", "only used by a kafka sink");
    }
    std::string format;
    if (r.String(s, path, "format", &format) && !ParseAlertFormat(format, &sink.format)) {
      r.Error(s["format"], path + ".format", "expected json, text or ocsf");
    }
    r.Bool(s, path, "fsync", &sink.fsync);
    bool has_path = r.String(s, path, "path", &sink.path);
    if (sink.type == "file" && (!has_path || sink.path.empty())) {
      r.Error(s, path + ".path", "required for a file sink");
    } else if (sink.type != "file" && has_path) {
      r.Error(s["path"], path + ".path", "only used by a file sink");
    }
    ReadHttpSink(r, s, path, &sink);
    ReadSyslogSink(r, s, path, &sink);
    c->sinks.push_back(std::move(sink));
  }
}

}  // namespace

bool LoadConfigText(const std::string& text, const std::string& name, Config* config,
                    std::vector<std::string>* errors) {
  *config = Config{};
  config->source = name;
  errors->clear();
  ConfigReader r(name, errors);
  YAML::Node root;
  try {
    std::vector<YAML::Node> documents = YAML::LoadAll(text);
    if (documents.size() > 1) {
      // Only the first would be read: the rest would go unchecked and unused.
      r.Error(documents[1], "(document)", "a second YAML document ('---'); a config is one");
      return false;
    }
    if (!documents.empty()) root = documents[0];
  } catch (const YAML::ParserException& e) {
    errors->push_back(name + ":" + std::to_string(e.mark.line + 1) + ": (document): " + e.msg);
    return false;
  }
  if (root.IsNull()) return true;  // empty file: all defaults
  if (!r.Map(root, "",
             {"parsers", "inputs", "kafka", "detectors", "sinks", "metrics", "suppression",
              "run_as"})) {
    return false;
  }
  if (root["run_as"] && r.String(root, "", "run_as", &config->run_as)) {
    if (root["kafka"]) {
      r.Error(root["run_as"], "run_as",
              "only outside Kafka mode (run the service as the user: loghuntd.service does)");
    } else if (config->run_as.empty() || !UserExists(config->run_as)) {
      r.Error(root["run_as"], "run_as", "no user '" + config->run_as + "' on this machine");
    }
  }
  if (YAML::Node m = root["metrics"]) {
    if (r.Map(m, "metrics", {"listen"}) &&
        r.String(m, "metrics", "listen", &config->metrics_listen) &&
        !config->metrics_listen.empty() && !Metrics::IsListenAddress(config->metrics_listen)) {
      r.Error(m["listen"], "metrics.listen",
              "expected IPv4:PORT (e.g. 127.0.0.1:9464), :PORT (every IPv4 address) or \"\" "
              "(the metrics server has no IPv6)");
    }
  }
  if (YAML::Node n = root["parsers"]) ReadParsers(r, n, config);
  if (YAML::Node n = root["inputs"]) ReadInputList(r, n, "inputs", &config->inputs);
  if (YAML::Node n = root["kafka"]) ReadKafka(r, n, config);
  if (YAML::Node n = root["detectors"]) ReadDetectors(r, n, config);
  if (YAML::Node n = root["sinks"]) ReadSinks(r, n, config);
  if (YAML::Node n = root["suppression"]) ReadSuppression(r, n, config);
  return errors->empty();
}

int ConfigKeyLine(const std::string& path, std::string_view dotted_key) {
  try {
    YAML::Node node = YAML::LoadFile(path);
    int line = 0;
    while (!dotted_key.empty()) {
      const size_t dot = dotted_key.find('.');
      const std::string key(dotted_key.substr(0, dot));
      dotted_key.remove_prefix(dot == std::string_view::npos ? dotted_key.size() : dot + 1);
      if (!node.IsMap()) return line;
      YAML::Node next;
      for (const auto& kv : node) {
        if (kv.first.Scalar() == key) {
          line = kv.first.Mark().line + 1;
          next = kv.second;
          break;
        }
      }
      if (!next) return line;
      node = next;
    }
    return line;
  } catch (const YAML::Exception&) {
    return 0;
  }
}

bool LoadConfig(const std::string& path, Config* config, std::vector<std::string>* errors) {
  std::ifstream in(path);
  std::error_code ec;
  if (!in || std::filesystem::is_directory(path, ec)) {
    errors->clear();
    errors->push_back(path + ":0: (file): cannot be read" +
                      (in ? std::string(" (a directory)") : std::string()));
    return false;
  }
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    errors->clear();
    errors->push_back(path + ":0: (file): read error");
    return false;
  }
  if (!LoadConfigText(text.str(), path, config, errors)) return false;
  // Relative input paths are relative to the config file, not to the cwd.
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  for (auto* list : {&config->inputs, &config->kafka.embedded_load}) {
    for (InputConfig& input : *list) {
      if (input.path != "-" && std::filesystem::path(input.path).is_relative()) {
        input.path = (dir / input.path).string();
      }
      if (!input.position_file.empty() &&
          std::filesystem::path(input.position_file).is_relative()) {
        input.position_file = (dir / input.position_file).string();
      }
    }
  }
  return true;
}

}  // namespace loghunt
