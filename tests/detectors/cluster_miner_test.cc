// Unit tests of the streaming template miner, its masking, the Loghub header
// layouts, the msticpy features and the snapshot codec (detectors/cluster/).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "detectors/cluster/cluster_snapshot.h"
#include "detectors/cluster/features.h"
#include "detectors/cluster/log_format.h"
#include "detectors/cluster/template_miner.h"
#include "detectors/cluster/token_mask.h"

namespace loghunt {
namespace {

std::string Masked(std::string_view token, std::vector<std::string_view> known = {}) {
  std::string out;
  AppendMaskedToken(token, known, &out);
  return out;
}

TEST(TokenMask, MasksVariablePartsAndKeepsStructure) {
  EXPECT_EQ(Masked("rhost=218.188.2.4"), "rhost=<*>");
  EXPECT_EQ(Masked("C:\\Windows\\system32\\conhost.exe"), "C:\\Windows\\<*>\\conhost.exe");
  EXPECT_EQ(Masked("-tmp:/tmp/rollback-dir/x"), "-tmp:/tmp/<*>/x");
  EXPECT_EQ(Masked("(uid=0)"), "(uid=<*>)");
  EXPECT_EQ(Masked("0xffffffff"), "<*>");
  EXPECT_EQ(Masked("deadbeefcafe"), "<*>");
  EXPECT_EQ(Masked("ns.marryaldkfaczcz.com"), "<*>");
  EXPECT_EQ(Masked("Jul"), "<*>");
  EXPECT_EQ(Masked("authentication"), "authentication");
  EXPECT_EQ(Masked("-hostname=web", {"web"}), "-hostname=<*>");
}

TEST(TokenMask, HashIsTheHashOfTheMaskedText) {
  // Snapshots store template text; restoring relies on this identity.
  for (std::string_view t : {"rhost=10.0.0.1", "plain", "C:\\Temp\\abc\\x.exe", "12345"}) {
    std::string masked = Masked(t);
    EXPECT_EQ(MaskedTokenHash(t, {}), MaskedTokenHash(masked, {})) << t;
  }
  EXPECT_EQ(MaskedTokenHash("12345", {}), WildcardTokenHash());
}

TEST(TemplateMiner, GroupsMessagesThatDifferInVariables) {
  TemplateMiner miner;
  auto a = miner.Add("Accepted password for root from 10.0.0.1 port 22 ssh2");
  auto b = miner.Add("Accepted password for root from 10.9.8.7 port 4242 ssh2");
  auto c = miner.Add("Connection closed by 10.0.0.1 [preauth]");
  EXPECT_TRUE(a.created);
  EXPECT_FALSE(b.created);
  EXPECT_EQ(a.slot, b.slot);
  EXPECT_NE(a.slot, c.slot);
  // "ssh2" holds a digit, so it is masked like any other such token.
  EXPECT_EQ(miner.pattern(a.slot).template_text,
            "Accepted password for root from <*> port <*> <*>");
  EXPECT_EQ(miner.pattern(a.slot).count, 2u);
}

TEST(TemplateMiner, IdsDeriveFromTheTemplateNotFromOrder) {
  TemplateMiner one, two;
  one.Add("unrelated message first");
  auto a = one.Add("session opened for user root by (uid=0)");
  auto b = two.Add("session opened for user root by (uid=500)");
  EXPECT_EQ(one.pattern(a.slot).id, two.pattern(b.slot).id);
  EXPECT_EQ(TemplateMiner::IdHex(one.pattern(a.slot).id).size(), 16u);
}

TEST(TemplateMiner, KeyValueConstantsSplitUntilTheKeyTakesManyValues) {
  MinerOptions options;
  options.max_key_values = 3;
  TemplateMiner miner(options);
  auto root = miner.Add("auth failure; rhost=1.2.3.4 user=root");
  auto guest = miner.Add("auth failure; rhost=1.2.3.5 user=guest");
  EXPECT_NE(root.slot, guest.slot);
  EXPECT_EQ(miner.size(), 2u);
  // A third distinct value: user= is a variable; the patterns merge.
  std::vector<std::pair<uint32_t, uint32_t>> merges;
  miner.set_on_merge([&](uint32_t from, uint32_t into) { merges.emplace_back(from, into); });
  auto third = miner.Add("auth failure; rhost=1.2.3.6 user=alice");
  EXPECT_EQ(miner.size(), 1u);
  EXPECT_EQ(merges.size(), 2u);
  EXPECT_EQ(miner.pattern(third.slot).template_text, "auth failure; rhost=<*> <*>");
  EXPECT_EQ(miner.pattern(third.slot).count, 3u);
  auto fourth = miner.Add("auth failure; rhost=1.2.3.7 user=bob");
  EXPECT_EQ(fourth.slot, third.slot);
}

TEST(TemplateMiner, BoundedByMaxPatternsWithCountedLruEviction) {
  MinerOptions options;
  options.max_patterns = 3;
  TemplateMiner miner(options);
  std::vector<uint64_t> evicted;
  miner.set_on_evict([&](uint32_t, const TemplateMiner::Pattern& p) { evicted.push_back(p.id); });
  auto first = miner.Add("alpha one");
  uint64_t first_id = miner.pattern(first.slot).id;
  miner.Add("beta two words");
  miner.Add("gamma three words here");
  miner.Add("beta two words");  // touch: alpha is now least recent
  miner.Add("delta four words here now");
  EXPECT_EQ(miner.size(), 3u);
  EXPECT_EQ(miner.evictions(), 1u);
  ASSERT_EQ(evicted.size(), 1u);
  EXPECT_EQ(evicted[0], first_id);
  for (int i = 0; i < 100; ++i)
    miner.Add("word" + std::string(1, static_cast<char>('a' + i % 26)) + " x" +
              std::string(static_cast<size_t>(i % 7 + 1), 'y'));
  EXPECT_LE(miner.size(), 3u);
}

TEST(TemplateMiner, LeavesAreBoundedSoMatchingCostIsBounded) {
  MinerOptions options;
  options.max_leaf_patterns = 4;
  TemplateMiner miner(options);
  // Same length and prefix, all different constants: one leaf.
  for (std::string w :
       {"alpha beta", "gamma delta", "epsilon zeta", "eta theta", "iota kappa", "lambda mu"}) {
    miner.Add("run job " + w + " now");
  }
  EXPECT_EQ(miner.size(), 4u);
  EXPECT_EQ(miner.evictions(), 2u);
}

TEST(TemplateMiner, RestoreRebuildsTheSamePatternAndMatchesNewMessages) {
  TemplateMiner a;
  a.Add("Invalid user webmaster from 173.234.31.186");
  auto m = a.Add("Invalid user test9 from 52.80.34.196");
  const auto& p = a.pattern(m.slot);
  TemplateMiner b;
  uint32_t slot;
  ASSERT_TRUE(b.Restore(p.template_text, p.count, &slot));
  EXPECT_EQ(b.pattern(slot).id, p.id);
  auto again = b.Add("Invalid user oracle from 10.1.1.1");
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.slot, slot);
  EXPECT_FALSE(b.Restore("   ", 1, &slot));
}

TEST(TemplateMiner, OverlongMessagesAreBounded) {
  MinerOptions options;
  options.max_tokens = 8;
  TemplateMiner miner(options);
  std::string long_message;
  for (int i = 0; i < 1000; ++i) long_message += "w ";
  auto m = miner.Add(long_message);
  EXPECT_EQ(miner.pattern(m.slot).template_text, "w w w w w w w <*>");
  auto empty = miner.Add("");
  EXPECT_TRUE(empty.created);
  // Exactly max_tokens tokens: nothing to fold, the last token stays itself.
  auto exact = miner.Add("a b c d e f g h");
  EXPECT_EQ(miner.pattern(exact.slot).template_text, "a b c d e f g h");
  auto over = miner.Add("a b c d e f g h i");
  EXPECT_EQ(miner.pattern(over.slot).template_text, "a b c d e f g <*>");
}

// A token over kMaxTokenBytes is one variable token: masked part by part,
// "5/5/5/..." made a template twice the message (700 KB -> 1.4 MB), which
// the snapshot reader then refused, dropping every host's state.
TEST(TemplateMiner, AHugeTokenIsOneWildcardAndTheTemplateStaysSmall) {
  TemplateMiner miner;
  std::string blob;
  for (int i = 0; i < 350'000; ++i) blob += "5/";
  auto m = miner.Add("cmd " + blob + " --flag");
  EXPECT_EQ(miner.pattern(m.slot).template_text, "cmd <*> --flag");
  std::string at_limit;  // a constant token of kMaxTokenBytes: masked, not folded
  while (at_limit.size() < kMaxTokenBytes) at_limit += at_limit.size() % 3 == 2 ? "/" : "a";
  TemplateMiner fresh;
  auto kept = fresh.Add("cmd " + at_limit + " --flag");
  EXPECT_EQ(fresh.pattern(kept.slot).template_text, "cmd " + at_limit + " --flag");
}

TEST(LogFormat, ExtractsContentWithOptionalGroups) {
  std::string error;
  auto linux_format = LogFormat::Parse(
      "<Month> <Date> <Time> <Level> <Component>(\\[<PID>\\])?: <Content>", &error);
  ASSERT_TRUE(linux_format) << error;
  EXPECT_EQ(linux_format->Extract(
                "Jun 14 15:16:02 combo sshd(pam_unix)[19937]: check pass; user unknown"),
            "check pass; user unknown");
  EXPECT_EQ(linux_format->Extract("Jun 15 04:06:18 combo kernel: audit(1118822.1:0): initialized"),
            "audit(1118822.1:0): initialized");
  EXPECT_FALSE(linux_format->Extract("no header here"));
  // Loghub Linux_2k.log:1911 shape: no [pid], many words. The alternative
  // with the group backtracks a lot; the one without it must still be tried.
  std::string words;
  for (int i = 0; i < 20; ++i) words += " w";
  EXPECT_EQ(linux_format->Extract("Jul 27 14:41:57 combo kernel:" + words), words.substr(1));
  auto apache = LogFormat::Parse("\\[<Time>\\] \\[<Level>\\] <Content>", &error);
  ASSERT_TRUE(apache);
  EXPECT_EQ(apache->Extract("[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok"),
            "workerEnv.init() ok");
}

TEST(LogFormat, RejectsMalformedSpecs) {
  std::string error;
  EXPECT_FALSE(LogFormat::Parse("<Date> <Time>", &error));
  EXPECT_NE(error.find("Content"), std::string::npos);
  EXPECT_FALSE(LogFormat::Parse("<Date <Content>", &error));
  EXPECT_FALSE(LogFormat::Parse("(<A> (<B>)?)? <Content>", &error));
  EXPECT_FALSE(LogFormat::Parse("(<A> <Content>", &error));
}

TEST(LogFormat, HostileLinesCostBoundedWork) {
  std::string error;
  auto f = LogFormat::Parse("<A> <B> <C> <D> <E> <F>: <Content>", &error);
  ASSERT_TRUE(f);
  std::string line(20000, ' ');
  for (size_t i = 0; i < line.size(); i += 2) line[i] = 'a';
  EXPECT_FALSE(f->Extract(line));  // no ": ", budget ends the search
}

TEST(MsticpyFeatures, MatchPythonDefinitions) {
  // Expected values from the Python definitions in msticpy.md §4 (sum(ord),
  // split(" "), the delimiter class, zlib.crc32) on this command line.
  std::string_view s = "\"CollectGuestLogs.exe\" -Mode:ga -FileName:C:\\WindowsAzure\\x.zip";
  MsticpyFeatures f = ComputeMsticpyFeatures(s);
  EXPECT_EQ(f.char_ord_score, 5779);
  EXPECT_EQ(f.token_count, 3);
  EXPECT_EQ(f.delim_count, 13);
  EXPECT_EQ(f.delim_hash, 1958670472u);
  EXPECT_EQ(f.crc32, 2698125554u);
  EXPECT_EQ(ComputeMsticpyFeatures("").token_count, 1);
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);                          // the CRC-32 check value
  EXPECT_EQ(ComputeMsticpyFeatures("\xc3\xa9").char_ord_score, 0xe9);  // code points, not bytes
  // Python's \s matches Unicode spaces too: U+3000, U+2003, U+2028 (and é is
  // no delimiter). Python: len(re.findall(CLASS, s)) = 4, crc32 = 1873458805.
  MsticpyFeatures u =
      ComputeMsticpyFeatures("cmd\xe3\x80\x80/c\xe2\x80\x83whoami\xe2\x80\xa8x\xc3\xa9");
  EXPECT_EQ(u.delim_count, 4);
  EXPECT_EQ(u.delim_hash, 1873458805u);
}

TEST(ClusterSnapshot, RoundTripsAndRejectsCorruption) {
  ClusterSnapshot s;
  s.hosts.push_back({1, "web01", 42, 1000, 2000, {{"ls -la <*>", 7, 1500, 3, 4, 1900}}});
  std::string bytes;
  SerializeClusterSnapshot(s, &bytes);
  ClusterSnapshot back;
  std::string error;
  ASSERT_TRUE(ParseClusterSnapshot(bytes, &back, &error)) << error;
  ASSERT_EQ(back.hosts.size(), 1u);
  EXPECT_EQ(back.hosts[0].host, "web01");
  EXPECT_EQ(back.hosts[0].events, 42u);
  ASSERT_EQ(back.hosts[0].patterns.size(), 1u);
  EXPECT_EQ(back.hosts[0].patterns[0].template_text, "ls -la <*>");
  EXPECT_EQ(back.hosts[0].patterns[0].previous_count, 4u);

  std::string flipped = bytes;
  flipped[20] ^= 1;
  EXPECT_FALSE(ParseClusterSnapshot(flipped, &back, &error));
  EXPECT_NE(error.find("checksum"), std::string::npos);
  EXPECT_FALSE(ParseClusterSnapshot(bytes.substr(0, bytes.size() - 3), &back, &error));
  EXPECT_FALSE(ParseClusterSnapshot("garbage", &back, &error));
}

}  // namespace
}  // namespace loghunt
