// kafkatool: the Kafka side of the integration tests and of the end-to-end
// benchmark, on librdkafka (no Kafka CLI needed).
//
//   kafkatool create --brokers B --topic T [--partitions 6]
//   kafkatool produce --brokers B --topic T --stream S --file F [--repeat N]
//             [--garbage-per-mille K] [--rate EVENTS_PER_S]
//       Produces every line of F (N times), keyed by the host the stream's
//       parser finds (raw auditd: the file name), as log shippers do. With
//       --garbage-per-mille, about K of every 1000 messages are replaced by
//       garbage (binary, truncated JSON, a 600 KB line); the count of garbage
//       and valid messages is printed. --rate paces the stream.
//   kafkatool dump --brokers B --topic T [--idle-ms 5000] [--with-position] [--header H]
//       Reads the whole topic from the beginning (no group) up to the end
//       offsets it had when the dump started, printing one value per line
//       (fails if no message came for idle-ms before that); --with-position
//       prefixes "topic<TAB>partition<TAB>offset<TAB>"; --header H prints the
//       value of header H instead of the message.
//   kafkatool latency --brokers B --topic ALERTS --sources T1,T2,T3 [--idle-ms N]
//       Producer-to-alert latency: for every alert on ALERTS, its Kafka
//       timestamp minus the timestamp of the source message it names
//       (loghunt.position.*); prints n, p50, p99 and max in milliseconds.
//   kafkatool lag --brokers B --topic T1,T2 --group G
//       Prints the group's lag: end offset minus committed offset, summed
//       over every partition of the topics (no commit yet: the whole log).
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/time.h"
#include "daemon/line_reader.h"
#include "parsers/parser.h"

namespace {

struct Args {
  std::map<std::string, std::string> kv;
  std::string Get(const std::string& k, const std::string& def = "") const {
    auto it = kv.find(k);
    return it == kv.end() ? def : it->second;
  }
  bool Has(const std::string& k) const { return kv.count(k) > 0; }
};

[[noreturn]] void Die(const std::string& msg) {
  std::fprintf(stderr, "kafkatool: %s\n", msg.c_str());
  std::exit(1);
}

rd_kafka_t* NewClient(rd_kafka_type_t type, const Args& a,
                      std::vector<std::pair<std::string, std::string>> extra = {}) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  extra.emplace_back("bootstrap.servers", a.Get("--brokers"));
  for (const auto& [k, v] : extra) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
      Die(k + ": " + errstr);
    }
  }
  rd_kafka_t* rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
  if (rk == nullptr) Die(errstr);
  return rk;
}

int Create(const Args& a) {
  rd_kafka_t* rk = NewClient(RD_KAFKA_PRODUCER, a);
  char errstr[256];
  rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(
      a.Get("--topic").c_str(), std::stoi(a.Get("--partitions", "6")), 1, errstr, sizeof errstr);
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &nt, 1, nullptr, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30000);
  int rc = 1;
  if (ev != nullptr) {
    const rd_kafka_CreateTopics_result_t* res = rd_kafka_event_CreateTopics_result(ev);
    size_t n;
    const rd_kafka_topic_result_t** tr = rd_kafka_CreateTopics_result_topics(res, &n);
    rd_kafka_resp_err_t err = n > 0 ? rd_kafka_topic_result_error(tr[0]) : rd_kafka_event_error(ev);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      rc = 0;
    } else {
      std::fprintf(stderr, "create %s: %s\n", a.Get("--topic").c_str(), rd_kafka_err2str(err));
    }
    rd_kafka_event_destroy(ev);
  }
  rd_kafka_NewTopic_destroy(nt);
  rd_kafka_queue_destroy(q);
  rd_kafka_destroy(rk);
  return rc;
}

class HostCapture : public loghunt::EventHandler {
 public:
  void OnEvent(const loghunt::Event& e) override { host.assign(e.host); }
  void OnError(loghunt::ParseError, std::string_view, const loghunt::SourcePosition&) override {}
  std::string host;
};

std::string Garbage(std::mt19937_64& rng) {
  switch (rng() % 3) {
    case 0: {
      std::string s(64 + rng() % 256, '\0');
      for (auto& c : s) {
        c = static_cast<char>(rng() % 256);
        if (c == '\n' || c == '\r') c = 'x';  // dumps are line-based
      }
      s[0] = '\x01';  // never a valid start of any stream's message
      return s;
    }
    case 1:
      return "{\"EventID\": 4688, \"CommandLine\": \"cmd.exe /c whoa";
    default:
      // Larger than the tests' max_message_bytes, smaller than the broker's limit.
      return std::string(600 * 1024, 'G');
  }
}

int Produce(const Args& a) {
  loghunt::Stream stream;
  if (!loghunt::ParseStreamName(a.Get("--stream"), &stream)) Die("--stream");
  rd_kafka_t* rk = NewClient(RD_KAFKA_PRODUCER, a,
                             {{"linger.ms", "20"},
                              {"batch.num.messages", "10000"},
                              {"queue.buffering.max.messages", "500000"},
                              {"message.max.bytes", "4000000"}});
  std::string topic = a.Get("--topic");
  int repeat = std::stoi(a.Get("--repeat", "1"));
  int garbage_pm = std::stoi(a.Get("--garbage-per-mille", "0"));
  double rate = std::stod(a.Get("--rate", "0"));
  std::mt19937_64 rng(7);
  loghunt::ParserOptions options;
  auto parser = loghunt::MakeParser(stream, options);
  HostCapture capture;
  uint64_t valid = 0, garbage = 0;
  auto start = std::chrono::steady_clock::now();
  for (int r = 0; r < repeat; ++r) {
    FILE* f = std::fopen(a.Get("--file").c_str(), "rb");
    if (f == nullptr) Die("cannot read " + a.Get("--file"));
    loghunt::LineReader reader(f, 8 << 20);
    std::string_view line;
    bool too_long;
    while (reader.Next(&line, &too_long)) {
      if (line.empty()) continue;
      std::string value(line);
      std::string key;
      if (garbage_pm > 0 && static_cast<int>(rng() % 1000) < garbage_pm) {
        value = Garbage(rng);
        key = "garbage";
        ++garbage;
      } else {
        capture.host.clear();
        parser->Parse(line, {}, capture);
        key = capture.host.empty() ? a.Get("--file") : capture.host;
        ++valid;
      }
      for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(key.data(), key.size()),
            RD_KAFKA_V_VALUE(value.data(), value.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) Die(rd_kafka_err2str(err));
        rd_kafka_poll(rk, 10);
      }
      rd_kafka_poll(rk, 0);
      if (rate > 0) {
        auto due = start + std::chrono::duration<double>((valid + garbage) / rate);
        std::this_thread::sleep_until(due);
      }
    }
    std::fclose(f);
  }
  if (rd_kafka_flush(rk, 120000) != RD_KAFKA_RESP_ERR_NO_ERROR) Die("flush timed out");
  rd_kafka_destroy(rk);
  std::printf("valid=%llu garbage=%llu\n", static_cast<unsigned long long>(valid),
              static_cast<unsigned long long>(garbage));
  return 0;
}

struct PartitionEnds {
  std::vector<int32_t> partitions;
  std::vector<int64_t> low, high;
};

// The partitions of a topic and their offsets now.
PartitionEnds EndsOf(rd_kafka_t* rk, const std::string& topic) {
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_topic_t* t = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  if (rd_kafka_metadata(rk, 0, t, &md, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR || md->topic_cnt < 1 ||
      md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    Die("metadata for " + topic);
  }
  PartitionEnds ends;
  for (int i = 0; i < md->topics[0].partition_cnt; ++i) {
    int32_t p = md->topics[0].partitions[i].id;
    int64_t low = 0, high = 0;
    if (rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &low, &high, 10000) !=
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      Die("offsets of " + topic + "[" + std::to_string(p) + "]");
    }
    ends.partitions.push_back(p);
    ends.low.push_back(low);
    ends.high.push_back(high);
  }
  rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(t);
  return ends;
}

// Calls fn(message) for every message of the topic, from the beginning up to
// the end offsets it had when called. Idle for idle_ms before that: fails.
template <typename Fn>
void ForEachMessage(const Args& a, const std::string& topic, int idle_ms, Fn fn) {
  rd_kafka_t* rk = NewClient(RD_KAFKA_CONSUMER, a,
                             {{"group.id", "kafkatool"},
                              {"enable.auto.commit", "false"},
                              {"enable.partition.eof", "true"},
                              {"fetch.message.max.bytes", "4000000"}});
  rd_kafka_poll_set_consumer(rk);
  PartitionEnds ends = EndsOf(rk, topic);
  rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(16);
  std::map<int32_t, int64_t> pending;  // partition -> end offset still to reach
  for (size_t i = 0; i < ends.partitions.size(); ++i) {
    if (ends.high[i] <= ends.low[i]) continue;  // empty
    rd_kafka_topic_partition_list_add(parts, topic.c_str(), ends.partitions[i])->offset =
        RD_KAFKA_OFFSET_BEGINNING;
    pending[ends.partitions[i]] = ends.high[i];
  }
  rd_kafka_assign(rk, parts);
  rd_kafka_topic_partition_list_destroy(parts);
  auto last = std::chrono::steady_clock::now();
  while (!pending.empty()) {
    if (std::chrono::steady_clock::now() - last > std::chrono::milliseconds(idle_ms)) {
      std::string which;
      for (const auto& [p, end] : pending) which += " " + std::to_string(p);
      Die("dump of " + topic + ": nothing came for " + std::to_string(idle_ms) +
          " ms before the end of partition(s)" + which);
    }
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 200);
    if (m == nullptr) continue;
    auto it = pending.find(m->partition);
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      last = std::chrono::steady_clock::now();
      if (it != pending.end() && m->offset < it->second) fn(m);
      if (it != pending.end() && m->offset + 1 >= it->second) pending.erase(it);
    } else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (it != pending.end() && m->offset >= it->second) pending.erase(it);
    } else {
      std::fprintf(stderr, "kafkatool: %s\n", rd_kafka_message_errstr(m));
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
}

// The group's lag over the comma-separated topics.
int Lag(const Args& a) {
  rd_kafka_t* rk = NewClient(RD_KAFKA_CONSUMER, a, {{"group.id", a.Get("--group")}});
  std::string topics = a.Get("--topic");
  rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(32);
  std::map<std::pair<std::string, int32_t>, std::pair<int64_t, int64_t>> offsets;
  size_t pos = 0;
  while (pos <= topics.size()) {
    size_t comma = topics.find(',', pos);
    std::string topic =
        topics.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (!topic.empty()) {
      PartitionEnds ends = EndsOf(rk, topic);
      for (size_t i = 0; i < ends.partitions.size(); ++i) {
        rd_kafka_topic_partition_list_add(parts, topic.c_str(), ends.partitions[i]);
        offsets[{topic, ends.partitions[i]}] = {ends.low[i], ends.high[i]};
      }
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  if (rd_kafka_committed(rk, parts, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) Die("committed offsets");
  int64_t lag = 0;
  for (int i = 0; i < parts->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = parts->elems[i];
    auto [low, high] = offsets[{tp.topic, tp.partition}];
    int64_t from = tp.offset >= 0 ? std::max(tp.offset, low) : low;
    lag += std::max<int64_t>(0, high - from);
  }
  rd_kafka_topic_partition_list_destroy(parts);
  rd_kafka_destroy(rk);
  std::printf("%lld\n", static_cast<long long>(lag));
  return 0;
}

std::string JsonField(std::string_view json, const std::string& key) {
  std::string pattern = "\"" + key + "\":";
  size_t pos = json.find(pattern);
  if (pos == std::string_view::npos) return "";
  pos += pattern.size();
  if (pos < json.size() && json[pos] == '"') {
    size_t end = json.find('"', pos + 1);
    return std::string(json.substr(pos + 1, end - pos - 1));
  }
  size_t end = json.find_first_of(",}", pos);
  return std::string(json.substr(pos, end - pos));
}

int Dump(const Args& a) {
  int idle_ms = std::stoi(a.Get("--idle-ms", "5000"));
  bool with_position = a.Has("--with-position");
  std::string header = a.Get("--header");
  ForEachMessage(a, a.Get("--topic"), idle_ms, [&](rd_kafka_message_t* m) {
    std::string_view value(static_cast<const char*>(m->payload), m->len);
    if (!header.empty()) {
      rd_kafka_headers_t* hdrs = nullptr;
      const void* hv = nullptr;
      size_t hsize = 0;
      if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR &&
          rd_kafka_header_get_last(hdrs, header.c_str(), &hv, &hsize) ==
              RD_KAFKA_RESP_ERR_NO_ERROR) {
        value = std::string_view(static_cast<const char*>(hv), hsize);
      } else {
        value = "";
      }
    }
    if (with_position) {
      std::printf("%s\t%d\t%lld\t", rd_kafka_topic_name(m->rkt), m->partition,
                  static_cast<long long>(m->offset));
    }
    std::fwrite(value.data(), 1, value.size(), stdout);
    std::fputc('\n', stdout);
  });
  return 0;
}

int Latency(const Args& a) {
  int idle_ms = std::stoi(a.Get("--idle-ms", "5000"));
  std::map<std::string, int64_t> sent;  // "topic/partition/offset" -> timestamp ms
  std::string sources = a.Get("--sources");
  size_t pos = 0;
  while (pos <= sources.size()) {
    size_t comma = sources.find(',', pos);
    std::string topic =
        sources.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (!topic.empty()) {
      ForEachMessage(a, topic, idle_ms, [&](rd_kafka_message_t* m) {
        sent[topic + "/" + std::to_string(m->partition) + "/" + std::to_string(m->offset)] =
            rd_kafka_message_timestamp(m, nullptr);
      });
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  std::vector<double> latencies;
  ForEachMessage(a, a.Get("--topic"), idle_ms, [&](rd_kafka_message_t* m) {
    std::string_view json(static_cast<const char*>(m->payload), m->len);
    std::string key = JsonField(json, "loghunt.position.topic") + "/" +
                      JsonField(json, "loghunt.position.partition") + "/" +
                      JsonField(json, "loghunt.position.offset");
    auto it = sent.find(key);
    if (it != sent.end()) {
      latencies.push_back(static_cast<double>(rd_kafka_message_timestamp(m, nullptr) - it->second));
    }
  });
  if (latencies.empty()) Die("no alert matched a source message");
  std::sort(latencies.begin(), latencies.end());
  auto q = [&](double p) { return latencies[static_cast<size_t>(p * (latencies.size() - 1))]; };
  std::printf("producer-to-alert latency ms: n=%zu p50=%.0f p99=%.0f max=%.0f\n", latencies.size(),
              q(0.5), q(0.99), latencies.back());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) Die("usage: kafkatool create|produce|dump|latency|lag --brokers B --topic T ...");
  std::string cmd = argv[1];
  Args a;
  for (int i = 2; i < argc; ++i) {
    std::string k = argv[i];
    if (i + 1 < argc && std::strncmp(argv[i + 1], "--", 2) != 0) {
      a.kv[k] = argv[++i];
    } else {
      a.kv[k] = "1";
    }
  }
  if (!a.Has("--brokers") || !a.Has("--topic")) Die("--brokers and --topic are required");
  if (cmd == "create") return Create(a);
  if (cmd == "produce") return Produce(a);
  if (cmd == "dump") return Dump(a);
  if (cmd == "latency") return Latency(a);
  if (cmd == "lag") return Lag(a);
  Die("unknown command " + cmd);
}
