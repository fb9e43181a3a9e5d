#include "core/file.h"

#include <fcntl.h>
#include <unistd.h>

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

bool WriteFileAtomically(const std::string& path, std::string_view bytes, std::string* error) {
  const std::string tmp = path + ".tmp";
  if (::unlink(tmp.c_str()) != 0 && errno != ENOENT) {
    *error = tmp + ": " + std::strerror(errno);
    return false;
  }
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
  if (fd < 0) {
    *error = tmp + ": " + std::strerror(errno);
    return false;
  }
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      *error = tmp + ": " + std::strerror(errno);
      ::close(fd);
      return false;
    }
    done += static_cast<size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  const int sync_errno = errno;
  if (::close(fd) != 0 || !synced) {  // closed either way: no descriptor leaks
    *error = tmp + ": " + std::strerror(synced ? errno : sync_errno);
    return false;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    *error = path + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace loghunt
