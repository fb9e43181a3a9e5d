#include "core/file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace loghunt {

bool ReadWholeFile(const std::string& path, size_t max_bytes, std::string* out,
                   std::string* error) {
  FILE* f = std::fopen(path.c_str(), "rbe");
  if (f == nullptr) {
    *error = path + ": " + std::strerror(errno);
    return false;
  }
  out->clear();
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    if (out->size() + n > max_bytes) {
      std::fclose(f);
      *error = path + ": larger than " + std::to_string(max_bytes) + " bytes";
      return false;
    }
    out->append(buf, n);
  }
  const int read_errno = errno;
  const bool ok = !std::ferror(f);
  std::fclose(f);
  if (!ok) *error = path + ": " + std::strerror(read_errno);
  return ok;
}

}  // namespace loghunt
