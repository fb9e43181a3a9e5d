// IocExtractor: finds indicators of compromise (IPs, domains, URLs, emails,
// hashes, Windows and Linux paths) in text, msticpy IoCExtract-style
// (../shared/reference/msticpy.md §1), with validation and refanging.
//
// How: one pass over the text finds *trigger* patterns (a dot between label
// characters, "://", 32 hex digits, "hex:hex:", a drive root, "/x", ...)
// with SSE2 byte compares, and in defanged mode one Hyperscan scan finds
// the defanged spellings ("[.]", "[:]//", "hxxp", ...). Each trigger hands a position
// to a hand-written parser that finds the whole token around it and
// validates it (octets <= 255, inet_pton for IPv6, public suffix via libpsl,
// hex run length). Triggers inside a token already parsed are skipped, so the
// work per byte is bounded whatever the input. In defanged mode, spellings
// the parsers do not read ("10[[.]]10", "user @ example [.] com",
// "http:// host", "ftx://") are first rewritten into a fanged copy of the
// text, from which ipv4, dns, url and email are read (paths, hashes and ipv6
// from the text itself); offsets still point into the text. docs/ioc.md
// lists every deliberate difference from msticpy and the other suites.
//
// IocPatterns holds the compiled database of defanged spellings and the
// public suffix list; it is immutable after construction and shared
// read-only by any number of threads. IocExtractor owns the Hyperscan scratch
// and reused buffers: one per worker, not thread-safe.
//
// Lifetimes: Ioc::value views either the scanned text or the arena passed to
// Extract() (refanged values); it is valid while both are.
#pragma once

#include <array>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/arena.h"
#include "detectors/ioc/ioc_types.h"

struct hs_database;
struct hs_scratch;
struct psl_ctx_st;

namespace loghunt {

struct Ioc {
  IocType type;
  std::string_view value;             // refanged when `defanged`
  bool defanged = false;              // the text spelled it defanged (hxxp, [.], [at], ...)
  IpClass ip_class = IpClass::kNone;  // ipv4/ipv6 only
  uint32_t offset = 0;                // where it starts in the scanned text
};

class IocPatterns {
 public:
  // Compiles the database of defanged spellings and loads the public suffix list: `psl_path` if
  // given, else Debian's /usr/share/publicsuffix list, else libpsl's built-in
  // list. Throws std::runtime_error when Hyperscan rejects a pattern (a
  // programming error) or no list can be loaded.
  explicit IocPatterns(const std::string& psl_path = "");
  ~IocPatterns();
  IocPatterns(const IocPatterns&) = delete;
  IocPatterns& operator=(const IocPatterns&) = delete;

  // A process-wide instance with the default list, built on first use.
  static std::shared_ptr<const IocPatterns> Default();

  // True when `tld` (lowercase or not) is an ICANN public suffix.
  bool IsPublicTld(std::string_view tld) const;
  // The file the suffix list came from ("built-in" for libpsl's own).
  const std::string& psl_source() const { return psl_source_; }

  // The defanged spellings' trigger patterns (defanged mode's Hyperscan scan).
  const hs_database* fang_database() const { return fang_db_; }
  // Every trigger pattern of a mode in one Hyperscan database: the
  // reference IocOptions::reference_scan uses. Compiled on first use.
  const hs_database* reference_database(bool defanged) const;

 private:
  hs_database* fang_db_ = nullptr;
  mutable std::once_flag reference_once_;
  mutable hs_database* reference_dbs_[2] = {};  // [defanged]
  psl_ctx_st* psl_ = nullptr;
  std::string psl_source_;
};

struct IocOptions {
  // Recognize defanged spellings (msticpy's default table). When false only
  // plain indicators are reported.
  bool defanged = true;
  // Report each exact text once, as its strongest type (msticpy priority);
  // false reports every (type, value) found.
  bool resolve_priority = true;
  // Upper bound of indicators per Extract() call (bounds memory on hostile
  // input): the first ones by position are kept.
  size_t max_iocs = 1000;
  // Also report Windows and Linux paths. false reports every other type as
  // with paths (the same values, offsets and order) and runs faster: no path
  // triggers, which are most of a Windows command line's.
  bool paths = true;
  // Find every trigger with one Hyperscan scan instead of the byte scan (and
  // the defanged spellings' scan): the same triggers, slower. Tests compare
  // the two.
  bool reference_scan = false;
};

class IocExtractor {
 public:
  explicit IocExtractor(std::shared_ptr<const IocPatterns> patterns = IocPatterns::Default(),
                        IocOptions options = {});
  ~IocExtractor();
  IocExtractor(const IocExtractor&) = delete;
  IocExtractor& operator=(const IocExtractor&) = delete;

  // Appends the indicators in `text` to `out` (each (type, value) once per
  // call, in order of position). Refanged values are written to `arena`.
  // Never fails: text that is not an indicator is skipped.
  void Extract(std::string_view text, Arena& arena, std::vector<Ioc>* out);

  const IocOptions& options() const { return options_; }

 private:
  struct Trigger {
    uint32_t end;
    uint16_t id;
  };
  static int OnMatch(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                     void* ctx);
  void Add(IocType type, std::string_view value, bool defanged, IpClass ip_class, size_t offset,
           std::vector<Ioc>* out);
  // Fills triggers_ (sorted by end) for `text`; sets fang_marker_.
  void Scan(std::string_view text, bool defanged);
  // The triggers of every pattern but the defanged spellings (the dot,
  // "://", hex-run, IPv6 and, with paths, path triggers), found with byte
  // compares (SSE2): Hyperscan's per-match callbacks for these
  // character-class patterns, which match at most dots and slashes of a
  // command line, were half the cost of extraction.
  void ScanBytes(std::string_view text);
  // Runs the parsers over the triggers of `text`.
  void Run(std::string_view text, Arena& arena, std::vector<Ioc>* out);
  // IocPatterns::IsPublicTld through a small cache: the same few endings
  // (".exe", ".dll", ".com") recur in every command line.
  bool IsPublicTld(std::string_view tld);
  // In plain mode, for the '.' at `dot`: the end of the token when it is
  // "label.word" whose last label is no public TLD and no '@' precedes (the
  // parse would report nothing: "powershell.exe"), else 0.
  size_t PlainDottedNameWithoutTld(std::string_view text, size_t dot);

  std::shared_ptr<const IocPatterns> patterns_;
  IocOptions options_;
  hs_scratch* scratch_ = nullptr;
  std::string scan_copy_;  // ScanPadded's copy (core/hs_scan.h)
  std::vector<Trigger> triggers_;
  size_t first_new_ = 0;  // index in `out` where the current call's results start
  size_t run_added_ = 0;  // indicators the current Run() added (capped at max_iocs)
  // Defanged text is fanged first (FangInto); the network types (ipv4, dns,
  // url, email) are then read from the fanged copy, the others from the text.
  bool fang_marker_ = false;        // the scan saw a spelling only fanging reads
  uint32_t add_mask_ = ~0u;         // bit per IocType that Add() keeps
  std::vector<uint32_t> fang_map_;  // fanged offset -> text offset (+ rewritten bit)
  const uint32_t* map_ = nullptr;   // fang_map_ while parsing the fanged copy
  size_t map_size_ = 0;
  static constexpr size_t kTldCacheKey = 31;  // longer TLD candidates go to libpsl every time
  struct TldCacheEntry {
    char tld[kTldCacheKey];  // lowercase
    uint8_t size = 0;        // 0: empty
    bool is_public = false;
  };
  std::array<TldCacheEntry, 256> tld_cache_{};
};

// DistinctIocs: the (type, value) pairs seen so far, for merging the
// indicators of several texts (an event's decoded layers) with one hash
// lookup per indicator instead of a comparison with every earlier one.
// Keeps views of the values: valid while they are. Not thread-safe; reused
// buffers (no allocation once grown to an event's size).
class DistinctIocs {
 public:
  // Forgets every pair; room for `count` pairs without growing.
  void Reset(size_t count);
  // True the first time (ioc.type, ioc.value) is inserted, false for a repeat.
  bool Insert(const Ioc& ioc);

 private:
  void Grow();
  std::vector<Ioc> seen_;
  std::vector<uint32_t> slots_;  // index in seen_ + 1; 0 = empty (open addressing)
};

// Replaces defanged spellings ("hxxp", "[.]", "(dot)", "[at]", "[:]//",
// "example [.] com", "http:// host", ... — the rules of the fang pass) in
// `text` by their plain form; returns `text` itself when nothing changed.
// The result lives in `arena`.
std::string_view Refang(std::string_view text, Arena& arena);

}  // namespace loghunt
