#include "sinks/suppressor.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <mutex>

#include "core/serialize.h"
#include "core/time.h"

namespace loghunt {
namespace {

constexpr int64_t kT0 = 1'700'000'000 * kNanosPerSecond;

Alert MakeTestAlert(int64_t time_ns, const std::string& key = "powershell -enc",
                    const std::string& host = "web-1", const std::string& id = "a") {
  Alert a;
  a.id = id;
  a.time_ns = time_ns;
  a.rule = {"risky.encoded_command", "Encoded command", Severity::kHigh, {}};
  a.key = key;
  a.host = host;
  a.summary = "encoded command on " + host;
  return a;
}

// Records what reaches it, like a real sink would hand it over.
class RecordingSink : public AlertSink {
 public:
  std::string_view name() const override { return "recording"; }
  bool Write(const Alert& alert) override {
    std::lock_guard lock(mu_);
    alerts_.push_back(alert);
    return true;
  }
  std::vector<Alert> alerts() {
    std::lock_guard lock(mu_);
    return alerts_;
  }
  bool FlushWithin(int timeout_ms) override {
    flush_bound_ms = timeout_ms;
    return false;  // as a sink whose deliveries are still pending
  }
  int flush_bound_ms = -1;

 private:
  std::mutex mu_;
  std::vector<Alert> alerts_;
};

const Entity* SuppressionEntity(const Alert& a) {
  for (const auto& e : a.entities) {
    if (e.type == "Suppression") return &e;
  }
  return nullptr;
}

std::string Property(const Entity& e, const std::string& name) {
  for (const auto& [k, v] : e.properties) {
    if (k == name) return v;
  }
  return "";
}

TEST(Suppression, TenThousandIdenticalAlertsInAMinuteGiveOneAlertAndOneSummary) {
  SuppressionOptions o;
  o.enabled = true;
  o.window_seconds = 300;
  o.tick_ms = 0;
  auto recording = std::make_unique<RecordingSink>();
  RecordingSink* out = recording.get();
  SuppressingSink sink(std::move(recording), o);
  constexpr int kAlerts = 10'000;
  for (int i = 0; i < kAlerts; ++i) {
    // Spread over 59.994 seconds of event time.
    ASSERT_TRUE(sink.Write(MakeTestAlert(kT0 + int64_t{i} * 6'000'000, "powershell -enc", "web-1",
                                         "id-" + std::to_string(i))));
  }
  EXPECT_EQ(out->alerts().size(), 1u);  // the first went out at once, the rest wait
  EXPECT_TRUE(sink.Flush());
  auto alerts = out->alerts();
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].id, "id-0");
  const Entity* e = SuppressionEntity(alerts[1]);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(Property(*e, "count"), "10000");
  EXPECT_EQ(Property(*e, "suppressed"), "9999");
  EXPECT_EQ(Property(*e, "first_seen"), FormatRfc3339(kT0));
  EXPECT_EQ(Property(*e, "last_seen"), FormatRfc3339(kT0 + int64_t{kAlerts - 1} * 6'000'000));
  EXPECT_EQ(Property(*e, "distinct_hosts"), "1");
  EXPECT_EQ(Property(*e, "first_alert_id"), "id-0");
  EXPECT_NE(alerts[1].summary.find("10000 times in 1 minute"), std::string::npos)
      << alerts[1].summary;
  EXPECT_EQ(alerts[1].rule.id, "risky.encoded_command");
  EXPECT_EQ(alerts[1].host, "web-1");
  EXPECT_NE(alerts[1].id, alerts[0].id);
  // The summary serializes like any alert.
  rapidjson::Document doc;
  std::string json = SerializeAlert(alerts[1]);
  doc.Parse(json.data(), json.size());
  EXPECT_TRUE(doc.IsObject());
  SuppressionStats st = sink.stats();
  EXPECT_EQ(st.passed, 1u);
  EXPECT_EQ(st.suppressed, 9999u);
  EXPECT_EQ(st.summaries, 1u);
  EXPECT_EQ(st.open_windows, 0u);
}

// A window keeps its distinct hosts and observables for the summary, and
// its distinct messages only to count them: each was kept whole, so ten
// alerts with 100 KB host names, URLs and summaries held 3 MB per window (for
// up to max_keys windows). A host or observable is kept cut now (the summary
// shows the marker), a message as a hash.
TEST(Suppression, LongHostsObservablesAndMessagesAreNotKeptWhole) {
  SuppressionOptions o;
  o.enabled = true;
  o.tick_ms = 0;
  Suppressor s(o);
  std::vector<Alert> due;
  for (int i = 0; i < 3; ++i) {
    Alert a = MakeTestAlert(kT0 + i, "k", std::to_string(i) + std::string(100'000, 'h'),
                            "id-" + std::to_string(i));
    a.summary = std::to_string(i % 2) + std::string(100'000, 's');
    a.observables.push_back({});
    a.observables.back().type = "url";
    a.observables.back().value = "http://x/" + std::to_string(i) + std::string(100'000, 'u');
    s.Offer(a, kT0, &due);
  }
  s.Drain(&due);
  ASSERT_EQ(due.size(), 1u);
  const Entity* e = SuppressionEntity(due[0]);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(Property(*e, "distinct_messages"), "2");
  EXPECT_EQ(Property(*e, "distinct_hosts"), "3");
  std::string hosts = Property(*e, "hosts");
  EXPECT_LT(hosts.size(), 3 * 300u);
  EXPECT_NE(hosts.find("hhh...[cut: 100001 bytes in all]"), std::string::npos)
      << hosts.substr(0, 400);
  std::string observables = Property(*e, "observables");
  EXPECT_LT(observables.size(), 3 * (8192u + 100));
  EXPECT_NE(observables.find("uuu...[cut: 100014 bytes in all]"), std::string::npos);
}

TEST(Suppression, ANormalHostAndObservableAreShownWhole) {
  SuppressionOptions o;
  o.enabled = true;
  o.tick_ms = 0;
  Suppressor s(o);
  std::vector<Alert> due;
  const std::string url = "http://example.com/" + std::string(4000, 'a');
  for (int i = 0; i < 2; ++i) {
    Alert a = MakeTestAlert(kT0 + i, "k", "web-1.example.com", "id-" + std::to_string(i));
    a.observables.push_back({});
    a.observables.back().type = "url";
    a.observables.back().value = url;
    s.Offer(a, kT0, &due);
  }
  s.Drain(&due);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].host, "web-1.example.com");
  const Entity* e = SuppressionEntity(due[0]);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(Property(*e, "hosts"), "web-1.example.com");
  EXPECT_EQ(Property(*e, "observables"), "url:" + url);
}

TEST(Suppression, WindowClosesByEventTimeAndANewOneStarts) {
  SuppressionOptions o;
  o.window_seconds = 60;
  Suppressor s(o);
  std::vector<Alert> due;
  EXPECT_TRUE(s.Offer(MakeTestAlert(kT0), kT0, &due));
  EXPECT_FALSE(s.Offer(MakeTestAlert(kT0 + 10 * kNanosPerSecond), kT0, &due));
  EXPECT_FALSE(
      s.Offer(MakeTestAlert(kT0 + 20 * kNanosPerSecond, "powershell -enc", "db-2"), kT0, &due));
  EXPECT_TRUE(due.empty());
  // 61 s later the same alert opens a new window, after the old one's summary.
  EXPECT_TRUE(s.Offer(MakeTestAlert(kT0 + 61 * kNanosPerSecond), kT0, &due));
  ASSERT_EQ(due.size(), 1u);
  const Entity* e = SuppressionEntity(due[0]);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(Property(*e, "count"), "3");
  EXPECT_EQ(Property(*e, "distinct_hosts"), "2");
  EXPECT_EQ(Property(*e, "hosts"), "db-2, web-1");
  EXPECT_EQ(due[0].host, "");  // several hosts: none in particular
  // A window without repeats closes silently.
  due.clear();
  s.Drain(&due);
  EXPECT_TRUE(due.empty());
}

// An alert dated years ahead (a host with a wrong clock) does not close every
// later window at once: windows follow event time only up to a window past
// the wall clock.
TEST(Suppression, AFutureDatedAlertDoesNotTurnSuppressionOff) {
  SuppressionOptions o;
  o.window_seconds = 60;
  Suppressor s(o);
  std::vector<Alert> due;
  const int64_t year = 365LL * 24 * 3600 * kNanosPerSecond;
  EXPECT_TRUE(s.Offer(MakeTestAlert(kT0 + 5 * year, "other", "bad-clock"), kT0, &due));
  EXPECT_TRUE(s.Offer(MakeTestAlert(kT0 + kNanosPerSecond), kT0, &due));
  for (int i = 2; i < 6; ++i) {
    EXPECT_FALSE(s.Offer(MakeTestAlert(kT0 + i * 10 * kNanosPerSecond), kT0, &due)) << i;
  }
  EXPECT_TRUE(due.empty());
  // Near the end of int64 nanoseconds (year 2262) nothing overflows.
  EXPECT_TRUE(s.Offer(MakeTestAlert(INT64_MAX - 1, "last"), kT0, &due));
}

TEST(Suppression, DifferentKeysAndRulesAreSeparateWindows) {
  SuppressionOptions o;
  Suppressor s(o);
  std::vector<Alert> due;
  EXPECT_TRUE(s.Offer(MakeTestAlert(kT0, "k1"), kT0, &due));
  EXPECT_TRUE(s.Offer(MakeTestAlert(kT0, "k2"), kT0, &due));
  Alert other = MakeTestAlert(kT0, "k1");
  other.rule.id = "other.rule";
  EXPECT_TRUE(s.Offer(other, kT0, &due));
  EXPECT_FALSE(s.Offer(MakeTestAlert(kT0, "k2"), kT0, &due));
  EXPECT_EQ(s.stats().open_windows, 3u);
}

TEST(Suppression, WallClockClosesWindowsOfAQuietStream) {
  SuppressionOptions o;
  o.window_seconds = 60;
  Suppressor s(o);
  std::vector<Alert> due;
  s.Offer(MakeTestAlert(kT0), kT0, &due);
  s.Offer(MakeTestAlert(kT0 + 1), kT0, &due);
  s.Expire(kT0 + 59 * kNanosPerSecond, &due);
  EXPECT_TRUE(due.empty());
  s.Expire(kT0 + 60 * kNanosPerSecond, &due);
  EXPECT_EQ(due.size(), 1u);
  EXPECT_EQ(s.stats().open_windows, 0u);
}

TEST(Suppression, StateIsBoundedAndEvictionEmitsTheSummaryEarly) {
  SuppressionOptions o;
  o.max_keys = 100;
  o.max_distinct_values = 3;
  Suppressor s(o);
  std::vector<Alert> due;
  // Key 0 repeats, then 100 other keys push it out (it is least recently seen).
  s.Offer(MakeTestAlert(kT0, "key-0", "h0"), kT0, &due);
  for (int h = 1; h <= 5; ++h)
    s.Offer(MakeTestAlert(kT0, "key-0", "h" + std::to_string(h)), kT0, &due);
  for (int k = 1; k <= 100; ++k) s.Offer(MakeTestAlert(kT0, "key-" + std::to_string(k)), kT0, &due);
  EXPECT_EQ(s.stats().open_windows, 100u);
  EXPECT_EQ(s.stats().evictions, 1u);
  ASSERT_EQ(due.size(), 1u);
  const Entity* e = SuppressionEntity(due[0]);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(Property(*e, "count"), "6");
  EXPECT_EQ(Property(*e, "distinct_hosts"), "more than 3");
  EXPECT_EQ(due[0].key, "key-0");
}

TEST(Suppression, AsyncRepeatsAreAcknowledgedAtOnce) {
  SuppressionOptions o;
  o.tick_ms = 0;
  SuppressingSink sink(std::make_unique<RecordingSink>(), o);
  int acks = 0;
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(sink.WriteAsync(MakeTestAlert(kT0 + i), [&acks](bool ok) { acks += ok; }));
  }
  EXPECT_EQ(acks, 3);
}

// A revocation's bounded flush (FlushWithin) closes the windows as Flush()
// does and passes its bound and its answer through to the inner sink.
TEST(Suppression, FlushWithinEmitsSummariesAndPassesTheBound) {
  SuppressionOptions o;
  o.tick_ms = 0;
  auto recording = std::make_unique<RecordingSink>();
  RecordingSink* out = recording.get();
  SuppressingSink sink(std::move(recording), o);
  for (int i = 0; i < 3; ++i) sink.Write(MakeTestAlert(kT0 + i));
  ASSERT_EQ(out->alerts().size(), 1u);
  EXPECT_FALSE(sink.FlushWithin(1234));
  EXPECT_EQ(out->flush_bound_ms, 1234);
  ASSERT_EQ(out->alerts().size(), 2u);  // the first alert, then the summary of two repeats
  EXPECT_NE(SuppressionEntity(out->alerts()[1]), nullptr);
}

TEST(Suppression, TimerThreadEmitsSummariesWithoutNewAlerts) {
  SuppressionOptions o;
  o.window_seconds = 1;
  o.tick_ms = 20;
  auto recording = std::make_unique<RecordingSink>();
  RecordingSink* out = recording.get();
  SuppressingSink sink(std::move(recording), o);
  int64_t now = NowNanos();
  sink.Write(MakeTestAlert(now - 3600 * kNanosPerSecond));  // old event time, live wall clock
  sink.Write(MakeTestAlert(now - 3600 * kNanosPerSecond + 1));
  for (int i = 0; i < 200 && out->alerts().size() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(out->alerts().size(), 2u);
}

}  // namespace
}  // namespace loghunt
