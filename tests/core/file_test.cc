#include "core/file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace loghunt {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class WriteFileAtomicallyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/atomic_" + std::to_string(::getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(WriteFileAtomicallyTest, ReplacesTheFileWhole) {
  const std::string path = dir_ + "/state";
  std::string error;
  ASSERT_TRUE(WriteFileAtomically(path, "first\n", &error)) << error;
  ASSERT_TRUE(WriteFileAtomically(path, "second\n", &error)) << error;
  EXPECT_EQ(ReadFile(path), "second\n");
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

// A symbolic link planted at PATH.tmp by another user of the state directory
// is not followed: the file it points to stays as it was. (The position,
// cursor and snapshot writers opened PATH.tmp following links, so the daemon,
// root in the audisp plugin, overwrote the link's target.)
TEST_F(WriteFileAtomicallyTest, ALinkPlantedAtTheTemporaryNameIsNotFollowed) {
  const std::string path = dir_ + "/state", victim = dir_ + "/victim";
  std::ofstream(victim) << "precious\n";
  std::filesystem::create_symlink(victim, path + ".tmp");
  std::string error;
  ASSERT_TRUE(WriteFileAtomically(path, "state\n", &error)) << error;
  EXPECT_EQ(ReadFile(victim), "precious\n");
  EXPECT_EQ(ReadFile(path), "state\n");
  EXPECT_FALSE(std::filesystem::is_symlink(path));
}

TEST_F(WriteFileAtomicallyTest, AnUnwritableDirectoryIsAnError) {
  std::string error;
  EXPECT_FALSE(WriteFileAtomically(dir_ + "/missing/state", "x", &error));
  EXPECT_NE(error.find("missing/state.tmp"), std::string::npos) << error;
}

}  // namespace
}  // namespace loghunt
