#include "daemon/tree_command.h"

#include <cstdio>

#include "core/time.h"
#include "daemon/line_reader.h"
#include "detectors/context/process_table.h"
#include "parsers/parser.h"

namespace loghunt {

namespace {

class TableFeeder : public EventHandler {
 public:
  explicit TableFeeder(ProcessTable* table) : table_(table) {}
  void OnEvent(const Event& event) override { table_->Observe(event); }
  void OnError(ParseError, std::string_view, const SourcePosition&) override {}

 private:
  ProcessTable* table_;
};

void PrintLine(const ProcessRecord& r, int indent, bool self) {
  std::string line(static_cast<size_t>(indent) * 2, ' ');
  line += self ? "=> " : "   ";
  line += "[pid " + std::to_string(r.pid) + "] " + (r.executable.empty() ? "?" : r.executable);
  if (r.start_ns != 0) line += "  " + FormatRfc3339(r.start_ns);
  if (!r.command_line.empty()) line += "  " + r.command_line;
  std::printf("%s\n", line.c_str());
}

void PrintChildren(const ProcessTable::ChildIndex& children, const ProcessRecord& r, int indent,
                   int depth) {
  if (depth <= 0) return;
  auto it = children.find(&r);
  if (it == children.end()) return;
  for (const ProcessRecord* c : it->second) {
    PrintLine(*c, indent, false);
    PrintChildren(children, *c, indent + 1, depth - 1);
  }
}

}  // namespace

int RunTree(const TreeCommandOptions& options) {
  Stream stream;
  if (!ParseStreamName(options.stream, &stream)) {
    std::fprintf(stderr, "tree: unknown stream '%s' (auditd, syslog, winevent)\n",
                 options.stream.c_str());
    return 2;
  }
  FILE* in = options.input == "-" ? stdin : std::fopen(options.input.c_str(), "rb");
  if (in == nullptr) {
    std::fprintf(stderr, "tree: %s: cannot open\n", options.input.c_str());
    return 1;
  }
  // A replay is finite: keep every process of every host.
  ProcessTable table(ProcessTableOptions{.max_hosts = SIZE_MAX,
                                         .max_processes_per_host = SIZE_MAX,
                                         .max_bytes = SIZE_MAX,
                                         .max_depth = static_cast<size_t>(options.ancestor_depth)});
  TableFeeder feeder(&table);
  auto parser = MakeParser(stream, ParserOptions{});
  LineReader reader(in, 16 << 20);
  std::string_view line;
  bool too_long = false;
  int64_t n = 0;
  while (reader.Next(&line, &too_long)) {
    ++n;
    if (!too_long) parser->Parse(line, {options.input, -1, n}, feeder);
  }
  parser->Flush(feeder);
  const bool read_error = reader.error();
  if (in != stdin) std::fclose(in);
  if (read_error) {
    std::fprintf(stderr, "tree: %s: read error\n", options.input.c_str());
    return 1;
  }
  const ProcessRecord* self = table.Find(options.host, options.pid, options.guid);
  if (self == nullptr) {
    std::fprintf(stderr, "tree: no process %lld on host '%s' in %s\n",
                 static_cast<long long>(options.pid), options.host.c_str(), options.input.c_str());
    return 1;
  }
  auto chain = table.Ancestors(*self, static_cast<size_t>(options.ancestor_depth));
  int indent = 0;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) PrintLine(**it, indent++, false);
  PrintLine(*self, indent, true);
  PrintChildren(table.ChildrenOn(self->host), *self, indent + 1, options.child_depth);
  return 0;
}

}  // namespace loghunt
