// Token masking for the template miner: decides which parts of a
// whitespace-separated token are variable (numbers, IPs, hex, GUIDs, hashes,
// base64 runs, host names, month/weekday names, temp-path components, known
// host/user names) and hashes the
// token as if those parts were written "<*>".
//
// A token is cut into parts at structural delimiters (/ \ = , ; | & @ # quotes
// brackets parens); a part is variable when it contains a digit, is a run of
// at least 8 hex letters, a base64-alphabet run of at least 24 characters,
// a host name (three or more dot-separated labels), a month or weekday name
// (a timestamp's words), the component after a tmp/temp directory, or equals
// one of the caller's known values. "rhost=10.0.0.1" masks to "rhost=<*>", "C:\Windows\system32"
// to "C:\Windows\<*>". These rules are generic: none names a message.
//
// The hash is Fnv1a64 of the masked text, so a template token stored as text
// ("rhost=<*>") hashes to the same value as every raw token masking to it;
// snapshots rely on that.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace loghunt {

// The masked form of a fully variable token.
inline constexpr std::string_view kWildcardToken = "<*>";

// Fnv1a64 of the masked form of `token` (no allocation). When `key_hash` is
// set it receives the hash of the masked text up to and including the first
// '=' ("key="), or 0 when the token has no '='.
uint64_t MaskedTokenHash(std::string_view token, std::span<const std::string_view> known_values,
                         uint64_t* key_hash = nullptr);
// Appends the masked form of `token` to `out`.
void AppendMaskedToken(std::string_view token, std::span<const std::string_view> known_values,
                       std::string* out);
// The hash every fully variable token (and every template wildcard) has.
uint64_t WildcardTokenHash();

}  // namespace loghunt
