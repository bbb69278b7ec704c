// The run lock (storage/run_lock.h) and the store's one write it rests on
// (Store::Create), on both backends: one holder at a time, a dead holder
// on this host taken over, a live or foreign one never.
#include "storage/run_lock.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "storage/layout.h"
#include "testutil/test_store.h"

namespace regsweep {
namespace {

using storage::LockHolder;
using storage::RunLock;
using testing::Backend;
using testing::TestStore;

constexpr RunLock::Wait kNoWait{};

// The pid of a process that has exited (and been reaped).
int64_t DeadPid() {
  pid_t child = fork();
  if (child == 0) _exit(0);
  int status = 0;
  waitpid(child, &status, 0);
  return child;
}

class RunLockTest : public ::testing::TestWithParam<Backend> {
 protected:
  RunLockTest() : store_(GetParam()), opened_(store_.Open()) {}

  storage::Store* store() { return opened_.get(); }
  // Plants `holder`'s lock, as a run that then died or went on would
  // have left it.
  void PlantLock(const LockHolder& holder) {
    ASSERT_TRUE(store()
                    ->Create(storage::layout::RunLockPath(),
                             storage::EncodeLockHolder(holder))
                    .ok());
  }
  std::string LockText() {
    std::string text;
    Status s = store()->Read(storage::layout::RunLockPath(), 1 << 20, &text,
                             nullptr);
    return s.ok() ? text : "(" + s.ToString() + ")";
  }

  TestStore store_;
  std::unique_ptr<storage::Store> opened_;
};

TEST_P(RunLockTest, CreateMakesAKeyOnceAndWhole) {
  const std::string key = "docker/registry/regsweep/new/key";
  ASSERT_TRUE(store()->Create(key, "first").ok());
  Status again = store()->Create(key, "second");
  EXPECT_TRUE(again.IsAlreadyExists()) << again.ToString();
  std::string text;
  ASSERT_TRUE(store()->Read(key, 100, &text, nullptr).ok());
  EXPECT_EQ(text, "first");
  EXPECT_TRUE(store()->Create("a/../b", "x").IsInvalidArgument());
  // Nothing is left beside it (the filesystem's file written first).
  std::vector<storage::ListEntry> entries;
  ASSERT_TRUE(store()->List("docker/registry/regsweep/new", &entries).ok());
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].name, "key");
}

TEST_P(RunLockTest, OfManyCreatorsExactlyOneWins) {
  constexpr int kThreads = 16;
  std::atomic<int> won{0}, taken{0}, failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      Status s = store()->Create("docker/registry/regsweep/race",
                                 "creator " + std::to_string(i));
      (s.ok() ? won : s.IsAlreadyExists() ? taken : failed)++;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(won, 1);
  EXPECT_EQ(taken, kThreads - 1);
  EXPECT_EQ(failed, 0);
}

TEST_P(RunLockTest, HolderRoundTripsAndJunkIsNoHolder) {
  LockHolder me = LockHolder::ThisProcess("regsweep gc /srv\nregistry -m");
  LockHolder back;
  ASSERT_TRUE(storage::DecodeLockHolder(storage::EncodeLockHolder(me), &back));
  EXPECT_EQ(back.pid, me.pid);
  EXPECT_EQ(back.host, me.host);
  EXPECT_EQ(back.boot_id, me.boot_id);
  EXPECT_EQ(back.pid_namespace, me.pid_namespace);
  EXPECT_EQ(back.process_start, me.process_start);
  EXPECT_NE(me.process_start, 0u);
  EXPECT_EQ(back.token, me.token);
  EXPECT_EQ(back.command, "regsweep gc /srv registry -m");
  EXPECT_FALSE(storage::DecodeLockHolder("", &back));
  EXPECT_FALSE(storage::DecodeLockHolder("pid 12\nhost h\n", &back));
  std::string no_token = storage::EncodeLockHolder(me);
  no_token.replace(no_token.find(me.token), 32, std::string(31, 'a'));
  EXPECT_FALSE(storage::DecodeLockHolder(no_token, &back));
  EXPECT_NE(LockHolder::ThisProcess("").token, me.token);
}

TEST_P(RunLockTest, SecondRunIsToldWhoHoldsIt) {
  std::unique_ptr<RunLock> first, second;
  LockHolder me = LockHolder::ThisProcess("regsweep gc STORE -m");
  ASSERT_TRUE(RunLock::Acquire(store(), me, kNoWait, &first).ok());
  LockHolder holder;
  Status s = RunLock::Acquire(store(), LockHolder::ThisProcess("regsweep retain"),
                              kNoWait, &second, &holder);
  ASSERT_TRUE(s.IsBusy()) << s.ToString();
  EXPECT_EQ(second, nullptr);
  EXPECT_EQ(holder.token, me.token);
  EXPECT_NE(s.message().find("pid " + std::to_string(getpid())),
            std::string::npos) << s.message();
  EXPECT_NE(s.message().find("regsweep gc STORE -m"), std::string::npos);
  EXPECT_NE(s.message().find(store()->Describe(storage::layout::RunLockPath())),
            std::string::npos);
  ASSERT_TRUE(first->Release().ok());
  EXPECT_TRUE(LockText().starts_with("(not found")) << LockText();
  EXPECT_TRUE(RunLock::Acquire(store(), LockHolder::ThisProcess("again"),
                               kNoWait, &second)
                  .ok());
}

TEST_P(RunLockTest, DeadHolderOnThisHostIsTakenOver) {
  LockHolder dead = LockHolder::ThisProcess("regsweep gc (killed)");
  dead.pid = DeadPid();
  PlantLock(dead);
  std::unique_ptr<RunLock> lock;
  LockHolder me = LockHolder::ThisProcess("regsweep gc");
  Status s = RunLock::Acquire(store(), me, kNoWait, &lock);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_NE(LockText().find(me.token), std::string::npos);
  // The takeover key went with it.
  storage::ObjectInfo info;
  EXPECT_TRUE(store()
                  ->Stat(storage::layout::RunLockTakeoverPath(dead.token),
                         &info)
                  .IsNotFound());
}

TEST_P(RunLockTest, ReusedPidAndRebootCountAsGone) {
  LockHolder reused = LockHolder::ThisProcess("before");
  reused.process_start += 1;  // our pid, another process's start time
  LockHolder here = LockHolder::ThisProcess("now");
  EXPECT_TRUE(storage::HolderIsGone(reused, here));
  LockHolder rebooted = LockHolder::ThisProcess("before");
  rebooted.boot_id = "00000000-0000-0000-0000-000000000000";
  EXPECT_TRUE(storage::HolderIsGone(rebooted, here));
  EXPECT_FALSE(storage::HolderIsGone(LockHolder::ThisProcess("live"), here));
  // A child that exited and was not reaped yet (a zombie) is gone too.
  pid_t child = fork();
  if (child == 0) _exit(0);
  LockHolder zombie = LockHolder::ThisProcess("child");
  zombie.pid = child;
  zombie.process_start = 0;  // unknown: only its state tells
  for (int i = 0; i < 1000 && !storage::HolderIsGone(zombie, here); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_TRUE(storage::HolderIsGone(zombie, here));
  int status = 0;
  waitpid(child, &status, 0);
}

TEST_P(RunLockTest, LiveOrForeignHolderIsNeverTakenOver) {
  LockHolder elsewhere = LockHolder::ThisProcess("regsweep gc");
  elsewhere.host = "other-host";
  elsewhere.pid = DeadPid();  // dead here means nothing there
  LockHolder other_namespace = LockHolder::ThisProcess("regsweep gc");
  other_namespace.pid_namespace = "pid:[1]";
  other_namespace.pid = DeadPid();
  for (const LockHolder& holder : {elsewhere, other_namespace}) {
    SCOPED_TRACE(holder.Describe());
    PlantLock(holder);
    std::unique_ptr<RunLock> lock;
    Status s = RunLock::Acquire(store(), LockHolder::ThisProcess("me"),
                                kNoWait, &lock);
    EXPECT_TRUE(s.IsBusy()) << s.ToString();
    EXPECT_NE(LockText().find(holder.token), std::string::npos);
    ASSERT_TRUE(store()->DeleteTree(storage::layout::RunLockPath()).ok());
  }
  // A live process of this host: this one, as another run.
  PlantLock(LockHolder::ThisProcess("regsweep tag rm"));
  std::unique_ptr<RunLock> lock;
  EXPECT_TRUE(RunLock::Acquire(store(), LockHolder::ThisProcess("me"), kNoWait,
                               &lock)
                  .IsBusy());
}

TEST_P(RunLockTest, ALockThatIsNoLockIsKept) {
  ASSERT_TRUE(store()->Create(storage::layout::RunLockPath(), "junk").ok());
  std::unique_ptr<RunLock> lock;
  Status s = RunLock::Acquire(store(), LockHolder::ThisProcess("me"), kNoWait,
                              &lock);
  EXPECT_TRUE(s.IsBusy()) << s.ToString();
  EXPECT_NE(s.message().find("remove it by hand"), std::string::npos);
  EXPECT_EQ(LockText(), "junk");
}

TEST_P(RunLockTest, WaitEndsWhenTheHolderLetsGo) {
  std::unique_ptr<RunLock> first;
  ASSERT_TRUE(RunLock::Acquire(store(), LockHolder::ThisProcess("first"),
                               kNoWait, &first)
                  .ok());
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    first.reset();
  });
  std::unique_ptr<RunLock> second;
  RunLock::Wait wait{10'000'000'000, 20'000'000};
  Status s = RunLock::Acquire(store(), LockHolder::ThisProcess("second"), wait,
                              &second);
  releaser.join();
  EXPECT_TRUE(s.ok()) << s.ToString();
  // A wait that runs out says who still holds it.
  std::unique_ptr<RunLock> third;
  RunLock::Wait brief{50'000'000, 10'000'000};
  EXPECT_TRUE(RunLock::Acquire(store(), LockHolder::ThisProcess("third"), brief,
                               &third)
                  .IsBusy());
}

// Many runs at once, some finding a dead run's lock: never two inside.
TEST_P(RunLockTest, RunsRacingForADeadLockHoldItOneAtATime) {
  LockHolder dead = LockHolder::ThisProcess("killed");
  dead.pid = DeadPid();
  PlantLock(dead);
  // A taker that died mid-takeover left its key too.
  LockHolder dead_taker = LockHolder::ThisProcess("killed taker");
  dead_taker.pid = DeadPid();
  ASSERT_TRUE(store()
                  ->Create(storage::layout::RunLockTakeoverPath(dead.token),
                           storage::EncodeLockHolder(dead_taker))
                  .ok());
  std::atomic<int> inside{0}, most_inside{0}, runs{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int round = 0; round < 5; ++round) {
        std::unique_ptr<RunLock> lock;
        RunLock::Wait wait{30'000'000'000, 1'000'000};
        if (!RunLock::Acquire(store(), LockHolder::ThisProcess("racer"), wait,
                              &lock)
                 .ok()) {
          continue;
        }
        int now = ++inside;
        int seen = most_inside;
        while (now > seen && !most_inside.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        --inside;
        ++runs;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(most_inside, 1);
  EXPECT_EQ(runs, 40);
  // Nothing is left: no lock, no takeover key.
  std::vector<storage::ListEntry> left;
  Status s = store()->List(storage::layout::RegsweepRoot(), &left);
  EXPECT_TRUE(s.ok() ? left.empty() : s.IsNotFound()) << left.size();
}

INSTANTIATE_TEST_SUITE_P(Backends, RunLockTest,
                         ::testing::ValuesIn(testing::kBackends),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return testing::BackendName(info.param);
                         });

}  // namespace
}  // namespace regsweep
