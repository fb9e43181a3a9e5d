#include "daemon/intel_feed.h"

#include <librdkafka/rdkafka.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>

#include "core/time.h"
#include "daemon/metrics.h"
#include "sinks/kafka_conf.h"

namespace loghunt {

namespace {

// The Prometheus families of the feeds, while an IntelFeedMetricsScope is alive.
struct FeedMetrics {
  std::mutex mu;
  prometheus::Family<prometheus::Counter>* messages = nullptr;
  prometheus::Family<prometheus::Counter>* bad_messages = nullptr;
  prometheus::Family<prometheus::Counter>* changes = nullptr;
  prometheus::Family<prometheus::Gauge>* indicators = nullptr;
  // Totals each feed consumer already added to each counter, by consumer
  // and series: a reload that starts a new consumer of a feed (which reads
  // its topic again) overlaps the old one's last publication, and a shared
  // total per series made each add the other's difference.
  std::map<std::tuple<const void*, const void*, std::string>, double> published;
  // Consumers running per feed name: the last one to end removes the feed's
  // indicators gauge (a feed dropped by a reload kept showing its last size).
  std::map<std::string, int> consumers;

  void Mirror(const void* consumer, prometheus::Family<prometheus::Counter>* family,
              const std::map<std::string, std::string>& labels, double total) {
    std::string key;
    for (const auto& [k, v] : labels) key += k + "=" + v + ",";
    double& last = published[{consumer, family, key}];
    prometheus::Counter& counter = family->Add(labels);  // the series exists from 0
    if (total > last) counter.Increment(total - last);
    last = total;
  }
};

FeedMetrics& FeedMetricsInstance() {
  static FeedMetrics m;
  return m;
}

class KafkaIntelFeed {
 public:
  KafkaIntelFeed(const KafkaFeedConfig& config, std::string brokers,
                 std::vector<std::pair<std::string, std::string>> properties)
      : config_(config),
        brokers_(std::move(brokers)),
        properties_(std::move(properties)),
        store_(config.name, LiveIndicatorOptions{config.max_indicators}) {
    FeedMetrics& fm = FeedMetricsInstance();
    std::lock_guard lock(fm.mu);
    ++fm.consumers[config_.name];
  }

  ~KafkaIntelFeed() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();  // publishes a last time
    {
      FeedMetrics& fm = FeedMetricsInstance();
      std::lock_guard lock(fm.mu);
      std::erase_if(fm.published,
                    [this](const auto& entry) { return std::get<0>(entry.first) == this; });
      if (--fm.consumers[config_.name] == 0) {
        fm.consumers.erase(config_.name);
        if (fm.indicators != nullptr) {
          fm.indicators->Remove(&fm.indicators->Add({{"feed", config_.name}}));
        }
      }
    }
    if (rk_ != nullptr) {
      rd_kafka_consumer_close(rk_);
      rd_kafka_destroy(rk_);
    }
  }

  const LiveIndicatorStore& store() const { return store_; }

  bool Open(std::string* error) {
    char errstr[512];
    rd_kafka_conf_t* conf = NewKafkaConf();
    std::vector<std::pair<std::string, std::string>> props = {
        {"bootstrap.servers", brokers_},
        {"client.id", "loghuntd-intel"},
        // Not a group member (partitions are assigned, offsets never committed);
        // librdkafka wants a group id for a consumer all the same.
        {"group.id", "loghunt-intel-" + config_.name},
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"enable.partition.eof", "true"},
        {"auto.offset.reset", "earliest"},
        {"log_level", "3"}};
    for (const auto& kv : properties_) props.push_back(kv);
    for (const auto& [k, v] : props) {
      if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), errstr, sizeof errstr) !=
          RD_KAFKA_CONF_OK) {
        *error = "kafka property " + k + ": " + errstr;
        rd_kafka_conf_destroy(conf);
        return false;
      }
    }
    rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (rk_ == nullptr) {
      *error = std::string("kafka consumer: ") + errstr;
      return false;
    }
    rd_kafka_poll_set_consumer(rk_);
    thread_ = std::thread([this] { Run(); });
    return true;
  }

  // True when the topic was read to its end within `timeout_ms`; calls
  // `keep_alive` about every second meanwhile.
  bool WaitLoaded(int64_t timeout_ms, const std::function<void()>& keep_alive) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    std::unique_lock lock(mu_);
    while (!loaded_) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= end) return false;
      loaded_cv_.wait_for(
          lock, std::min<std::chrono::steady_clock::duration>(end - now, std::chrono::seconds(1)));
      if (!loaded_ && keep_alive) {
        lock.unlock();
        keep_alive();
        lock.lock();
      }
    }
    return true;
  }

  KafkaIntelFeedStats Stats() {
    KafkaIntelFeedStats s;
    s.messages = messages_.load();
    s.bad_messages = bad_messages_.load();
    s.consumer_errors = consumer_errors_.load();
    {
      std::lock_guard lock(mu_);
      s.loaded = loaded_;
    }
    s.indicators = store_.stats();
    return s;
  }

 private:
  // Assigns every partition of the topic from the beginning; false while the
  // topic has no partitions (not created yet) or metadata fails.
  bool Assign() {
    rd_kafka_topic_t* topic = rd_kafka_topic_new(rk_, config_.topic.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk_, 0, topic, &md, 2000);
    rd_kafka_topic_destroy(topic);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR || md == nullptr || md->topic_cnt != 1 ||
        md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR || md->topics[0].partition_cnt == 0) {
      if (md != nullptr) rd_kafka_metadata_destroy(md);
      return false;
    }
    partitions_ = md->topics[0].partition_cnt;
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions_);
    for (int i = 0; i < partitions_; ++i) {
      rd_kafka_topic_partition_list_add(list, config_.topic.c_str(), md->topics[0].partitions[i].id)
          ->offset = RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_metadata_destroy(md);
    err = rd_kafka_assign(rk_, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      spdlog::error("intel feed {}: assign {}: {}", config_.name, config_.topic,
                    rd_kafka_err2str(err));
      return false;
    }
    spdlog::info("intel feed {}: reading {} partition(s) of {} from the beginning", config_.name,
                 partitions_, config_.topic);
    return true;
  }

  void Apply(const rd_kafka_message_t* m) {
    ++messages_;
    IndicatorMessageReport report;
    std::string error;
    std::string_view key(static_cast<const char*>(m->key), m->key != nullptr ? m->key_len : 0);
    if (!ApplyIndicatorMessage(key, static_cast<const char*>(m->payload), m->len,
                               static_cast<uint8_t>(config_.confidence), &store_, &report,
                               &error)) {
      const uint64_t bad = ++bad_messages_;
      if (bad <= 10 || bad % 1000 == 0) {
        spdlog::warn("intel feed {}: {} [{}] offset {}: {} ({} bad messages so far)", config_.name,
                     config_.topic, m->partition, m->offset, error, bad);
      }
    }
  }

  void Publish() {
    FeedMetrics& fm = FeedMetricsInstance();
    std::lock_guard lock(fm.mu);
    if (fm.messages == nullptr) return;
    const std::map<std::string, std::string> feed{{"feed", config_.name}};
    fm.Mirror(this, fm.messages, feed, static_cast<double>(messages_.load()));
    fm.Mirror(this, fm.bad_messages, feed, static_cast<double>(bad_messages_.load()));
    const LiveIndicatorStats s = store_.stats();
    for (const auto& [change, n] : {std::pair<const char*, uint64_t>{"added", s.added},
                                    {"updated", s.updated},
                                    {"removed", s.removed},
                                    {"evicted", s.evicted},
                                    {"expired", s.expired},
                                    {"invalid", s.invalid}}) {
      fm.Mirror(this, fm.changes, {{"feed", config_.name}, {"change", change}},
                static_cast<double>(n));
    }
    fm.indicators->Add(feed).Set(static_cast<double>(s.size));
  }

  void Run() {
    using Clock = std::chrono::steady_clock;
    auto next_assign = Clock::now(), next_publish = Clock::now(),
         next_drop = Clock::now() + std::chrono::minutes(1);
    bool assigned = false;
    std::set<int32_t> at_end;
    while (!stop_) {
      const auto now = Clock::now();
      if (!assigned && now >= next_assign) {
        assigned = Assign();
        next_assign = now + std::chrono::seconds(1);
      }
      if (now >= next_publish) {
        Publish();
        next_publish = now + std::chrono::seconds(1);
      }
      if (now >= next_drop) {
        store_.DropExpired(NowNanos() - config_.drop_expired_after_s * 1'000'000'000);
        next_drop = now + std::chrono::minutes(1);
      }
      if (!assigned) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, 100);
      if (m == nullptr) continue;
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        at_end.insert(m->partition);
        if (static_cast<int>(at_end.size()) >= partitions_) {
          std::lock_guard lock(mu_);
          if (!loaded_) {
            loaded_ = true;
            spdlog::info("intel feed {}: {} indicators loaded from {}", config_.name, store_.size(),
                         config_.topic);
          }
          loaded_cv_.notify_all();
        }
      } else if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        const uint64_t n = ++consumer_errors_;
        if (n <= 10 || n % 1000 == 0) {
          spdlog::warn("intel feed {}: {}", config_.name, rd_kafka_message_errstr(m));
        }
      } else {
        Apply(m);
      }
      rd_kafka_message_destroy(m);
    }
    Publish();
  }

  const KafkaFeedConfig config_;
  const std::string brokers_;
  const std::vector<std::pair<std::string, std::string>> properties_;
  LiveIndicatorStore store_;
  rd_kafka_t* rk_ = nullptr;
  int partitions_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> messages_{0}, bad_messages_{0}, consumer_errors_{0};
  std::mutex mu_;
  std::condition_variable loaded_cv_;
  bool loaded_ = false;
};

struct Feeds {
  std::mutex mu;
  std::map<std::string, std::weak_ptr<KafkaIntelFeed>> by_key;
  std::map<std::string, std::weak_ptr<KafkaIntelFeed>> by_name;
};

Feeds& Running() {
  static Feeds f;
  return f;
}

std::mutex g_keep_alive_mu;
std::function<void()> g_keep_alive;  // IntelFeedLoadKeepAlive

std::function<void()> LoadKeepAlive() {
  std::lock_guard lock(g_keep_alive_mu);
  return g_keep_alive;
}

}  // namespace

std::shared_ptr<const LiveIndicatorStore> SharedKafkaIntelFeed(const KafkaFeedConfig& feed,
                                                               const KafkaConfig& kafka) {
  const std::string brokers = feed.brokers.empty() ? kafka.brokers : feed.brokers;
  if (brokers.empty()) {
    spdlog::error("intel feed {}: no brokers (feed brokers or kafka.brokers)", feed.name);
    return nullptr;
  }
  const std::string key =
      feed.name + "\n" + feed.topic + "\n" + brokers + "\n" + std::to_string(feed.max_indicators) +
      "\n" + std::to_string(feed.confidence) + "\n" + std::to_string(feed.drop_expired_after_s);
  Feeds& feeds = Running();
  // Held while a new feed loads, so concurrent callers (workers) share it.
  std::lock_guard lock(feeds.mu);
  std::shared_ptr<KafkaIntelFeed> running = feeds.by_key[key].lock();
  if (running == nullptr) {
    running = std::make_shared<KafkaIntelFeed>(feed, brokers, kafka.properties);
    std::string error;
    if (!running->Open(&error)) {
      spdlog::error("intel feed {}: {}", feed.name, error);
      return nullptr;
    }
    if (!running->WaitLoaded(feed.load_timeout_ms, LoadKeepAlive())) {
      spdlog::warn(
          "intel feed {}: {} not read to its end within {} ms; going on with {} indicators",
          feed.name, feed.topic, feed.load_timeout_ms, running->store().size());
    }
    feeds.by_key[key] = running;
    feeds.by_name[feed.name] = running;
  }
  // The store keeps its feed (and the feed's thread) alive.
  return std::shared_ptr<const LiveIndicatorStore>(running, &running->store());
}

bool KafkaIntelFeedStatsOf(const std::string& name, KafkaIntelFeedStats* out) {
  Feeds& feeds = Running();
  std::shared_ptr<KafkaIntelFeed> feed;
  {
    std::lock_guard lock(feeds.mu);
    auto it = feeds.by_name.find(name);
    if (it != feeds.by_name.end()) feed = it->second.lock();
  }
  if (feed == nullptr) return false;
  *out = feed->Stats();
  return true;
}

IntelFeedMetricsScope::IntelFeedMetricsScope(Metrics* metrics) {
  if (metrics == nullptr) return;
  FeedMetrics& fm = FeedMetricsInstance();
  std::lock_guard lock(fm.mu);
  prometheus::Registry& r = metrics->registry();
  fm.messages = &prometheus::BuildCounter()
                     .Name("loghunt_intel_feed_messages_total")
                     .Help("Messages consumed from streamed threat-intel feeds")
                     .Register(r);
  fm.bad_messages = &prometheus::BuildCounter()
                         .Name("loghunt_intel_feed_bad_messages_total")
                         .Help("Feed messages that were not indicator messages")
                         .Register(r);
  fm.changes = &prometheus::BuildCounter()
                    .Name("loghunt_intel_feed_indicator_changes_total")
                    .Help(
                        "Indicator changes by kind: added, updated, removed, evicted (cap), "
                        "expired (freed), invalid")
                    .Register(r);
  fm.indicators = &prometheus::BuildGauge()
                       .Name("loghunt_intel_feed_indicators")
                       .Help("Indicators held for a streamed threat-intel feed")
                       .Register(r);
  fm.published.clear();
  attached_ = true;
}

IntelFeedMetricsScope::~IntelFeedMetricsScope() {
  if (!attached_) return;
  FeedMetrics& fm = FeedMetricsInstance();
  std::lock_guard lock(fm.mu);
  fm.messages = fm.bad_messages = fm.changes = nullptr;
  fm.indicators = nullptr;
}

IntelFeedLoadKeepAlive::IntelFeedLoadKeepAlive(std::function<void()> keep_alive) {
  std::lock_guard lock(g_keep_alive_mu);
  g_keep_alive = std::move(keep_alive);
}

IntelFeedLoadKeepAlive::~IntelFeedLoadKeepAlive() {
  std::lock_guard lock(g_keep_alive_mu);
  g_keep_alive = nullptr;
}

}  // namespace loghunt
