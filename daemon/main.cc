// loghuntd: the command line. Subcommands are in daemon/commands.h.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>

#include "daemon/cluster_command.h"
#include "daemon/commands.h"
#include "daemon/ioc_command.h"
#include "daemon/rules_command.h"
#include "daemon/tree_command.h"

#ifndef LOGHUNT_VERSION
#define LOGHUNT_VERSION "0.0.0"
#endif

int main(int argc, char** argv) {
  // stdout carries alerts and events; the daemon's own log goes to stderr (journald under systemd).
  spdlog::set_default_logger(spdlog::stderr_color_mt("loghuntd"));
  CLI::App app{"loghuntd: threat detection on auditd, syslog and Windows event streams"};
  app.set_version_flag("--version", std::string("loghuntd ") + LOGHUNT_VERSION);
  app.require_subcommand(1);

  loghunt::RunOptions run_options;
  auto* run = app.add_subcommand("run", "Run the daemon");
  run->add_option("--config", run_options.config_path, "Config file (YAML)")
      ->required()
      ->check(CLI::ExistingFile);
  run->add_option(
      "--idle-exit-ms", run_options.idle_exit_ms,
      "With Kafka: exit once idle this long with every partition assigned to this daemon consumed "
      "(demos, tests; in a group, partitions still being handed over are not waited for)");

  loghunt::ReplayOptions replay_options;
  auto* replay = app.add_subcommand("replay",
                                    "Run the full pipeline once over a file or stdin; alerts (or "
                                    "events) as JSON lines on stdout, summary on stderr");
  replay->add_option("--stream", replay_options.stream, "auditd, syslog or winevent")->required();
  replay->add_option("--config", replay_options.config_path,
                     "Config file (YAML); built-in defaults if absent");
  replay->add_flag("--events", replay_options.events, "Print normalized events instead of alerts");
  replay->add_flag("--positioned", replay_options.positioned,
                   "Input lines are TOPIC<TAB>PARTITION<TAB>OFFSET<TAB>MESSAGE (a Kafka dump); "
                   "alert ids then equal the daemon's");
  replay->add_option("--metrics-listen", replay_options.metrics_listen,
                     "Serve Prometheus metrics at HOST:PORT during the replay");
  replay->add_option("input", replay_options.input, "Input file, or - for stdin")
      ->capture_default_str();

  std::string check_path;
  auto* check = app.add_subcommand(
      "check-config", "Validate a config file; exit 2 with FILE:LINE: key: problem lines");
  check->add_option("file", check_path, "Config file (YAML)")->required();

  loghunt::ClusterOptions cluster_options;
  auto* cluster = app.add_subcommand(
      "cluster", "Assign each line of a file to a template pattern (docs/cluster.md)");
  cluster
      ->add_option("--format", cluster_options.format,
                   "summary or loghub (LineId,EventId,EventTemplate CSV)")
      ->capture_default_str();
  cluster->add_option(
      "--log-format", cluster_options.log_format,
      "Header layout of the lines, e.g. '<Date> <Time> <Level> <Component>: <Content>'");
  cluster
      ->add_option("--max-patterns", cluster_options.max_patterns,
                   "Patterns the miner keeps (LRU beyond); every line is still assigned and "
                   "reported, so memory grows with the input's lines and evicted patterns")
      ->check(CLI::Range(size_t{1}, size_t{1} << 32))
      ->capture_default_str();
  cluster->add_option("input", cluster_options.input, "Input file, or - for stdin")->required();

  loghunt::RulesCheckOptions rules_check_options;
  auto* rules = app.add_subcommand("rules", "Sigma rules (docs/sigma.md)");
  rules->require_subcommand(1);
  auto* rules_check = rules->add_subcommand(
      "check",
      "Load Sigma rules; print the count loaded and each rejected rule; exit 1 if any is rejected");
  rules_check->add_option(
      "--mappings", rules_check_options.mapping_file,
      "Field mapping file read on top of the built-in conf/sigma-mappings.yaml");
  rules_check->add_option("paths", rules_check_options.paths, "Rule files or directories")
      ->required();

  loghunt::IocCommandOptions ioc_options;
  auto* ioc = app.add_subcommand(
      "ioc", "Print the IoCs of each line (plain and decoded) as JSON lines (docs/ioc.md)");
  auto* decode = app.add_subcommand(
      "decode", "Print each line with its encoded fragments decoded, and the layers (docs/ioc.md)");
  for (auto* sub : {ioc, decode}) {
    sub->add_option("input", ioc_options.input, "Input file, or - for stdin")
        ->capture_default_str();
    sub->add_option("--max-depth", ioc_options.max_depth, "Decoding steps")
        ->capture_default_str()
        ->check(CLI::Range(1, 64));
    // As detectors.ioc.decode_byte_budget: the decoder's arena holds a budget
    // (a larger one aborted on allocation, and past 4 GiB miscounted).
    sub->add_option("--byte-budget", ioc_options.byte_budget, "Decoded bytes per line")
        ->capture_default_str()
        ->check(CLI::Range(size_t{1024}, size_t{256} << 20));
    sub->add_flag("--whole", ioc_options.whole,
                  "Treat the whole input as one text (e.g. base64 wrapped over lines)");
  }
  ioc->add_flag("!--no-decode", ioc_options.decode, "Extract from the plain text only");
  ioc->add_flag("!--no-defang", ioc_options.defanged, "Ignore defanged spellings (hxxp, [.])");

  loghunt::TreeCommandOptions tree_options;
  auto* tree = app.add_subcommand(
      "tree", "Print the process tree around a process of a replayed file (docs/context.md)");
  tree->add_option("--stream", tree_options.stream, "auditd, syslog or winevent")->required();
  tree->add_option("--host", tree_options.host, "Host name as the parser reports it")->required();
  tree->add_option("--pid", tree_options.pid, "Process id")->required();
  tree->add_option("--guid", tree_options.guid, "Sysmon ProcessGuid, when the pid was reused");
  tree->add_option("--depth", tree_options.ancestor_depth, "Ancestors shown")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  tree->add_option("--child-depth", tree_options.child_depth, "Descendant levels shown")
      ->capture_default_str()
      ->check(CLI::Range(0, 64));
  tree->add_option("input", tree_options.input, "Input file, or - for stdin")
      ->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // app.exit prints the help asked for (code 0) or the usage error; usage
    // errors exit 2 like configuration errors, not with CLI11's own codes.
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (*tree) return loghunt::RunTree(tree_options);
  if (*ioc) return loghunt::RunIoc(ioc_options);
  if (*decode) return loghunt::RunDecode(ioc_options);
  if (*rules_check) return loghunt::RunRulesCheck(rules_check_options);
  if (*run) return loghunt::RunDaemon(run_options);
  if (*replay) return loghunt::RunReplay(replay_options);
  if (*check) return loghunt::RunCheckConfig(check_path);
  if (*cluster) return loghunt::RunCluster(cluster_options);
  return 2;
}
