#include "daemon/pipeline.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <mutex>

#include "core/serialize.h"
#include "daemon/intel_feed.h"
#include "daemon/metrics.h"
#include "detectors/builtin/risky_command.h"
#include "detectors/cluster/rare_pattern.h"
#include "detectors/context/ancestry_detector.h"
#include "detectors/intel/geoip.h"
#include "detectors/intel/intel_detector.h"
#include "detectors/ioc/ioc_detector.h"
#include "detectors/rules/msticpy_sudo.h"
#include "detectors/rules/sigma_detector.h"

namespace loghunt {

namespace {
// How long one wait for room in a full asynchronous sink lasts (it is
// repeated until there is room or the sink is interrupted).
constexpr int kRoomWaitMs = 1000;
}  // namespace

uint64_t PipelineStats::errors() const {
  uint64_t n = 0;
  for (uint64_t e : errors_by_reason) n += e;
  return n;
}

void PipelineStats::Add(const PipelineStats& o) {
  messages += o.messages;
  bytes += o.bytes;
  events += o.events;
  for (size_t i = 0; i < events_by_kind.size(); ++i) events_by_kind[i] += o.events_by_kind[i];
  for (size_t i = 0; i < errors_by_reason.size(); ++i) errors_by_reason[i] += o.errors_by_reason[i];
  alerts += o.alerts;
  sink_errors += o.sink_errors;
  dead_letters += o.dead_letters;
}

std::string PipelineStats::Summary() const {
  std::string s = "messages=" + std::to_string(messages) + " events=" + std::to_string(events) +
                  " alerts=" + std::to_string(alerts) + " errors=" + std::to_string(errors());
  if (errors() > 0) {
    s += " (";
    bool first = true;
    for (int i = 0; i < kParseErrorCount; ++i) {
      if (errors_by_reason[static_cast<size_t>(i)] == 0) continue;
      if (!first) s += ' ';
      first = false;
      s += std::string(ParseErrorName(static_cast<ParseError>(i))) + "=" +
           std::to_string(errors_by_reason[static_cast<size_t>(i)]);
    }
    s += ")";
  }
  if (dead_letters > 0) s += " dead_letters=" + std::to_string(dead_letters);
  if (sink_errors > 0) s += " sink_errors=" + std::to_string(sink_errors);
  return s;
}

// The process-wide shared rule set of `sigma`, loaded on the first call
// (rejected rules logged then); nullptr with `error` when none could be loaded.
static std::shared_ptr<SigmaRuleSetHandle> SharedSigma(const SigmaConfig& sigma,
                                                       const std::string& config_source,
                                                       std::string* error) {
  std::filesystem::path dir = config_source.empty()
                                  ? std::filesystem::path()
                                  : std::filesystem::path(config_source).parent_path();
  auto resolve = [&](const std::string& p) {
    return std::filesystem::path(p).is_relative() ? (dir / p).string() : p;
  };
  SigmaLoadOptions options;
  for (const std::string& p : sigma.rules) options.paths.push_back(resolve(p));
  if (!sigma.mappings.empty()) options.mapping_file = resolve(sigma.mappings);
  SigmaLoadReport report;
  bool first = false;
  auto handle = SharedSigmaRuleSet(options, &report, error, &first);
  if (handle == nullptr) {
    *error = "detectors.sigma: no rules loaded: " + Printable(*error);
    return nullptr;
  }
  if (first) {
    for (const SigmaRejection& r : report.rejected) {
      // Rule text is a third party's (a rules repository): not a forged log line.
      spdlog::warn("detectors.sigma: rejected {}: {}: {}", Printable(r.file), Printable(r.id),
                   Printable(r.reason));
    }
    spdlog::info("detectors.sigma: {} of {} rules loaded", report.loaded, report.files);
  }
  return handle;
}

// The indicator store of `intel`, shared read-only by the workers and loaded
// again only when a feed file or a feed's settings changed; nullptr with
// `error` when a feed cannot be loaded (the store loaded before, if any, stays
// the one returned for its own key).
static std::shared_ptr<const IndicatorStore> SharedIntelStore(const IntelConfig& intel,
                                                              const std::string& config_source,
                                                              std::string* error) {
  static std::mutex mu;
  static std::string loaded_key;
  static std::shared_ptr<const IndicatorStore> loaded;
  std::filesystem::path dir = config_source.empty()
                                  ? std::filesystem::path()
                                  : std::filesystem::path(config_source).parent_path();
  // The key names each feed's settings and its file's version (inode, size,
  // modification time), so a SIGHUP reload after a feed or its settings
  // changed builds a fresh store (swapped in with the new detector sets), and
  // one where nothing changed shares the store already loaded.
  std::vector<FeedConfig> feeds = intel.feeds;
  std::string key = config_source;
  for (FeedConfig& feed : feeds) {
    if (std::filesystem::path(feed.path).is_relative()) feed.path = (dir / feed.path).string();
    struct stat st {};
    if (::stat(feed.path.c_str(), &st) != 0) st = {};
    const FeedCsvColumns& c = feed.columns;
    key += fmt::format(
        "\n{}={}@{}:{}/{}.{}/{} format={} type={} confidence={} header={} "
        "columns={}|{}|{}|{}|{}",
        feed.name, feed.path, st.st_dev, st.st_ino, st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
        st.st_size, static_cast<int>(feed.format), feed.type, feed.confidence, feed.csv_header,
        c.value, c.type, c.confidence, c.description, c.expires);
  }
  std::lock_guard<std::mutex> lock(mu);
  if (loaded != nullptr && key == loaded_key) return loaded;
  auto store = std::make_shared<IndicatorStore>();
  for (const FeedConfig& feed : feeds) {
    FeedLoadReport report;
    std::string feed_error;
    if (!LoadFeed(feed, store.get(), &report, &feed_error)) {
      *error = "detectors.intel: feed " + feed.name + ": " + feed_error;
      return nullptr;
    }
    spdlog::info("detectors.intel: feed {}: {} indicators loaded, {} skipped", feed.name,
                 report.loaded, report.skipped);
  }
  loaded = std::move(store);
  loaded_key = key;
  return loaded;
}

// The GeoIP databases, opened once per process; nullptr with `error` when a
// file cannot be opened.
static std::shared_ptr<const GeoIpDatabases> SharedGeoIp(const GeoIpConfig& geoip,
                                                         const std::string& config_source,
                                                         std::string* error) {
  static std::mutex mu;
  static std::string opened_key;
  static std::shared_ptr<const GeoIpDatabases> opened;
  std::filesystem::path dir = config_source.empty()
                                  ? std::filesystem::path()
                                  : std::filesystem::path(config_source).parent_path();
  auto resolve = [&](const std::string& p) {
    return p.empty() || std::filesystem::path(p).is_absolute() ? p : (dir / p).string();
  };
  const std::string city = resolve(geoip.city_db), asn = resolve(geoip.asn_db);
  std::lock_guard<std::mutex> lock(mu);
  if (opened != nullptr && opened_key == city + "\n" + asn) return opened;
  opened = GeoIpDatabases::Open(city, asn, error);
  if (opened == nullptr) {
    *error = "detectors.geoip: " + *error;
    return nullptr;
  }
  opened_key = city + "\n" + asn;
  return opened;
}

std::vector<std::unique_ptr<Detector>> MakeDetectors(const Config& config,
                                                     ProcessTable* processes) {
  std::vector<std::unique_ptr<Detector>> detectors;
  if (config.risky_command_enabled) detectors.push_back(std::make_unique<RiskyCommandDetector>());
  if (config.ioc.enabled) {
    IocDetectorOptions ioc;
    ioc.decoder.max_depth = config.ioc.max_decode_depth;
    ioc.decoder.byte_budget = config.ioc.decode_byte_budget;
    for (const std::string& name : config.ioc.drop_ip_classes) {
      if (auto cls = ParseIpClass(name)) ioc.drop_ip_classes |= 1u << static_cast<unsigned>(*cls);
    }
    detectors.push_back(std::make_unique<IocDetector>(ioc));
  }
  if (config.command_burst.enabled) {
    detectors.push_back(std::make_unique<CommandBurstDetector>(
        CommandBurstOptions{config.command_burst.events, config.command_burst.seconds}));
  }
  if (config.risky_sudo_session.enabled) {
    detectors.push_back(std::make_unique<RiskySudoSessionDetector>(
        CommandBurstOptions{config.risky_sudo_session.events, config.risky_sudo_session.seconds}));
  }
  if (config.sigma.enabled) {
    std::string error;
    if (auto handle = SharedSigma(config.sigma, config.source, &error)) {
      detectors.push_back(std::make_unique<SigmaDetector>(std::move(handle)));
    } else {
      spdlog::error("{}", error);  // LoadSharedDetectorData() stops this before a start or reload
    }
  }
  if (config.cluster.enabled) {
    auto cluster = std::make_unique<RarePatternDetector>(config.cluster);
    if (!cluster->snapshot_error().empty()) {
      spdlog::warn("detectors.cluster: {}", cluster->snapshot_error());
    }
    cluster->set_error_callback(
        [](const std::string& error) { spdlog::error("detectors.cluster: {}", error); });
    detectors.push_back(std::move(cluster));
  }
  if (config.intel.enabled) {
    IntelDetectorOptions options;
    options.scan_text = config.intel.scan_text;
    for (const KafkaFeedConfig& feed : config.intel.kafka_feeds) {
      if (auto live = SharedKafkaIntelFeed(feed, config.kafka)) {
        options.live_feeds.push_back(std::move(live));
      }
    }
    std::shared_ptr<const IndicatorStore> store;
    if (!config.intel.feeds.empty()) {
      std::string error;
      store = SharedIntelStore(config.intel, config.source, &error);
      // LoadSharedDetectorData() stops this before a start or reload.
      if (store == nullptr) spdlog::error("{}", error);
    }
    detectors.push_back(std::make_unique<IntelDetector>(std::move(store), std::move(options)));
  }
  // Last: these annotate the alerts the detectors before them raised.
  if (config.geoip.enabled) {
    std::string error;
    if (auto db = SharedGeoIp(config.geoip, config.source, &error)) {
      detectors.push_back(std::make_unique<GeoIpEnricher>(std::move(db)));
    } else {
      spdlog::error("{}", error);
    }
  }
  if (config.ancestry.enabled) {
    detectors.push_back(processes != nullptr
                            ? std::make_unique<ProcessAncestryDetector>(processes)
                            : std::make_unique<ProcessAncestryDetector>(config.ancestry.table));
  }
  return detectors;
}

bool LoadSharedDetectorData(const Config& config, std::string* error) {
  if (config.sigma.enabled && SharedSigma(config.sigma, config.source, error) == nullptr) {
    return false;
  }
  if (config.geoip.enabled && SharedGeoIp(config.geoip, config.source, error) == nullptr) {
    return false;
  }
  if (config.intel.enabled && !config.intel.feeds.empty() &&
      SharedIntelStore(config.intel, config.source, error) == nullptr) {
    return false;
  }
  return true;
}

DetectorSet::DetectorSet(const Config& config)
    : id_([] {
        static std::atomic<uint64_t> next{0};
        return ++next;
      }()),
      processes_(config.sigma.enabled || config.ancestry.enabled
                     ? std::make_unique<ProcessTable>(config.ancestry.table)
                     : nullptr),
      detectors_(MakeDetectors(config, processes_.get())),
      sampled_ns_(detectors_.size(), 0) {}

const Event& DetectorSet::WithParent(const Event& event) {
  if (processes_ == nullptr || event.kind != EventKind::kProcessStart ||
      !event.process.parent_executable.empty()) {
    return event;
  }
  const ProcessRecord* parent = processes_->ParentOf(event);
  if (parent == nullptr || parent->executable.empty()) return event;
  // The record stays valid until the table's next Observe(), after the detectors.
  with_parent_ = event;
  with_parent_.process.parent_executable = parent->executable;
  with_parent_.process.parent_command_line = parent->command_line;
  return with_parent_;
}

void DetectorSet::Inspect(const Event& original, std::vector<Alert>& alerts) {
  const Event& event = WithParent(original);
  if (++events_ % kTimingSample != 0) {
    for (auto& d : detectors_) d->Inspect(event, alerts);
  } else {
    for (size_t i = 0; i < detectors_.size(); ++i) {
      auto start = std::chrono::steady_clock::now();
      detectors_[i]->Inspect(event, alerts);
      sampled_ns_[i] += static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                  std::chrono::steady_clock::now() - start)
                                                  .count());
    }
  }
  if (processes_ != nullptr) processes_->Observe(original);
}

bool DetectorSet::Has(std::string_view name) const {
  for (const auto& d : detectors_) {
    if (d->name() == name) return true;
  }
  return false;
}

void DetectorSet::TakeStateFrom(DetectorSet& old) {
  // Each detector from the old one of its name (cluster patterns, command
  // bursts, sudo sessions).
  for (auto& d : detectors_) {
    for (auto& o : old.detectors_) {
      if (o->name() == d->name()) {
        d->TakeStateFrom(*o);
        break;
      }
    }
  }
  // The processes seen so far give parents (ParentImage) and ancestry.
  if (old.processes_ != nullptr && processes_ != nullptr) {
    processes_->TakeProcessesFrom(*old.processes_);
  }
}

std::vector<std::pair<std::string, double>> DetectorSet::Seconds() const {
  std::vector<std::pair<std::string, double>> out;
  for (size_t i = 0; i < detectors_.size(); ++i) {
    out.emplace_back(std::string(detectors_[i]->name()),
                     static_cast<double>(sampled_ns_[i]) * kTimingSample / 1e9);
  }
  return out;
}

Pipeline::Pipeline(const Config& config, Stream stream, std::vector<AlertSink*> sinks,
                   FILE* events_out)
    : stream_(stream),
      parser_(MakeParser(stream, config.parser)),
      sinks_(std::move(sinks)),
      events_out_(events_out),
      wait_for_room_(true) {
  if (events_out_ == nullptr) {
    own_detectors_ = std::make_unique<DetectorSet>(config);
    detectors_ = own_detectors_.get();
  }
}

Pipeline::Pipeline(const Config& config, Stream stream, DetectorSet* detectors,
                   std::vector<AlertSink*> sinks, OffsetTracker* tracker,
                   DeadLetterWriter* dead_letters)
    : stream_(stream),
      parser_(MakeParser(stream, config.parser)),
      detectors_(detectors),
      sinks_(std::move(sinks)),
      tracker_(tracker),
      dead_letters_(dead_letters) {}

void Pipeline::Process(std::string_view message, const SourcePosition& position) {
  ++stats_.messages;
  stats_.bytes += message.size();
  parser_->Parse(message, position, *this);
}

void Pipeline::CountTooLong(std::string_view message, const SourcePosition& position) {
  ++stats_.messages;
  stats_.bytes += message.size();
  OnError(ParseError::kTooLong, message, position);
}

void Pipeline::Finish() {
  parser_->Flush(*this);
  for (AlertSink* sink : sinks_) {
    // What an asynchronous sink could not deliver yet is its own count
    // (delivery_failures, once given up), not an error of every pipeline
    // that finishes meanwhile (a listener without alerts had sink_errors=1).
    if (!sink->Flush() && !sink->async()) {
      ++stats_.sink_errors;
      sink->CountRefused();
    }
  }
  if (events_out_ != nullptr) std::fflush(events_out_);
}

void Pipeline::OnEvent(const Event& event) {
  ++stats_.events;
  ++stats_.events_by_kind[static_cast<size_t>(event.kind)];
  if (events_out_ != nullptr) {
    line_.clear();
    AppendEventJson(event, &line_);
    line_.push_back('\n');
    std::fwrite(line_.data(), 1, line_.size(), events_out_);
    return;
  }
  if (detectors_ == nullptr) return;
  alerts_.clear();
  detectors_->Inspect(event, alerts_);
  const int64_t offset = event.position.lowest_offset();
  for (const Alert& alert : alerts_) {
    ++stats_.alerts;
    if (metrics_ != nullptr) metrics_->CountAlert(alert);
    for (AlertSink* sink : sinks_) {
      bool ok;
      if (!sink->async()) {
        ok = sink->Write(alert);
      } else {
        // Outside Kafka mode: an http sink is handed alerts without waiting
        // for their delivery, so it sends batches (it sent one request per
        // alert and the input waited for each); the input waits while the
        // sink's queue is full (true at once after Interrupt()). Failures
        // are counted by the sink.
        while (wait_for_room_ && !sink->WaitForRoom(kRoomWaitMs)) {
          if (wait_hook_) wait_hook_();
        }
        if (tracker_ != nullptr) {
          // A read position (Kafka offset, followed file) is saved only
          // below the oldest delivery outstanding.
          tracker_->AddPending(offset);
          if (own_tracker_) {
            // A followed file's: kept alive by its outstanding deliveries.
            ok = sink->WriteAsync(
                alert, [tracker = own_tracker_, offset](bool) { tracker->Resolve(offset); });
          } else {
            // A Kafka worker's (it outlives the sinks' reports): two words,
            // no allocation per alert in std::function.
            ok = sink->WriteAsync(alert,
                                  [tracker = tracker_, offset](bool) { tracker->Resolve(offset); });
          }
          // Refused outright (never delivered): counted below, and the
          // offset must not stay pending forever.
          if (!ok) tracker_->Resolve(offset);
        } else {
          // No positions to save (file, stdin and listener inputs).
          ok = sink->WriteAsync(alert, [](bool) {});
        }
      }
      if (!ok) {
        ++stats_.sink_errors;
        sink->CountRefused();
      }
    }
  }
}

void Pipeline::OnError(ParseError reason, std::string_view message,
                       const SourcePosition& position) {
  ++stats_.errors_by_reason[static_cast<size_t>(reason)];
  // An assembler evicting an open event is not a bad message: nothing to dead-letter.
  if (dead_letters_ == nullptr || reason == ParseError::kTooManyOpen) return;
  ++stats_.dead_letters;
  const int64_t offset = position.lowest_offset();
  if (tracker_ != nullptr) tracker_->AddPending(offset);
  OffsetTracker* tracker = tracker_;
  if (!dead_letters_->Write(message, reason, position, [tracker, offset](bool) {
        if (tracker != nullptr) tracker->Resolve(offset);
      })) {
    ++stats_.sink_errors;
    if (tracker != nullptr) tracker->Resolve(offset);
  }
}

}  // namespace loghunt
