#include "detectors/cluster/cluster_snapshot.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/hash.h"

namespace loghunt {
namespace {

constexpr std::string_view kMagic = "LHCLSNAP";
constexpr uint32_t kVersion = 1;
constexpr uint32_t kMaxString = 1 << 20;

void PutU(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutStr(std::string* out, std::string_view s) {
  PutU(out, s.size(), 4);
  out->append(s);
}

class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  bool U(int n, uint64_t* v) {
    if (bytes_.size() - pos_ < static_cast<size_t>(n)) return false;
    uint64_t r = 0;
    for (int i = 0; i < n; ++i)
      r |= static_cast<uint64_t>(static_cast<unsigned char>(bytes_[pos_ + i])) << (8 * i);
    pos_ += static_cast<size_t>(n);
    *v = r;
    return true;
  }
  bool I64(int64_t* v) {
    uint64_t u;
    if (!U(8, &u)) return false;
    *v = static_cast<int64_t>(u);
    return true;
  }
  bool Str(std::string* s) {
    uint64_t len;
    if (!U(4, &len) || len > kMaxString || bytes_.size() - pos_ < len) return false;
    s->assign(bytes_.substr(pos_, len));
    pos_ += len;
    return true;
  }
  size_t left() const { return bytes_.size() - pos_; }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

}  // namespace

void SerializeClusterSnapshot(const ClusterSnapshot& snapshot, std::string* out) {
  out->clear();
  out->append(kMagic);
  PutU(out, kVersion, 4);
  PutU(out, snapshot.hosts.size(), 4);
  for (const HostSnapshot& h : snapshot.hosts) {
    PutU(out, h.stream, 1);
    PutStr(out, h.host);
    PutU(out, h.events, 8);
    PutU(out, static_cast<uint64_t>(h.first_ns), 8);
    PutU(out, static_cast<uint64_t>(h.last_ns), 8);
    PutU(out, h.patterns.size(), 4);
    for (const PatternSnapshot& p : h.patterns) {
      PutStr(out, p.template_text);
      PutU(out, p.count, 8);
      PutU(out, static_cast<uint64_t>(p.window_start_ns), 8);
      PutU(out, p.window_count, 4);
      PutU(out, p.previous_count, 4);
      PutU(out, static_cast<uint64_t>(p.last_seen_ns), 8);
    }
  }
  PutU(out, Fnv1a64(*out), 8);
}

bool ParseClusterSnapshot(std::string_view bytes, ClusterSnapshot* snapshot, std::string* error) {
  snapshot->hosts.clear();
  if (bytes.size() < kMagic.size() + 16 || bytes.substr(0, kMagic.size()) != kMagic) {
    *error = "not a loghunt cluster snapshot";
    return false;
  }
  std::string_view body = bytes.substr(0, bytes.size() - 8);
  Reader tail(bytes.substr(bytes.size() - 8));
  uint64_t checksum;
  tail.U(8, &checksum);
  if (checksum != Fnv1a64(body)) {
    *error = "checksum mismatch (truncated or corrupt)";
    return false;
  }
  Reader r(body.substr(kMagic.size()));
  uint64_t version, hosts;
  r.U(4, &version);
  if (version != kVersion) {
    *error = "unsupported version " + std::to_string(version);
    return false;
  }
  // Each host takes at least 33 bytes, each pattern at least 36: counts beyond
  // what the bytes can hold are corrupt (and must not drive allocation).
  if (!r.U(4, &hosts) || hosts > r.left() / 33) {
    *error = "bad host count";
    return false;
  }
  snapshot->hosts.reserve(hosts);
  for (uint64_t i = 0; i < hosts; ++i) {
    HostSnapshot h;
    uint64_t stream, events, patterns;
    if (!r.U(1, &stream) || !r.Str(&h.host) || !r.U(8, &events) || !r.I64(&h.first_ns) ||
        !r.I64(&h.last_ns) || !r.U(4, &patterns) || patterns > r.left() / 36) {
      *error = "truncated host record " + std::to_string(i);
      return false;
    }
    h.stream = static_cast<uint8_t>(stream);
    h.events = events;
    h.patterns.reserve(patterns);
    for (uint64_t k = 0; k < patterns; ++k) {
      PatternSnapshot p;
      uint64_t wc, pc;
      if (!r.Str(&p.template_text) || !r.U(8, &p.count) || !r.I64(&p.window_start_ns) ||
          !r.U(4, &wc) || !r.U(4, &pc) || !r.I64(&p.last_seen_ns)) {
        *error = "truncated pattern record " + std::to_string(k) + " of host " + std::to_string(i);
        return false;
      }
      p.window_count = static_cast<uint32_t>(wc);
      p.previous_count = static_cast<uint32_t>(pc);
      h.patterns.push_back(std::move(p));
    }
    snapshot->hosts.push_back(std::move(h));
  }
  if (r.left() != 0) {
    *error = "trailing bytes";
    return false;
  }
  return true;
}

}  // namespace loghunt
