#include "daemon/privileges.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace loghunt {
namespace {

bool Lookup(const std::string& user, passwd* pw, std::vector<char>* buf) {
  buf->resize(16384);
  passwd* found = nullptr;
  return ::getpwnam_r(user.c_str(), pw, buf->data(), buf->size(), &found) == 0 && found != nullptr;
}

}  // namespace

bool UserExists(const std::string& user) {
  passwd pw;
  std::vector<char> buf;
  return Lookup(user, &pw, &buf);
}

bool RunAs(const std::string& user, std::string* error) {
  passwd pw;
  std::vector<char> buf;
  if (!Lookup(user, &pw, &buf)) {
    *error = "run_as: no user " + user;
    return false;
  }
  if (::geteuid() == pw.pw_uid && ::getuid() == pw.pw_uid) return true;
  if (::geteuid() != 0) {
    *error = "run_as: only root can switch to " + user;
    return false;
  }
  auto fail = [&](const char* step) {
    *error = "run_as " + user + ": " + step + ": " + std::strerror(errno);
    return false;
  };
  if (::initgroups(pw.pw_name, pw.pw_gid) != 0) return fail("initgroups");
  if (::setgid(pw.pw_gid) != 0) return fail("setgid");
  if (::setuid(pw.pw_uid) != 0) return fail("setuid");
  if (::setuid(0) == 0) {  // for good: root must not come back
    *error = "run_as " + user + ": root could be regained";
    return false;
  }
  return true;
}

}  // namespace loghunt
