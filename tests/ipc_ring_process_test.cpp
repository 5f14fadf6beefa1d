// The ring across real processes, in a real shared segment: a million records from a
// producer process to a consumer process checked by checksum; a child SIGKILLed while
// it holds the ring's mutex, after which the parent locks, repairs and carries on; the
// segment's mode, removal, and the clean-up of segments left by dead runs.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/interprocess/shared_memory_object.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "ipc/ring_set.hpp"
#include "ipc/shared_segment.hpp"
#include "tests/support/test_support.hpp"

namespace ringrun::ipc {
namespace {

using ringrun::testing::ChildGuard;
using ringrun::testing::poll_until;

uint64_t mix(uint64_t h, uint64_t v) {
    return (h ^ v) * 0x100000001b3ULL;
}

TEST(RingAcrossProcesses, MillionRecordsArriveInOrderAndIntact) {
    constexpr uint64_t kRecords = 1'000'000;
    SharedSegment segment =
        SharedSegment::create_for_run(RingSet::footprint(1, {64 * 1024, 64 * 1024}));
    RingSet rings(segment.base(), 1, {64 * 1024, 64 * 1024}, -1);
    Ring ring = rings.job_ring(0);
    // The child produces; the parent consumes and checks.
    ChildGuard producer([&] {
        for (uint64_t i = 0; i < kRecords; ++i) {
            size_t size = 8 + (i * 13) % 120;
            auto slot = ring.reserve_wait(size, std::chrono::seconds(10));
            if (!slot) return 1;
            for (size_t b = 0; b < size; ++b)
                reinterpret_cast<uint8_t*>(slot->data)[b] = static_cast<uint8_t>(i + b);
            std::memcpy(slot->data, &i, sizeof i);
            ring.commit(*slot);
        }
        ring.close();
        return 0;
    });
    uint64_t expected_hash = 0xcbf29ce484222325ULL, hash = 0xcbf29ce484222325ULL, received = 0;
    for (;;) {
        ReadSlot slot;
        auto outcome = ring.wait_peek(slot, std::chrono::seconds(10));
        if (outcome == WaitOutcome::closed) break;
        ASSERT_EQ(outcome, WaitOutcome::record) << "after " << received;
        uint64_t seq;
        std::memcpy(&seq, slot.data, sizeof seq);
        ASSERT_EQ(seq, received);
        ASSERT_EQ(slot.size, 8 + (seq * 13) % 120);
        for (size_t b = 8; b < slot.size; ++b)
            hash = mix(hash, reinterpret_cast<const uint8_t*>(slot.data)[b]);
        for (size_t b = 8; b < slot.size; ++b)
            expected_hash = mix(expected_hash, static_cast<uint8_t>(seq + b));
        ring.release(slot);
        ++received;
    }
    EXPECT_EQ(received, kRecords);
    EXPECT_EQ(hash, expected_hash);
    int status = producer.wait_exit(std::chrono::seconds(10));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(RingAcrossProcesses, ChildKilledHoldingMutexIsRepairedWithinOneSecond) {
    SharedSegment segment = SharedSegment::create_for_run(RingSet::footprint(1, {4096, 4096}) + 64);
    RingSet rings(segment.base(), 1, {4096, 4096}, -1);
    Ring ring = rings.job_ring(0);
    auto* locked = static_cast<std::atomic<int>*>(segment.base()) +
                   segment.size() / sizeof(std::atomic<int>) - 1;
    locked->store(0);
    // Put a committed record in first, so the repair must keep it.
    auto slot = ring.try_reserve(5);
    ASSERT_TRUE(slot);
    std::memcpy(slot->data, "kept!", 5);
    ring.commit(*slot);
    {
        ChildGuard holder([&] {
            ring.lock_for_test();
            locked->store(1);
            for (;;) pause();
            return 0;
        });
        ASSERT_TRUE(poll_until([&] { return locked->load() == 1; }, std::chrono::seconds(10)));
        kill(holder.pid(), SIGKILL);
        ASSERT_NE(holder.wait_exit(std::chrono::seconds(10)), -1);
    }
    auto start = std::chrono::steady_clock::now();
    auto second = ring.try_reserve(3);  // locks: EOWNERDEAD, repair, carry on
    auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_TRUE(second.has_value());
    EXPECT_LT(elapsed, std::chrono::seconds(1));
    EXPECT_EQ(ring.repairs(), 1u);
    std::memcpy(second->data, "new", 3);
    ring.commit(*second);
    auto first = ring.try_peek();
    ASSERT_TRUE(first);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(first->data), first->size), "kept!");
    ring.release(*first);
    auto next = ring.try_peek();
    ASSERT_TRUE(next);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(next->data), next->size), "new");
}

TEST(RingAcrossProcesses, RecordReservedByDeadProducerIsDroppedByRepair) {
    SharedSegment segment = SharedSegment::create_for_run(RingSet::footprint(1, {4096, 4096}));
    RingSet rings(segment.base(), 1, {4096, 4096}, -1);
    Ring ring = rings.job_ring(0);
    {
        ChildGuard writer([&] {
            auto slot = ring.try_reserve(100);  // reserved, never committed
            ring.lock_for_test();               // and dies holding the lock
            (void)slot;
            raise(SIGKILL);
            return 0;
        });
        ASSERT_NE(writer.wait_exit(std::chrono::seconds(10)), -1);
    }
    // The consumer sees nothing ready; after the owner-died repair the ring still works.
    EXPECT_FALSE(ring.try_peek().has_value());
    auto slot = ring.try_reserve(4);
    ASSERT_TRUE(slot);
    ring.commit(*slot);
    ring.reset();  // what the supervisor does for a dead worker's rings
    EXPECT_TRUE(ring.empty());
}

TEST(SharedSegment, IsOwnerOnlyAndRemovedWhenDestroyed) {
    std::string path;
    {
        SharedSegment segment = SharedSegment::create_for_run(4096);
        path = "/dev/shm/" + segment.name();
        struct stat st;
        ASSERT_EQ(stat(path.c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 0777, 0600u);
        EXPECT_EQ(segment.name().rfind(kSegmentPrefix, 0), 0u);
    }
    EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(SharedSegment, StaleSegmentOfDeadRunIsRemoved) {
    // A run whose process is gone: make a segment under a pid that no longer exists.
    pid_t dead = fork();
    if (dead == 0) _exit(0);
    waitpid(dead, nullptr, 0);
    std::string name = std::string(kSegmentPrefix) + std::to_string(dead) + ".deadbeef";
    {
        boost::interprocess::shared_memory_object shm(
            boost::interprocess::create_only, name.c_str(), boost::interprocess::read_write);
        shm.truncate(4096);
    }
    SharedSegment live = SharedSegment::create_for_run(4096);
    EXPECT_GE(remove_stale_segments(), 1);
    EXPECT_FALSE(std::filesystem::exists("/dev/shm/" + name));
    EXPECT_TRUE(std::filesystem::exists("/dev/shm/" + live.name()));
}

}  // namespace
}  // namespace ringrun::ipc
