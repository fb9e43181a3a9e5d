// Config: the daemon's settings, read from YAML (conf/loghunt.yaml documents
// every key with its default).
//
// LoadConfig() validates as it reads: an unknown key, a value of the wrong
// type or out of range, a missing required key each give one line
// "FILE:LINE: key.path: problem" in `errors`. A config with errors is never
// used (`loghuntd check-config` prints them and exits 2).
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "core/event.h"
#include "detectors/cluster/rare_pattern.h"
#include "detectors/context/process_table.h"
#include "detectors/intel/intel_feeds.h"
#include "parsers/parser.h"
#include "sinks/http_sink.h"
#include "sinks/sink.h"
#include "sinks/suppressor.h"
#include "sinks/syslog_sink.h"

namespace loghunt {

// A file (or "-" for stdin) that `loghuntd run` reads as one stream. A
// relative path is resolved against the config file's folder.
// `type` says where the input comes from: file (path, "-" = stdin, read to its
// end), syslog_udp / syslog_tcp (a listener on `listen`, RFC 6587 framing on
// TCP; runs until SIGTERM), journald (the local journal, position kept in
// cursor_file; runs until SIGTERM) or audisp (auditd's plugin protocol on
// stdin: stream auditd, path "-").
struct InputConfig {
  Stream stream = Stream::kSyslog;
  std::string path;  // file: the file or "-"; journald: a journal directory or file ("" = local)
  std::string type = "file";  // file | syslog_udp | syslog_tcp | journald | audisp
  std::string listen;         // syslog_udp / syslog_tcp: "IP:PORT"
  // syslog_tcp: the connection limits of SyslogListenerOptions (0 per address:
  // a quarter of max_connections).
  size_t max_connections = 256;
  size_t max_connections_per_address = 0;
  int64_t frame_timeout_ms = 30'000;
  std::string cursor_file = "/var/lib/loghunt/journald.cursor";  // journald
  // journald without a saved cursor, a followed file without a saved position: the whole
  // journal / file, not only new entries
  bool from_start = false;
  bool follow = false;        // file: read on as it grows, across rotations (FileFollower)
  std::string position_file;  // followed file: position kept across restarts ("" = not kept)
};

struct SinkConfig {
  std::string type;   // stdout | file | kafka | http | syslog
  std::string path;   // file only
  std::string topic;  // kafka only (brokers and properties come from the kafka section)
  AlertFormat format = AlertFormat::kJson;
  bool fsync = false;        // file only
  HttpSinkOptions http;      // http only (format copied in)
  SyslogSinkOptions syslog;  // syslog only (format copied in)
};

// The Kafka source (and, for a kafka sink, producer) settings.
struct KafkaConfig {
  bool enabled = false;  // the `kafka` section is present: `run` consumes from Kafka
  std::string brokers;   // bootstrap.servers; required unless embedded
  std::string group_id = "loghunt";
  std::array<std::vector<std::string>, kStreamCount> topics;  // per Stream
  std::string dead_letter_topic;  // "" = no dead letters (bad messages are still counted)
  int commit_interval_ms = 5000;
  int workers = 2;
  int64_t worker_queue_max_messages = 50000;  // no fetching for a worker holding this many
  // librdkafka properties passed to the consumer and producers (after ours, so
  // they win). Values "${env:NAME}" and "${file:PATH}" are read at load time.
  std::vector<std::pair<std::string, std::string>> properties;
  bool embedded = false;                   // start librdkafka's mock cluster in-process
  int embedded_partitions = 6;             // partitions of each topic the mock cluster creates
  std::vector<InputConfig> embedded_load;  // files produced into the stream's first topic at start
};

// detectors.command_burst / detectors.risky_sudo_session: msticpy's cmd_speed
// and risky_sudo_sessions (detectors/rules/msticpy_sudo.h).
struct MsticpySudoConfig {
  bool enabled = false;
  int events = 10;      // a burst is events + 1 commands ...
  int64_t seconds = 5;  // ... spanning less than this
};

// detectors.sigma: the Sigma rule engine (docs/sigma.md).
struct SigmaConfig {
  bool enabled = false;
  std::vector<std::string> rules;  // files or directories; relative to the config file's folder
  std::string mappings;            // extra field-mapping file ("" = built-in only)
};

// detectors.ioc: IoCs revealed by decoding command lines (docs/ioc.md).
struct IocConfig {
  bool enabled = true;
  std::vector<std::string>
      drop_ip_classes;  // public private loopback link_local multicast reserved
  int max_decode_depth = 20;
  size_t decode_byte_budget = 1 << 20;  // decoded bytes per event
};

// detectors.intel.feeds[] with `format: kafka`: indicators streamed from a
// topic into a LiveIndicatorStore (docs/intel.md "Kafka feeds").
struct KafkaFeedConfig {
  std::string name;
  std::string topic;
  std::string brokers;  // "" = kafka.brokers
  int confidence = 50;  // when a message gives none
  size_t max_indicators = 1'000'000;
  int64_t load_timeout_ms = 10'000;     // at start, wait this long to read the topic to its end
  int64_t drop_expired_after_s = 3600;  // free indicators expired this long before the clock
};

// detectors.intel: threat-intel feeds matched against every event (docs/intel.md).
struct IntelConfig {
  bool enabled = false;
  bool scan_text = true;          // also look up IoCs extracted from command lines and messages
  std::vector<FeedConfig> feeds;  // paths relative to the config file's folder
  std::vector<KafkaFeedConfig> kafka_feeds;
};

// detectors.ancestry: the process table that gives alerts their parent chain
// (docs/context.md).
// detectors.geoip: country/city/ASN on public IpAddress entities of alerts
// (docs/intel.md); MaxMind DB files, none shipped.
struct GeoIpConfig {
  bool enabled = false;
  std::string city_db;  // GeoLite2/GeoIP2 City or Country; relative to the config file's folder
  std::string asn_db;   // GeoLite2/GeoIP2 ASN
};

struct AncestryConfig {
  bool enabled = false;
  ProcessTableOptions table;
};

struct Config {
  std::string source;  // file the config came from ("" for the built-in default)
  ParserOptions parser;
  size_t max_message_bytes = 1 << 20;
  std::vector<InputConfig> inputs;
  bool risky_command_enabled = true;
  SigmaConfig sigma;
  MsticpySudoConfig command_burst;       // detectors.command_burst
  MsticpySudoConfig risky_sudo_session;  // detectors.risky_sudo_session
  IocConfig ioc;
  IntelConfig intel;
  AncestryConfig ancestry;
  GeoIpConfig geoip;
  // `detectors.cluster`: rare command-line patterns per host (off by default).
  ClusterDetectorConfig cluster;
  std::vector<SinkConfig> sinks;  // empty -> one stdout JSON sink
  // Repeated alerts folded into summaries (`suppression:`; off by default).
  SuppressionOptions suppression;
  KafkaConfig kafka;
  // Prometheus endpoint of `run` ("host:port"; "" = none).
  std::string metrics_listen = "127.0.0.1:9464";
  // Outside Kafka mode, started as root (the auditd plugin): the user `run`
  // switches to once its listeners, sinks and metrics are open ("" = stay).
  std::string run_as;
};

// Reads and validates `path`. Returns true when `errors` stayed empty.
bool LoadConfig(const std::string& path, Config* config, std::vector<std::string>* errors);
// Same, from YAML text; `name` is used in error lines.
bool LoadConfigText(const std::string& text, const std::string& name, Config* config,
                    std::vector<std::string>* errors);

// The line of a dotted key (`detectors.intel`) in the config file `path`, for
// problems found after the config was read (a feed that does not load); 0
// when the file or the key cannot be found.
int ConfigKeyLine(const std::string& path, std::string_view dotted_key);

}  // namespace loghunt
