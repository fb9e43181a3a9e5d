// Intel feed loaders: fill an IndicatorStore from files in four formats.
//
//   list  one value per line; '#' starts a comment; `type` says what the
//         values are ("ip", "network", "domain", "url", "hash") or "auto"
//         to guess each one (GuessIndicatorType).
//   csv   one indicator per row; `columns` maps value/type/description/
//         confidence/expires to a 0-based column index or, when the file has
//         a header row, a column name. Fields may be double-quoted, and a
//         quoted field may hold line breaks (RFC 4180).
//   stix  a STIX 2.1 bundle: every `indicator` object whose pattern is a
//         comparison, or comparisons joined by OR, over ipv4-addr:value,
//         ipv6-addr:value, domain-name:value, url:value or
//         file:hashes.'SHA-256'/MD5/'SHA-1'/'SHA-512'. Patterns with AND or
//         FOLLOWEDBY (any case or spacing) or a qualifier are skipped whole,
//         comparisons with other operators or objects one by one; both are
//         counted. valid_until becomes the expiry, `confidence` (an integer)
//         overrides the feed's, `description` (else `name`) is kept; an
//         object with `revoked` not a boolean or `confidence` not an integer
//         is skipped and counted.
//   misp  a MISP feed event ({"Event": {info, Attribute[], Object[].Attribute[]}}):
//         ip-src/ip-dst (and |port), domain, hostname, url, md5/sha1/sha256/
//         sha512 and filename|hash; the description is the event info and the
//         attribute comment. Attributes with `deleted: true` are skipped.
//
// Errors: an unreadable file (a directory too) or a malformed one fails the
// load (LoadFeed returns false with a message); a single value that is not an
// indicator is skipped and counted in FeedLoadReport::skipped.
// Thread-safety: functions without shared state; the store is the caller's.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "detectors/intel/indicator_store.h"

namespace loghunt {

enum class FeedFormat : uint8_t { kList, kCsv, kStix, kMisp };
bool ParseFeedFormat(std::string_view name, FeedFormat* format);

struct FeedCsvColumns {
  // Each: a 0-based index ("2") or a header name ("indicator"); "" = absent.
  std::string value = "0";
  std::string type;
  std::string description;
  std::string confidence;
  std::string expires;  // RFC 3339
};

struct FeedConfig {
  std::string name;
  std::string path;
  FeedFormat format = FeedFormat::kList;
  std::string type = "auto";  // list only
  FeedCsvColumns columns;     // csv only
  bool csv_header = false;    // csv: the first row names the columns
  int confidence = 50;        // 0..100, when the feed gives none
};

struct FeedLoadReport {
  size_t loaded = 0;
  size_t skipped = 0;  // values or patterns that are not supported indicators
};

// One indicator of a STIX pattern comparison.
struct StixIndicator {
  IndicatorType type = IndicatorType::kIp;
  std::string value;
};
// Appends the indicators of a STIX pattern (comparisons joined by OR, as the
// stix format above); comparisons over other objects or with other operators
// are counted in *unsupported. false when the pattern is not such a list.
bool ParseStixPattern(std::string_view pattern, std::vector<StixIndicator>* out,
                      size_t* unsupported);

// The validity of a STIX indicator object or an indicator message: its
// "valid_from" and "valid_until", RFC 3339 strings, into *from_ns / *until_ns
// (0 when absent: always / never). false when one is present but not such a
// string: the indicator is then skipped, as a validity that cannot be read
// must not make it permanent.
bool ParseValidity(const nlohmann::json& object, int64_t* from_ns, int64_t* until_ns);

// Reads `config.path` and adds its indicators to `store`.
bool LoadFeed(const FeedConfig& config, IndicatorStore* store, FeedLoadReport* report,
              std::string* error);
// The same over text already in memory.
bool LoadFeedText(const FeedConfig& config, std::string_view text, IndicatorStore* store,
                  FeedLoadReport* report, std::string* error);

}  // namespace loghunt
