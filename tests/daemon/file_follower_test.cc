#include "daemon/file_follower.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "daemon/line_reader.h"

namespace loghunt {
namespace {

namespace fs = std::filesystem;

class FileFollowerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("follow_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "log").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Append(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::app | std::ios::binary) << text;
  }
  FollowOptions Options() {
    FollowOptions o;
    o.path = path_;
    o.position_file = (dir_ / "pos").string();
    o.from_start = true;
    o.poll_ms = 1;
    return o;
  }
  // Reads lines through `follower` as the daemon does; at each end of the
  // data the next step of `script` runs (it changes the file); the input
  // ends after the last step has been followed by an end of data. Each line
  // is checked against the position saved before it: the position is never
  // past a line not yet returned.
  std::vector<std::string> Follow(FileFollower& follower,
                                  std::vector<std::function<void()>> script) {
    size_t step = 0;
    LineReader reader(
        [&](char* buf, size_t size) {
          return follower.Read(buf, size, [&] {
            if (step == script.size()) return true;
            script[step++]();
            return false;
          });
        },
        1 << 16, /*partial_at_end=*/false);
    reader_ = &reader;
    std::vector<std::string> lines;
    std::string_view line;
    bool too_long;
    while (reader.Next(&line, &too_long)) lines.emplace_back(line);
    EXPECT_FALSE(reader.error());
    EXPECT_TRUE(follower.SavePosition(reader.buffered()));
    return lines;
  }
  std::string SavedPosition() {
    std::ifstream in(dir_ / "pos");
    std::string s;
    std::getline(in, s);
    return s;
  }

  fs::path dir_;
  std::string path_;
  LineReader* reader_ = nullptr;
};

using Lines = std::vector<std::string>;

TEST_F(FileFollowerTest, ReadsWhatIsAppendedAndWaitsForTheRestOfALine) {
  Append(path_, "one\n");
  std::string error;
  auto f = FileFollower::Open(Options(), &error);
  ASSERT_TRUE(f) << error;
  auto lines =
      Follow(*f, {[&] { Append(path_, "two\npar"); },  // half a line is not returned
                  [&] { Append(path_, "tial\n"); }, [&] { Append(path_, "last-unended"); }});
  EXPECT_EQ(lines, (Lines{"one", "two", "partial"}));
  // The unended line is read after a restart, not skipped.
  auto again = FileFollower::Open(Options(), &error);
  ASSERT_TRUE(again) << error;
  EXPECT_EQ(Follow(*again, {[&] { Append(path_, "\n"); }}), (Lines{"last-unended"}));
}

TEST_F(FileFollowerTest, RotationReadsTheOldFileToItsEndThenTheNewOne) {
  Append(path_, "a\n");
  std::string error;
  auto f = FileFollower::Open(Options(), &error);
  ASSERT_TRUE(f) << error;
  const std::string old = path_ + ".1";
  auto lines = Follow(*f, {[&] {
                             fs::rename(path_, old);
                             Append(old, "written-after-rename\nunended");
                           },
                           [&] { Append(path_, "new\n"); }, [&] { Append(path_, "more\n"); }});
  EXPECT_EQ(lines, (Lines{"a", "written-after-rename", "unended", "new", "more"}));
  EXPECT_EQ(f->rotations(), 1u);
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(SavedPosition().substr(0, SavedPosition().rfind(' ')),
            std::to_string(st.st_dev) + " " + std::to_string(st.st_ino) + " 9");
}

TEST_F(FileFollowerTest, TruncationReadsTheFileAgainFromItsStart) {
  Append(path_, "first line\nsecond line\n");
  std::string error;
  auto f = FileFollower::Open(Options(), &error);
  ASSERT_TRUE(f) << error;
  auto lines = Follow(*f, {[&] {
    fs::resize_file(path_, 0);  // copytruncate
    Append(path_, "after\n");
  }});
  EXPECT_EQ(lines, (Lines{"first line", "second line", "after"}));
  EXPECT_EQ(f->truncations(), 1u);
}

TEST_F(FileFollowerTest, AMissingFileIsWaitedForAndReadFromItsStart) {
  std::string error;
  FollowOptions o = Options();
  o.from_start = false;  // applies to a file present at start only
  auto f = FileFollower::Open(o, &error);
  ASSERT_TRUE(f) << error;
  EXPECT_EQ(Follow(*f, {[] {}, [&] { Append(path_, "x\ny\n"); }}), (Lines{"x", "y"}));
}

TEST_F(FileFollowerTest, PositionResumesTheSameFileOnly) {
  Append(path_, "1\n2\n");
  std::string error;
  {
    auto f = FileFollower::Open(Options(), &error);
    ASSERT_TRUE(f) << error;
    EXPECT_EQ(Follow(*f, {}), (Lines{"1", "2"}));
  }
  Append(path_, "3\n");  // written while stopped
  {
    auto f = FileFollower::Open(Options(), &error);
    ASSERT_TRUE(f) << error;
    EXPECT_EQ(Follow(*f, {}), (Lines{"3"}));
  }
  // Replaced while stopped: the new file from its start. (Created before the
  // old one goes, so it cannot get the old one's inode number.)
  Append(path_ + ".new", "new 1\n");
  fs::rename(path_ + ".new", path_);
  {
    auto f = FileFollower::Open(Options(), &error);
    ASSERT_TRUE(f) << error;
    EXPECT_EQ(Follow(*f, {}), (Lines{"new 1"}));
  }
  // Truncated while stopped below the saved offset: from its start.
  fs::resize_file(path_, 0);
  Append(path_, "t\n");
  {
    auto f = FileFollower::Open(Options(), &error);
    ASSERT_TRUE(f) << error;
    EXPECT_EQ(Follow(*f, {}), (Lines{"t"}));
  }
}

// logrotate (rename + create) or auditd (rename; the next write creates the
// file) while the daemon was stopped: what was written to the old file after
// the stop is read from its new name first, then the file under the path.
TEST_F(FileFollowerTest, AFileRotatedWhileStoppedIsReadToItsEndFirst) {
  Append(path_, "1\n2\n");
  std::string error;
  {
    auto f = FileFollower::Open(Options(), &error);
    ASSERT_TRUE(f) << error;
    EXPECT_EQ(Follow(*f, {}), (Lines{"1", "2"}));
  }
  const std::string old = path_ + ".1";
  Append(path_, "3\n");
  fs::rename(path_, old);
  Append(old, "4\n");
  Append(path_, "new\n");
  Append((dir_ / "other").string(), "5\n6\n7\n8\n");  // a file of the directory, not the old one
  {
    auto f = FileFollower::Open(Options(), &error);
    ASSERT_TRUE(f) << error;
    EXPECT_EQ(Follow(*f, {}), (Lines{"3", "4", "new"}));
    EXPECT_EQ(f->rotations(), 1u);
  }
  // Rotated away with no new file yet: the old file's rest, then the new
  // one once it is created.
  Append(path_, "x\n");
  fs::rename(path_, old);
  {
    auto f = FileFollower::Open(Options(), &error);
    ASSERT_TRUE(f) << error;
    EXPECT_EQ(Follow(*f, {[] {}, [&] { Append(path_, "y\n"); }}), (Lines{"x", "y"}));
  }
  // The old file's inode under a name that is not a rotation of the path
  // (as when a new file gets the inode number of a deleted one): not read.
  Append(path_, "unrelated\n");
  fs::create_hard_link(path_, dir_ / "notes.txt");
  fs::remove(path_);
  Append(path_, "fresh\n");
  {
    auto f = FileFollower::Open(Options(), &error);
    ASSERT_TRUE(f) << error;
    EXPECT_EQ(Follow(*f, {}), (Lines{"fresh"}));
  }
  // Deleted (compressed) since: the file under the path from its start.
  Append(path_, "z\n");
  fs::rename(path_, old);
  Append(old + ".gz", "compressed");
  fs::remove(old);
  Append(path_, "after\n");
  {
    auto f = FileFollower::Open(Options(), &error);
    ASSERT_TRUE(f) << error;
    EXPECT_EQ(Follow(*f, {}), (Lines{"after"}));
  }
}

TEST_F(FileFollowerTest, WithoutAPositionFromStartChoosesWhereToBegin) {
  Append(path_, "old\n");
  FollowOptions o = Options();
  o.position_file.clear();
  o.from_start = false;
  std::string error;
  auto f = FileFollower::Open(o, &error);
  ASSERT_TRUE(f) << error;
  EXPECT_EQ(Follow(*f, {[&] { Append(path_, "new\n"); }}), (Lines{"new"}));
  o.from_start = true;
  auto g = FileFollower::Open(o, &error);
  ASSERT_TRUE(g) << error;
  EXPECT_EQ(Follow(*g, {}), (Lines{"old", "new"}));
}

// A malformed position file (a crash with the disk full, an edit; a
// negative number) is ignored: the file is read as without one, not
// refused (under systemd a refusal was a restart loop).
TEST_F(FileFollowerTest, AMalformedPositionIsIgnored) {
  Append(path_, "x\n");
  for (const char* bad : {"not a position\n", "", "1 2\n", "-1 2 3\n", "1 2 3 4 5\n"}) {
    fs::remove(dir_ / "pos");
    Append((dir_ / "pos").string(), bad);
    std::string error;
    auto f = FileFollower::Open(Options(), &error);
    ASSERT_TRUE(f) << bad << ": " << error;
    EXPECT_EQ(Follow(*f, {}), (Lines{"x"})) << bad;  // from_start: the whole file
  }
}

// copytruncate followed by writes beyond the old size before the next look:
// the size never shrank, the first bytes changed. And the same while stopped.
TEST_F(FileFollowerTest, AFileRewrittenInPlaceIsReadFromItsStart) {
  Append(path_, "old line 1\nold line 2\n");
  std::string error;
  auto f = FileFollower::Open(Options(), &error);
  ASSERT_TRUE(f) << error;
  auto lines = Follow(*f, {[&] {
    fs::resize_file(path_, 0);
    Append(path_, "new line 1\nnew line 2\nnew line 3\n");
  }});
  EXPECT_EQ(lines, (Lines{"old line 1", "old line 2", "new line 1", "new line 2", "new line 3"}));
  EXPECT_EQ(f->truncations(), 1u);
  f.reset();
  // Stopped: rewritten in place to a longer file; the saved offset fits.
  fs::resize_file(path_, 0);
  Append(path_, "third version, line 1\nthird version, line 2\n");
  auto g = FileFollower::Open(Options(), &error);
  ASSERT_TRUE(g) << error;
  EXPECT_EQ(Follow(*g, {}), (Lines{"third version, line 1", "third version, line 2"}));
}

TEST_F(FileFollowerTest, UnusableFilesAreErrors) {
  std::string error;
  FollowOptions o = Options();
  o.path = dir_.string();
  error.clear();
  EXPECT_FALSE(FileFollower::Open(o, &error));
  EXPECT_NE(error.find("Is a directory"), std::string::npos) << error;
  const std::string fifo = (dir_ / "fifo").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  o.path = fifo;
  error.clear();
  EXPECT_FALSE(FileFollower::Open(o, &error));
  EXPECT_NE(error.find("not a regular file"), std::string::npos) << error;
}

}  // namespace
}  // namespace loghunt
