#include "detectors/decode/decoder.h"

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <stdexcept>

#include "core/text.h"

namespace loghunt {
namespace {

// Base64 alphabets: 0..63 for a digit of the standard or URL-safe alphabet,
// kB64Std/Url marks for the characters only one alphabet has.
constexpr uint8_t kNotB64 = 0xff;
constexpr std::array<uint8_t, 256> MakeB64() {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) v = kNotB64;
  for (int i = 0; i < 26; ++i) {
    t[static_cast<size_t>('A' + i)] = static_cast<uint8_t>(i);
    t[static_cast<size_t>('a' + i)] = static_cast<uint8_t>(26 + i);
  }
  for (int i = 0; i < 10; ++i) t[static_cast<size_t>('0' + i)] = static_cast<uint8_t>(52 + i);
  t['+'] = 62;
  t['/'] = 63;
  t['-'] = 62;
  t['_'] = 63;
  return t;
}
constexpr std::array<uint8_t, 256> kB64 = MakeB64();

inline bool IsB64(char c) { return kB64[static_cast<uint8_t>(c)] != kNotB64; }
inline bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
inline int HexValue(char c) {
  if (c <= '9') return c - '0';
  return (c | 0x20) - 'a' + 10;
}

// Text a person (or an interpreter) would read: valid UTF-8, no NUL, almost
// no control characters. Binary garbage decoded from a word that merely
// looks like base64 fails this.
bool LooksLikeText(std::string_view s) {
  if (s.empty()) return false;
  size_t control = 0;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == 0) return false;
    if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f) ++control;
  }
  if (control * 20 > s.size()) return false;
  return IsValidUtf8(s);
}

bool IsGzip(std::string_view b) {
  return b.size() >= 18 && static_cast<uint8_t>(b[0]) == 0x1f &&
         static_cast<uint8_t>(b[1]) == 0x8b && b[2] == 8;
}
bool IsZlib(std::string_view b) {
  if (b.size() < 6) return false;
  unsigned c0 = static_cast<uint8_t>(b[0]), c1 = static_cast<uint8_t>(b[1]);
  return (c0 & 0x0f) == 8 && (c0 >> 4) <= 7 && (c0 * 256 + c1) % 31 == 0 && (c1 & 0x20) == 0;
}
// Containers libarchive reads: zip, 7z, tar, plus bzip2/xz-compressed ones.
const char* ArchiveKind(std::string_view b) {
  if (b.size() >= 4 && b.substr(0, 4) == std::string_view("PK\x03\x04", 4)) return "zip";
  if (b.size() >= 6 && b.substr(0, 6) == std::string_view("7z\xBC\xAF\x27\x1C", 6)) return "7z";
  if (b.size() >= 262 && b.substr(257, 5) == "ustar") return "tar";
  if (b.size() >= 4 && b.substr(0, 3) == "BZh") return "bzip2";
  if (b.size() >= 6 && b.substr(0, 6) == std::string_view("\xFD"
                                                          "7zXZ\0",
                                                          6))
    return "xz";
  return nullptr;
}

// The compression filters libarchive runs in process. It reads other formats
// (lrzip, grzip, lzop; lz4, zstd ... when built without their library) by
// starting a program found on PATH with the bytes on its stdin: with every
// filter enabled (until 2026-11-30), a base64 blob in a log line made the
// daemon run `lrzip -d` on attacker bytes, as root in the audisp plugin.
// Support calls that would use a program return ARCHIVE_WARN: those are left
// out (found once, on a throwaway reader).
const std::vector<int (*)(struct archive*)>& InProcessFilters() {
  static const std::vector<int (*)(struct archive*)> filters = [] {
    std::vector<int (*)(struct archive*)> ok;
    for (auto support : {archive_read_support_filter_gzip, archive_read_support_filter_bzip2,
                         archive_read_support_filter_xz, archive_read_support_filter_lzma,
                         archive_read_support_filter_zstd, archive_read_support_filter_lz4,
                         archive_read_support_filter_lzip, archive_read_support_filter_compress}) {
      struct archive* probe = archive_read_new();
      if (support(probe) == ARCHIVE_OK) ok.push_back(support);
      archive_read_free(probe);
    }
    return ok;
  }();
  return filters;
}

}  // namespace

struct Decoder::Impl {
  z_stream zs{};
  bool zs_ready = false;
  // Raw bytes of a base64/hex fragment, one buffer per depth because the
  // bytes of an outer fragment are still in use while its layers are scanned.
  std::vector<std::vector<char>> scratch;
  // Fragments decoded in the texts being scanned, per depth, for skipping
  // repeats ("every occurrence" in msticpy is one decoding here).
  std::vector<std::vector<std::string_view>> seen;
};

Decoder::Decoder(DecoderOptions options)
    : options_(options),
      // One block can take a whole budget, so blocks are never "oversized"
      // and Reset() keeps them.
      arena_(std::max<size_t>(options.byte_budget + 4096, 64 * 1024)),
      impl_(std::make_unique<Impl>()) {
  if (options_.max_depth < 1) options_.max_depth = 1;
  if (options_.max_depth > 64) options_.max_depth = 64;
  impl_->scratch.resize(static_cast<size_t>(options_.max_depth) + 2);
  impl_->seen.resize(static_cast<size_t>(options_.max_depth) + 2);
  if (inflateInit2(&impl_->zs, MAX_WBITS) != Z_OK) throw std::runtime_error("decoder: zlib init");
  impl_->zs_ready = true;
  layers_.reserve(options_.max_layers);
}

Decoder::~Decoder() {
  if (impl_->zs_ready) inflateEnd(&impl_->zs);
}

const std::vector<DecodedLayer>& Decoder::Decode(std::string_view text) {
  return Decode(text, options_.byte_budget);
}

const std::vector<DecodedLayer>& Decoder::Decode(std::string_view text, size_t byte_budget) {
  arena_.Reset();
  layers_.clear();
  budget_ = byte_budget;
  used_ = 0;
  exhausted_ = false;
  if (text.size() > 0xffffffffu) return layers_;
  ScanText(text, -1, 1, {});
  return layers_;
}

char* Decoder::Reserve(size_t n) {
  if (n > budget_ - used_) {
    exhausted_ = true;
    return nullptr;
  }
  used_ += n;
  return arena_.Allocate(n);
}

std::string_view Decoder::Chain(std::string_view parent, std::string_view step) {
  if (parent.empty()) return step;  // `step` is a literal
  char* p = arena_.Allocate(parent.size() + 3 + step.size());
  std::memcpy(p, parent.data(), parent.size());
  std::memcpy(p + parent.size(), " > ", 3);
  std::memcpy(p + parent.size() + 3, step.data(), step.size());
  return {p, parent.size() + 3 + step.size()};
}

bool Decoder::AddLayer(std::string_view text, int parent, uint32_t offset, uint32_t length,
                       int depth, std::string_view chain, std::string_view name, bool truncated) {
  if (layers_.size() >= options_.max_layers) return false;
  DecodedLayer layer;
  layer.text = text;
  layer.chain = chain;
  layer.name = name;
  layer.parent = parent;
  layer.offset = offset;
  layer.length = length;
  layer.depth = depth;
  layer.truncated = truncated;
  layers_.push_back(layer);
  ScanText(text, static_cast<int>(layers_.size()) - 1, depth + 1, chain);
  return true;
}

void Decoder::DecodeBytes(std::string_view bytes, int parent, uint32_t offset, uint32_t length,
                          int depth, std::string_view chain, std::string_view name,
                          bool truncated) {
  if (bytes.empty() || layers_.size() >= options_.max_layers) return;

  // Compressed streams: zlib, bounded by what is left of the budget.
  auto inflate_with = [&](int window_bits, std::string_view step, bool need_end) -> bool {
    if (depth + 1 > options_.max_depth) return false;  // the layer would be one step too deep
    size_t cap = budget_ - used_;
    if (cap == 0) {
      exhausted_ = true;
      return false;
    }
    z_stream& zs = impl_->zs;
    if (inflateReset2(&zs, window_bits) != Z_OK) return false;
    char* out = arena_.Allocate(cap);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    zs.avail_in = static_cast<uInt>(std::min<size_t>(bytes.size(), 0xffffffffu));
    zs.next_out = reinterpret_cast<Bytef*>(out);
    zs.avail_out = static_cast<uInt>(std::min<size_t>(cap, 0xffffffffu));
    int rc = inflate(&zs, Z_FINISH);
    // gzip members may follow one another (gzip(1) reads them all).
    while (rc == Z_STREAM_END && window_bits > MAX_WBITS && zs.avail_in >= 2 && zs.avail_out > 0 &&
           zs.next_in[0] == 0x1f && zs.next_in[1] == 0x8b && inflateReset(&zs) == Z_OK) {
      rc = inflate(&zs, Z_FINISH);
    }
    size_t produced = cap - zs.avail_out;
    arena_.Shrink(cap - produced);
    used_ += produced;
    bool cut = rc != Z_STREAM_END && zs.avail_out == 0;
    if (cut) exhausted_ = true;
    // Raw deflate has no header: only a stream that ends is taken, even when
    // the budget cut it (0xAA... hex noise inflated to "zzzz" until the budget),
    // that uses its input (a GUID's or hash's bytes ended a "stream" after 3
    // of 16 bytes) and gives more than a few bytes ("E" from an MD5).
    if (produced == 0 || (need_end && (rc != Z_STREAM_END || zs.avail_in > 2 || produced < 4))) {
      return false;
    }
    if (rc != Z_STREAM_END && rc != Z_BUF_ERROR && rc != Z_OK) {
      // Corrupt stream: keep what came out before the error only for the
      // self-identifying formats (gzip, zlib).
      if (need_end) return false;
    }
    DecodeBytes({out, produced}, parent, offset, length, depth + 1, Chain(chain, step), name,
                truncated || cut);
    return true;
  };

  // Each of these adds a step: its layer is at depth + 1.
  if (depth < options_.max_depth) {
    if (IsGzip(bytes) && inflate_with(16 + MAX_WBITS, "gzip", false)) return;
    if (IsZlib(bytes) && inflate_with(MAX_WBITS, "zlib", false)) return;
    if (const char* kind = ArchiveKind(bytes)) {
      struct archive* a = archive_read_new();
      archive_read_support_format_zip(a);
      archive_read_support_format_7zip(a);
      archive_read_support_format_tar(a);
      for (auto support : InProcessFilters()) support(a);
      bool any = false;
      if (archive_read_open_memory(a, bytes.data(), bytes.size()) == ARCHIVE_OK) {
        struct archive_entry* entry;
        int members = 0;
        // Not once the budget is spent: skipping a member decompresses it, and
        // an xz or 7z bomb cost time in proportion to its unpacked size.
        while (members < 64 && !exhausted_ && archive_read_next_header(a, &entry) == ARCHIVE_OK) {
          ++members;
          if (archive_entry_filetype(entry) != AE_IFREG) continue;
          const char* path = archive_entry_pathname(entry);
          std::string_view member_name =
              arena_.Copy(path != nullptr ? std::string_view(path) : std::string_view());
          size_t cap = budget_ - used_;
          if (cap == 0) {
            exhausted_ = true;
            break;
          }
          char* out = arena_.Allocate(cap);
          size_t got = 0;
          bool failed = false;
          while (got < cap) {
            la_ssize_t r = archive_read_data(a, out + got, cap - got);
            if (r < 0) {
              failed = true;
              break;
            }
            if (r == 0) break;
            got += static_cast<size_t>(r);
          }
          bool cut = false;
          if (got == cap) {
            char probe;
            cut = archive_read_data(a, &probe, 1) > 0;
            if (cut) exhausted_ = true;
          }
          arena_.Shrink(cap - got);
          used_ += got;
          if (failed || got == 0) continue;
          any = true;
          DecodeBytes({out, got}, parent, offset, length, depth + 1, Chain(chain, kind),
                      member_name, truncated || cut);
          if (layers_.size() >= options_.max_layers) break;
        }
      }
      archive_read_free(a);
      if (any) return;
    }
  }

  // UTF-16: a BOM, or (PowerShell -EncodedCommand) mostly-zero high bytes.
  if (bytes.size() >= 4 && bytes.size() % 2 == 0 && depth < options_.max_depth) {
    size_t units = bytes.size() / 2;
    size_t zero_odd = 0, zero_even = 0;
    for (size_t i = 0; i < bytes.size(); i += 2) {
      zero_even += bytes[i] == 0;
      zero_odd += bytes[i + 1] == 0;
    }
    uint8_t b0 = static_cast<uint8_t>(bytes[0]), b1 = static_cast<uint8_t>(bytes[1]);
    int order = 0;  // 1 = LE, 2 = BE
    size_t start = 0;
    if (b0 == 0xff && b1 == 0xfe) {
      order = 1;
      start = 2;
    } else if (b0 == 0xfe && b1 == 0xff) {
      order = 2;
      start = 2;
    } else if (zero_odd * 10 >= units * 6 && zero_even * 10 <= units) {
      order = 1;
    } else if (zero_even * 10 >= units * 6 && zero_odd * 10 <= units) {
      order = 2;
    }
    if (order != 0) {
      size_t cap = std::min((bytes.size() - start) / 2 * 3, budget_ - used_);
      char* out = arena_.Allocate(cap);
      size_t w = 0;
      bool cut = false;
      for (size_t i = start; i + 1 < bytes.size(); i += 2) {
        auto unit = [&](size_t k) -> uint32_t {
          uint8_t lo = static_cast<uint8_t>(bytes[order == 1 ? k : k + 1]);
          uint8_t hi = static_cast<uint8_t>(bytes[order == 1 ? k + 1 : k]);
          return static_cast<uint32_t>(hi) << 8 | lo;
        };
        uint32_t cp = unit(i);
        if (cp >= 0xd800 && cp <= 0xdbff && i + 3 < bytes.size()) {
          uint32_t lo = unit(i + 2);
          if (lo >= 0xdc00 && lo <= 0xdfff) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            i += 2;
          } else {
            cp = 0xfffd;
          }
        } else if (cp >= 0xd800 && cp <= 0xdfff) {
          cp = 0xfffd;
        }
        char enc[4];
        size_t len;
        if (cp < 0x80) {
          enc[0] = static_cast<char>(cp);
          len = 1;
        } else if (cp < 0x800) {
          enc[0] = static_cast<char>(0xc0 | (cp >> 6));
          enc[1] = static_cast<char>(0x80 | (cp & 0x3f));
          len = 2;
        } else if (cp < 0x10000) {
          enc[0] = static_cast<char>(0xe0 | (cp >> 12));
          enc[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
          enc[2] = static_cast<char>(0x80 | (cp & 0x3f));
          len = 3;
        } else {
          enc[0] = static_cast<char>(0xf0 | (cp >> 18));
          enc[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
          enc[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
          enc[3] = static_cast<char>(0x80 | (cp & 0x3f));
          len = 4;
        }
        if (w + len > cap) {
          cut = true;
          exhausted_ = true;
          break;
        }
        std::memcpy(out + w, enc, len);
        w += len;
      }
      arena_.Shrink(cap - w);
      used_ += w;
      std::string_view text(out, w);
      if (LooksLikeText(text)) {
        AddLayer(text, parent, offset, length, depth + 1,
                 Chain(chain, order == 1 ? "utf16le" : "utf16be"), name, truncated || cut);
        return;
      }
    }
  }

  if (LooksLikeText(bytes)) {
    // Bytes from a scratch buffer must move to the arena to outlive the scan.
    std::string_view text = bytes;
    for (const auto& s : impl_->scratch) {
      if (!s.empty() && bytes.data() >= s.data() && bytes.data() < s.data() + s.size()) {
        char* p = Reserve(bytes.size());
        if (p == nullptr) return;
        std::memcpy(p, bytes.data(), bytes.size());
        text = {p, bytes.size()};
        break;
      }
    }
    AddLayer(text, parent, offset, length, depth, chain, name, truncated);
    return;
  }

  // PowerShell's [IO.Compression.DeflateStream] payloads are raw deflate
  // with no header; only a complete stream counts.
  if (depth < options_.max_depth && bytes.size() >= 8) inflate_with(-MAX_WBITS, "deflate", true);
}

void Decoder::ScanText(std::string_view text, int parent, int depth, std::string_view chain) {
  if (depth > options_.max_depth || text.size() < options_.min_hex_length) return;
  auto& seen = impl_->seen[static_cast<size_t>(depth)];
  seen.clear();
  auto& raw = impl_->scratch[static_cast<size_t>(depth)];
  size_t fragments = 0;
  const size_t n = text.size();

  // Decodes text[s, e) (CR/LF skipped) as base64 with the given alphabet.
  auto try_base64 = [&](size_t s, size_t e, bool url_safe) {
    std::string_view fragment = text.substr(s, e - s);
    for (std::string_view f : seen) {
      if (f == fragment) return;
    }
    if (seen.size() < options_.max_fragments) seen.push_back(fragment);
    ++fragments;
    raw.resize((e - s) / 4 * 3 + 3);
    uint32_t acc = 0;
    int bits = 0;
    size_t w = 0;
    for (size_t i = s; i < e; ++i) {
      char c = text[i];
      if (c == '\r' || c == '\n' || c == '=') continue;
      if (url_safe ? (c == '+' || c == '/') : (c == '-' || c == '_')) return;
      acc = (acc << 6) | kB64[static_cast<uint8_t>(c)];
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        raw[w++] = static_cast<char>((acc >> bits) & 0xff);
      }
    }
    if (w == 0) return;
    DecodeBytes({raw.data(), w}, parent, static_cast<uint32_t>(s), static_cast<uint32_t>(e - s),
                depth, Chain(chain, url_safe ? "base64url" : "base64"), {}, false);
  };
  auto try_hex = [&](size_t s, size_t e) -> bool {
    std::string_view fragment = text.substr(s, e - s);
    for (std::string_view f : seen) {
      if (f == fragment) return true;
    }
    if (seen.size() < options_.max_fragments) seen.push_back(fragment);
    raw.resize((e - s) / 2);
    for (size_t i = s, w = 0; i + 1 < e; i += 2) {
      raw[w++] = static_cast<char>(HexValue(text[i]) << 4 | HexValue(text[i + 1]));
    }
    size_t before = layers_.size();
    DecodeBytes({raw.data(), raw.size()}, parent, static_cast<uint32_t>(s),
                static_cast<uint32_t>(e - s), depth, Chain(chain, "hex"), {}, false);
    return layers_.size() > before;
  };

  size_t i = 0;
  while (i < n && fragments < options_.max_fragments && layers_.size() < options_.max_layers) {
    if (!IsB64(text[i])) {
      ++i;
      continue;
    }
    size_t s = i;
    bool std_special = false, url_special = false, all_hex = true, crlf = false;
    size_t chars = 0;
    while (i < n) {
      char c = text[i];
      if (IsB64(c)) {
        std_special = std_special || c == '+' || c == '/';
        url_special = url_special || c == '-' || c == '_';
        all_hex = all_hex && IsHexDigit(c);
        ++chars;
        ++i;
      } else if ((c == '\r' || c == '\n') && i + 1 < n &&
                 (IsB64(text[i + 1]) || text[i + 1] == '\n')) {
        // Wrapped base64 (PEM, certutil -encode, MIME) is the standard
        // alphabet: a line with '-' or '_' (an armor line, "-----BEGIN
        // CERTIFICATE-----") ends the run, and one starting with them
        // starts another (joined, the armor made the payload URL-safe junk).
        size_t next = i + 1;
        while (next < n && (text[next] == '\r' || text[next] == '\n')) ++next;
        if (url_special || (next < n && (text[next] == '-' || text[next] == '_'))) break;
        crlf = true;
        ++i;
      } else {
        break;
      }
    }
    size_t e = i;
    while (e > s && (text[e - 1] == '\r' || text[e - 1] == '\n')) --e;
    size_t pad = 0;
    while (i < n && text[i] == '=' && pad < 2) {
      ++i;
      ++pad;
    }
    if (all_hex && !crlf && chars >= options_.min_hex_length && chars % 2 == 0) {
      if (try_hex(s, e)) continue;
    } else if (!crlf && chars >= options_.min_hex_length + 2 && (text[s + 1] | 0x20) == 'x' &&
               text[s] == '0') {
      bool hex_tail = true;
      for (size_t k = s + 2; k < e && hex_tail; ++k) hex_tail = IsHexDigit(text[k]);
      if (hex_tail && (e - s) % 2 == 0 && try_hex(s + 2, e)) continue;
    }
    if (chars < options_.min_base64_length) continue;
    if (std_special && url_special) {
      // Mixed alphabets: the '-'/'_' are separators (a path, an option),
      // so try each standard-alphabet piece.
      size_t k = s;
      while (k < e) {
        size_t ps = k;
        while (k < e && text[k] != '-' && text[k] != '_') ++k;
        if (k - ps >= options_.min_base64_length) try_base64(ps, k, false);
        ++k;
      }
      continue;
    }
    try_base64(s, e + pad, url_special);
  }
}

}  // namespace loghunt
