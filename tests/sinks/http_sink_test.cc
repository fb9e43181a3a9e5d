#include "sinks/http_sink.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <prometheus/registry.h>
#include <rapidjson/document.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "daemon/metrics.h"
#include "tests/sinks/http_peer.h"

namespace loghunt {
namespace {

using testing::HttpPeer;
using testing::PeerRequest;
using testing::PeerResponse;

Alert MakeTestAlert(int i) {
  Alert a;
  a.id = "alert-" + std::to_string(i);
  a.time_ns = 1'700'000'000'000'000'000 + i;
  a.rule = {"test.rule", "Test rule", Severity::kHigh, {"attack.t1059"}};
  a.host = "web-1";
  a.summary = "alert number " + std::to_string(i);
  return a;
}

// Ids of the alerts in a webhook JSON-array body.
std::vector<std::string> IdsInArray(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  std::vector<std::string> ids;
  if (!doc.IsArray()) return ids;
  for (const auto& v : doc.GetArray()) ids.emplace_back(v["id"].GetString());
  return ids;
}

// Collects delivery results from callbacks running on the sender thread.
struct Results {
  std::mutex mu;
  int ok = 0;
  int failed = 0;
  DeliveryCallback Callback() {
    return [this](bool delivered) {
      std::lock_guard lock(mu);
      (delivered ? ok : failed)++;
    };
  }
};

// A URL whose port nobody listens on (a peer that was there and is gone).
std::string ClosedPortUrl() {
  uint16_t port;
  {
    HttpPeer closed([](const PeerRequest&, int) { return PeerResponse{}; });
    port = closed.port();
  }
  return "http://127.0.0.1:" + std::to_string(port) + "/";
}

// Writes `count` alerts on a thread of its own, each once the sink has room
// (WaitForRoom), as a Kafka worker does before a batch.
struct WaitingWriter {
  WaitingWriter(HttpSink* sink, Results* results, int count)
      : thread([=, this] {
          for (int i = 0; i < count; ++i) {
            while (!sink->WaitForRoom(50)) {
            }
            accepted += sink->WriteAsync(MakeTestAlert(i), results->Callback());
          }
          finished = true;
        }) {}
  ~WaitingWriter() {
    if (thread.joinable()) thread.join();
  }
  // Waits until `n` alerts are accepted, then 300 ms more.
  void SettleAt(int n) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (accepted < n && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  std::atomic<int> accepted{0};
  std::atomic<bool> finished{false};
  std::thread thread;
};

HttpSinkOptions FastOptions(const std::string& url) {
  HttpSinkOptions o;
  o.url = url;
  o.linger_ms = 20;
  o.retry_initial_ms = 5;
  o.retry_max_ms = 50;
  o.timeout_ms = 2000;
  return o;
}

// Full after three alerts: one in flight, two queued.
HttpSinkOptions SmallQueueOptions(const std::string& url) {
  HttpSinkOptions o = FastOptions(url);
  o.queue_max_alerts = 2;
  o.batch_max_alerts = 1;
  return o;
}

TEST(HttpSink, WebhookPeerFailingFirstRequestsLosesNothing) {
  constexpr int kFailures = 5;
  HttpPeer peer([](const PeerRequest&, int seq) {
    return seq <= kFailures ? PeerResponse{503, "busy"} : PeerResponse{200, "{}"};
  });
  HttpSinkOptions o = FastOptions(peer.url("/hook"));
  o.batch_max_alerts = 40;
  std::string error;
  auto sink = HttpSink::Create(o, &error);
  ASSERT_TRUE(sink) << error;
  Results results;
  constexpr int kAlerts = 200;
  for (int i = 0; i < kAlerts; ++i)
    ASSERT_TRUE(sink->WriteAsync(MakeTestAlert(i), results.Callback()));
  EXPECT_TRUE(sink->Flush());
  EXPECT_EQ(results.ok, kAlerts);
  EXPECT_EQ(results.failed, 0);
  EXPECT_EQ(sink->queue_depth(), 0u);

  // Every alert reached the peer in a request it accepted, exactly once there.
  std::multiset<std::string> accepted;
  auto requests = peer.requests();
  ASSERT_GT(requests.size(), static_cast<size_t>(kFailures));
  for (size_t i = kFailures; i < requests.size(); ++i) {
    EXPECT_EQ(requests[i].target, "/hook");
    EXPECT_EQ(requests[i].content_type, "application/json");
    for (auto& id : IdsInArray(requests[i].body)) accepted.insert(id);
  }
  EXPECT_EQ(accepted.size(), static_cast<size_t>(kAlerts));
  for (int i = 0; i < kAlerts; ++i) EXPECT_EQ(accepted.count("alert-" + std::to_string(i)), 1u);
  HttpSinkStats st = sink->stats();
  EXPECT_EQ(st.retries, static_cast<uint64_t>(kFailures));
  EXPECT_EQ(st.delivered, static_cast<uint64_t>(kAlerts));
  // Batching: far fewer requests than alerts.
  EXPECT_LE(requests.size(), static_cast<size_t>(kFailures + kAlerts / 40 + 2));
}

TEST(HttpSink, SynchronousWriteWaitsForThePeer) {
  HttpPeer peer([](const PeerRequest&, int seq) {
    return seq == 1 ? PeerResponse{500, ""} : PeerResponse{204, ""};
  });
  HttpSinkOptions o = FastOptions(peer.url("/ndjson"));
  o.preset = HttpPreset::kWebhookNdjson;
  o.linger_ms = 10'000;  // Write() must not wait for the linger
  std::string error;
  auto sink = HttpSink::Create(o, &error);
  ASSERT_TRUE(sink) << error;
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(sink->Write(MakeTestAlert(1)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  ASSERT_EQ(peer.count(), 2);
  auto req = peer.requests()[1];
  EXPECT_EQ(req.content_type, "application/x-ndjson");
  EXPECT_EQ(req.body.back(), '\n');
  EXPECT_NE(req.body.find("\"id\":\"alert-1\""), std::string::npos);
}

TEST(HttpSink, ElasticsearchBulkRetriesOnlyRejectedItems) {
  // First answer: item 1 of 3 throttled (429). Then everything succeeds.
  HttpPeer peer([](const PeerRequest& r, int seq) {
    int n = 0;
    for (char c : r.body) n += c == '\n';
    std::string items;
    for (int i = 0; i < n / 2; ++i) {
      int status = seq == 1 && i == 1 ? 429 : 201;
      items +=
          std::string(i ? "," : "") + "{\"index\":{\"status\":" + std::to_string(status) + "}}";
    }
    return PeerResponse{200, std::string("{\"errors\":") + (seq == 1 ? "true" : "false") +
                                 ",\"items\":[" + items + "]}"};
  });
  HttpSinkOptions o = FastOptions(peer.url("/_bulk"));
  o.preset = HttpPreset::kElasticsearch;
  o.index = "loghunt-alerts";
  std::string error;
  auto sink = HttpSink::Create(o, &error);
  ASSERT_TRUE(sink) << error;
  Results results;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(sink->WriteAsync(MakeTestAlert(i), results.Callback()));
  EXPECT_TRUE(sink->Flush());
  EXPECT_EQ(results.ok, 3);
  auto requests = peer.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].content_type, "application/x-ndjson");
  EXPECT_NE(
      requests[0].body.find(
          "{\"index\":{\"_index\":\"loghunt-alerts\",\"_id\":\"alert-0\"}}\n{\"id\":\"alert-0\""),
      std::string::npos);
  // Only the throttled item is sent again.
  EXPECT_NE(requests[1].body.find("\"_id\":\"alert-1\""), std::string::npos);
  EXPECT_EQ(requests[1].body.find("\"_id\":\"alert-0\""), std::string::npos);
  EXPECT_EQ(requests[1].body.find("\"_id\":\"alert-2\""), std::string::npos);
}

TEST(HttpSink, SplunkHecEventsCarryTokenAndAlert) {
  HttpPeer peer([](const PeerRequest&, int) {
    return PeerResponse{200, "{\"text\":\"Success\",\"code\":0}"};
  });
  HttpSinkOptions o = FastOptions(peer.url("/services/collector/event"));
  o.preset = HttpPreset::kSplunkHec;
  o.token = "0000-1111";
  o.index = "security";
  o.format = AlertFormat::kOcsf;
  std::string error;
  auto sink = HttpSink::Create(o, &error);
  ASSERT_TRUE(sink) << error;
  EXPECT_TRUE(sink->Write(MakeTestAlert(7)));
  ASSERT_EQ(peer.count(), 1);
  auto req = peer.requests()[0];
  EXPECT_EQ(req.authorization, "Splunk 0000-1111");
  rapidjson::Document doc;
  doc.Parse(req.body.data(), req.body.size());
  ASSERT_TRUE(doc.IsObject()) << req.body;
  EXPECT_STREQ(doc["host"].GetString(), "web-1");
  EXPECT_STREQ(doc["index"].GetString(), "security");
  EXPECT_STREQ(doc["sourcetype"].GetString(), "loghunt:alert");
  EXPECT_EQ(doc["event"]["class_uid"].GetInt(), 2004);
  EXPECT_STREQ(doc["event"]["finding_info"]["uid"].GetString(), "alert-7");
}

TEST(HttpSink, ClientErrorFailsTheBatchWithoutRetrying) {
  HttpPeer peer([](const PeerRequest&, int) { return PeerResponse{400, "bad"}; });
  std::string error;
  auto sink = HttpSink::Create(FastOptions(peer.url("/")), &error);
  ASSERT_TRUE(sink) << error;
  Results results;
  ASSERT_TRUE(sink->WriteAsync(MakeTestAlert(1), results.Callback()));
  EXPECT_FALSE(sink->Flush());
  EXPECT_EQ(results.failed, 1);
  EXPECT_EQ(peer.count(), 1);
  EXPECT_EQ(sink->delivery_failures(), 1u);
}

TEST(HttpSink, UnreachablePeerGivesUpAfterMaxRetries) {
  uint16_t port;
  {
    HttpPeer closed([](const PeerRequest&, int) { return PeerResponse{}; });
    port = closed.port();
  }  // nothing listens there any more
  HttpSinkOptions o = FastOptions("http://127.0.0.1:" + std::to_string(port) + "/");
  o.max_retries = 3;
  std::string error;
  auto sink = HttpSink::Create(o, &error);
  ASSERT_TRUE(sink) << error;
  Results results;
  ASSERT_TRUE(sink->WriteAsync(MakeTestAlert(1), results.Callback()));
  EXPECT_FALSE(sink->Flush());
  EXPECT_EQ(results.failed, 1);
  EXPECT_EQ(sink->stats().retries, 3u);
}

// A revocation flushes with a bound of its own (KafkaSource::revoke_flush_ms,
// under the systemd watchdog's interval): with the endpoint away,
// FlushWithin() returns false once that bound passes, not after the sink's
// flush timeout, and the alert stays queued (neither delivered nor given
// up); it arrives when the endpoint is back.
TEST(HttpSink, FlushWithinEndsAtItsBoundAndKeepsTheAlert) {
  std::atomic<bool> up{false};
  std::atomic<int> received{0};
  HttpPeer peer([&](const PeerRequest& request, int) {
    if (!up) return PeerResponse{503, "away"};
    received += static_cast<int>(IdsInArray(request.body).size());
    return PeerResponse{200, "{}"};
  });
  HttpSinkOptions o = FastOptions(peer.url("/hook"));
  o.flush_timeout_ms = 60'000;
  std::string error;
  auto sink = HttpSink::Create(o, &error);
  ASSERT_TRUE(sink) << error;
  Results results;
  ASSERT_TRUE(sink->WriteAsync(MakeTestAlert(1), results.Callback()));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(sink->FlushWithin(200));
  // Far below the 60 s flush timeout (the bound plus scheduling).
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  EXPECT_EQ(sink->queue_depth(), 1u);
  {
    std::lock_guard lock(results.mu);
    EXPECT_EQ(results.ok + results.failed, 0);
  }
  up = true;
  EXPECT_TRUE(sink->FlushWithin(20'000));
  EXPECT_EQ(received.load(), 1);
  std::lock_guard lock(results.mu);
  EXPECT_EQ(results.ok, 1);
}

// Failed requests and retries reach the metrics
// (loghunt_sink_request_failures_total, loghunt_sink_retries_total): they were
// only in HttpSinkStats, so an endpoint failing most requests showed nothing
// until alerts were given up.
TEST(HttpSink, RequestFailuresAndRetriesAreExported) {
  HttpPeer peer([](const PeerRequest&, int seq) {
    return seq <= 3 ? PeerResponse{503, "busy"} : PeerResponse{200, "{}"};
  });
  std::string error;
  auto sink = HttpSink::Create(FastOptions(peer.url("/hook")), &error);
  ASSERT_TRUE(sink) << error;
  Results results;
  ASSERT_TRUE(sink->WriteAsync(MakeTestAlert(1), results.Callback()));
  ASSERT_TRUE(sink->Flush());
  auto metrics = Metrics::Create("", &error);
  ASSERT_TRUE(metrics) << error;
  metrics->PublishSinks({sink.get()});
  std::map<std::string, double> values;
  for (const auto& family : metrics->registry().Collect()) {
    for (const auto& m : family.metric) {
      for (const auto& label : m.label) {
        if (label.name == "sink" && label.value == "http") values[family.name] = m.counter.value;
      }
    }
  }
  EXPECT_EQ(values["loghunt_sink_request_failures_total"], 3);
  EXPECT_EQ(values["loghunt_sink_retries_total"], 3);
}

// An endpoint that accepts connections and never answers (a hung proxy): its
// listening socket is never accept()ed, so connecting and sending succeed and
// the answer never comes.
class Blackhole {
 public:
  Blackhole() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 64), 0);
    socklen_t len = sizeof addr;
    EXPECT_EQ(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port_ = ntohs(addr.sin_port);
  }
  ~Blackhole() { ::close(fd_); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// Stopping with an endpoint that never answers takes flush_timeout_ms, not a
// full request timeout per queued batch: the sender took batch after batch
// after the flush had ended (20 batches x the 10 s timeout here; 224 s with
// the defaults in a review). What is left is given up, once.
TEST(HttpSink, StoppingWithASilentEndpointTakesTheFlushTimeout) {
  Blackhole hole;
  HttpSinkOptions o;
  o.url = hole.url();
  o.batch_max_alerts = 1;
  o.linger_ms = 0;
  o.timeout_ms = 10'000;
  o.flush_timeout_ms = 300;
  std::string error;
  auto sink = HttpSink::Create(o, &error);
  ASSERT_TRUE(sink) << error;
  Results results;
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(sink->WriteAsync(MakeTestAlert(i), results.Callback()));
  std::ostringstream log;
  auto logger = std::make_shared<spdlog::logger>(
      "test", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(logger);
  sink->Interrupt();
  const auto start = std::chrono::steady_clock::now();
  sink.reset();
  const auto took = std::chrono::steady_clock::now() - start;
  spdlog::set_default_logger(previous);
  // Generous: below one request timeout.
  EXPECT_LT(took, std::chrono::seconds(8));
  EXPECT_EQ(results.failed, 20);
  EXPECT_EQ(results.ok, 0);
  EXPECT_NE(log.str().find("20 alert(s) undelivered"), std::string::npos) << log.str();
}

TEST(HttpSink, FullQueueRefusesAfterTheEnqueueTimeout) {
  HttpSinkOptions o = SmallQueueOptions(ClosedPortUrl());
  o.enqueue_timeout_ms = 50;
  o.flush_timeout_ms = 100;
  o.max_retries = 1000;
  std::string error;
  auto sink = HttpSink::Create(o, &error);
  ASSERT_TRUE(sink) << error;
  Results results;
  // Refusals are logged once per episode, not once per alert.
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log)));
  int accepted = 0;
  for (int i = 0; i < 6; ++i) accepted += sink->WriteAsync(MakeTestAlert(i), results.Callback());
  spdlog::set_default_logger(previous);
  // One in flight plus two queued; the rest refused and counted.
  EXPECT_EQ(accepted, 3);
  EXPECT_EQ(sink->stats().refused, 3u);
  const std::string logged = log.str();
  size_t lines = 0;
  for (size_t at = logged.find("queue full"); at != std::string::npos;
       at = logged.find("queue full", at + 1)) {
    ++lines;
  }
  EXPECT_EQ(lines, 1u) << logged;
  EXPECT_LE(sink->queue_depth(), 3u);
  sink.reset();  // shutdown resolves what is left as not delivered
  EXPECT_EQ(results.failed, 3);
}

// By default nothing is refused for want of room: a writer waits in
// WaitForRoom() (a Kafka worker before each batch) however long the endpoint
// is away, and everything arrives once it is back.
TEST(HttpSink, FullQueueWaitsForRoomByDefault) {
  std::atomic<bool> up{false};
  HttpPeer peer([&up](const PeerRequest&, int) {
    return up ? PeerResponse{200, "{}"} : PeerResponse{503, "away"};
  });
  HttpSinkOptions o = SmallQueueOptions(peer.url("/hook"));
  ASSERT_LT(o.enqueue_timeout_ms, 0) << "the default is to wait";
  std::string error;
  auto sink = HttpSink::Create(o, &error);
  ASSERT_TRUE(sink) << error;
  Results results;
  WaitingWriter writer(sink.get(), &results, 6);
  // One in flight plus two queued, then the writer waits (well past the
  // enqueue timeout the refusing test uses).
  writer.SettleAt(3);
  EXPECT_EQ(writer.accepted, 3);
  up = true;
  writer.thread.join();
  EXPECT_EQ(writer.accepted, 6);
  EXPECT_TRUE(sink->Flush());
  EXPECT_EQ(results.ok, 6);
  EXPECT_EQ(sink->stats().refused, 0u);

  // The alerts of batches under way are taken past the bound, not refused,
  // and WriteAsync never waits (it is called under a Kafka worker's lock):
  // 12,000 alerts, past the 10,000 more it used to wait beyond, go in at once.
  up = false;
  int accepted = 0;
  for (int i = 0; i < 12'000; ++i)
    accepted += sink->WriteAsync(MakeTestAlert(i), results.Callback());
  EXPECT_EQ(accepted, 12'000);
  EXPECT_GE(sink->queue_depth(), 11'999u);
  EXPECT_FALSE(sink->WaitForRoom(50));
  up = true;
  EXPECT_TRUE(sink->Flush());
  EXPECT_EQ(results.ok, 12'006);
}

// Interrupt() (SIGTERM) ends the wait: the writer goes on, its alerts are
// accepted without room and, the endpoint still away, given up when the sink
// is destroyed, so the source never committed them.
TEST(HttpSink, InterruptEndsTheWaitWithoutRefusing) {
  HttpSinkOptions o = SmallQueueOptions(ClosedPortUrl());
  o.flush_timeout_ms = 100;
  std::string error;
  auto sink = HttpSink::Create(o, &error);
  ASSERT_TRUE(sink) << error;
  Results results;
  WaitingWriter writer(sink.get(), &results, 6);
  writer.SettleAt(3);
  EXPECT_FALSE(writer.finished) << "the writer did not wait for room";
  sink->Interrupt();
  writer.thread.join();
  EXPECT_EQ(writer.accepted, 6);
  EXPECT_EQ(sink->stats().refused, 0u);
  EXPECT_FALSE(sink->Flush());
  EXPECT_EQ(results.ok + results.failed, 0) << "nothing resolved while the sink lives";
  sink.reset();
  EXPECT_EQ(results.failed, 6);
}

// A synchronous write to an endpoint that is away waits for it, until
// Interrupt() (SIGTERM): then it is a failed write, not a hang.
TEST(HttpSink, InterruptEndsASynchronousWrite) {
  HttpSinkOptions o = FastOptions(ClosedPortUrl());
  o.flush_timeout_ms = 100;
  std::string error;
  auto sink = HttpSink::Create(o, &error);
  ASSERT_TRUE(sink) << error;
  std::atomic<int> result{-1};
  std::thread writer([&] { result = sink->Write(MakeTestAlert(1)) ? 1 : 0; });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(result, -1) << "the write did not wait for the endpoint";
  sink->Interrupt();
  writer.join();
  EXPECT_EQ(result, 0);
  EXPECT_EQ(sink->queue_depth(), 1u) << "given up only when the sink is destroyed";
}

// A Retry-After is waited for; an answer's body over Beast's default 8 MiB
// is no transport error (the delivered batch was sent again); a kept-alive
// connection the server closed meanwhile is reopened without a failure.
TEST(HttpSink, RetryAfterLargeAnswersAndServerClosedConnections) {
  HttpPeer peer([](const PeerRequest&, int seq) {
    if (seq == 1) return PeerResponse{429, "slow down", {{"Retry-After", "1"}}};
    if (seq == 2) return PeerResponse{200, std::string(10 << 20, 'x'), {}, /*close=*/true};
    return PeerResponse{200, "{}"};
  });
  HttpSinkOptions o = FastOptions(peer.url("/hook"));
  std::string error;
  auto sink = HttpSink::Create(o, &error);
  ASSERT_TRUE(sink) << error;
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(sink->Write(MakeTestAlert(1)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(950))
      << "Retry-After: 1 not waited for (the backoff alone is 5-50 ms)";
  EXPECT_EQ(peer.count(), 2) << "the 10 MiB answer made the batch be sent again";
  EXPECT_TRUE(sink->Write(MakeTestAlert(2)));
  EXPECT_EQ(peer.count(), 3);
  HttpSinkStats st = sink->stats();
  EXPECT_EQ(st.delivered, 2u);
  EXPECT_EQ(st.retries, 1u);           // the 429 only
  EXPECT_EQ(st.request_failures, 1u);  // not the closed connection
}

TEST(HttpSink, BadUrlIsAnError) {
  std::string error;
  HttpSinkOptions o;
  o.url = "ftp://x/";
  EXPECT_FALSE(HttpSink::Create(o, &error));
  EXPECT_NE(error.find("http://"), std::string::npos);
  o.url = "http://host:99999/";
  EXPECT_FALSE(HttpSink::Create(o, &error));
  // Credentials were taken for part of the host: every request failed to
  // resolve, for ever, with the password in every log line.
  o.url = "http://user:S3CRET@127.0.0.1:8080/h";
  EXPECT_FALSE(HttpSink::Create(o, &error));
  EXPECT_NE(error.find("credentials"), std::string::npos) << error;
  EXPECT_FALSE(CheckHttpUrl(o.url, &error));
  EXPECT_FALSE(CheckHttpUrl("http://:80/h", &error));
  EXPECT_TRUE(CheckHttpUrl("https://[::1]:8443/h?x=1", &error)) << error;
}

// An interim answer (100 Continue) is skipped for the final one (it was
// taken for a refusal of the batch); the Host header has the port when it is
// not the scheme's; a #fragment is not sent.
TEST(HttpSink, InterimAnswersHostPortAndFragment) {
  HttpPeer peer([](const PeerRequest&, int) {
    return PeerResponse{200, "{}", {}, /*close=*/false, /*interim=*/1};
  });
  std::string error;
  auto sink = HttpSink::Create(FastOptions(peer.url("/hook?x=1#frag")), &error);
  ASSERT_TRUE(sink) << error;
  EXPECT_TRUE(sink->Write(MakeTestAlert(1)));
  EXPECT_EQ(sink->stats().delivered, 1u);
  ASSERT_EQ(peer.count(), 1);
  const PeerRequest req = peer.requests()[0];
  EXPECT_EQ(req.host, "127.0.0.1:" + std::to_string(peer.port()));
  EXPECT_EQ(req.target, "/hook?x=1");
}

// An endpoint sending interim answers without end: the request fails after
// 8 (the connection closed, the batch retried), not taken for a refusal of
// the batch with its real answer left unread for the next request.
TEST(HttpSink, EndlessInterimAnswersFailTheRequestNotTheBatch) {
  HttpPeer peer([](const PeerRequest&, int seq) {
    return PeerResponse{200, "{}", {}, /*close=*/false, /*interim=*/seq == 1 ? 9 : 0};
  });
  std::string error;
  auto sink = HttpSink::Create(FastOptions(peer.url("/")), &error);
  ASSERT_TRUE(sink) << error;
  EXPECT_TRUE(sink->Write(MakeTestAlert(1)));
  EXPECT_EQ(peer.count(), 2);
  EXPECT_EQ(sink->stats().delivered, 1u);
  EXPECT_EQ(sink->stats().request_failures, 1u);
}

// An endpoint that refuses a body as too large (413; nginx's default is
// 1 MiB) gets the batch again in halves, down to single alerts: the whole
// batch was given up though each alert fitted. Logs show no path (a
// webhook's secret is often in it).
TEST(HttpSink, ABatchTooLargeIsSentInHalvesAndLogsShowNoPath) {
  HttpPeer peer([](const PeerRequest& req, int) {
    return IdsInArray(req.body).size() > 2 ? PeerResponse{413, "too large"} : PeerResponse{200};
  });
  HttpSinkOptions o = FastOptions(peer.url("/services/T0/B0/s3cret-token"));
  o.linger_ms = 200;
  std::string error;
  auto sink = HttpSink::Create(o, &error);
  ASSERT_TRUE(sink) << error;
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log)));
  Results results;
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(sink->WriteAsync(MakeTestAlert(i), results.Callback()));
  const bool flushed = sink->Flush();
  spdlog::set_default_logger(previous);
  EXPECT_TRUE(flushed);
  EXPECT_EQ(results.ok, 7);
  EXPECT_EQ(results.failed, 0);
  std::set<std::string> delivered;
  for (const PeerRequest& req : peer.requests()) {
    if (IdsInArray(req.body).size() > 2) continue;
    for (const std::string& id : IdsInArray(req.body)) delivered.insert(id);
  }
  EXPECT_EQ(delivered.size(), 7u);
  EXPECT_NE(log.str().find("HTTP 413"), std::string::npos) << log.str();
  EXPECT_EQ(log.str().find("s3cret"), std::string::npos) << log.str();
}

}  // namespace
}  // namespace loghunt
