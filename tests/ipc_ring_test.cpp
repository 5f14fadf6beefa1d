// The ring in one process: FIFO order, wrap-around with records of every size from 0 to
// the largest a ring holds, full and empty, close, and repair after a dead lock owner
// (simulated here; the cross-process version is in ipc_ring_process_test.cpp).
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "ipc/ring.hpp"

namespace ringrun::ipc {
namespace {

struct RingMemory {
    explicit RingMemory(size_t capacity)
        : bytes(Ring::footprint(capacity)), mem(std::aligned_alloc(64, (bytes + 63) / 64 * 64)) {
        std::memset(mem, 0xAB, bytes);  // garbage, as fresh memory might hold
        ring = Ring::create(mem, capacity);
    }
    ~RingMemory() { std::free(mem); }
    size_t bytes;
    void* mem;
    Ring ring;
};

bool push(Ring& ring, const std::string& payload) {
    auto slot = ring.try_reserve(payload.size());
    if (!slot) return false;
    std::memcpy(slot->data, payload.data(), payload.size());
    ring.commit(*slot, 7);
    return true;
}

std::optional<std::string> pop(Ring& ring) {
    auto slot = ring.try_peek();
    if (!slot) return std::nullopt;
    std::string out(reinterpret_cast<const char*>(slot->data), slot->size);
    EXPECT_EQ(slot->flags, 7);
    ring.release(*slot);
    return out;
}

std::string pattern(size_t size, size_t seed) {
    std::string s(size, '\0');
    for (size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 31 + seed * 7) & 0xff);
    return s;
}

TEST(Ring, NewRingIsEmpty) {
    RingMemory m(4096);
    EXPECT_TRUE(m.ring.empty());
    EXPECT_FALSE(m.ring.try_peek().has_value());
    EXPECT_EQ(m.ring.max_payload(), 4096u - Ring::kHeaderBytes);
}

TEST(Ring, KeepsFifoOrder) {
    RingMemory m(64 * 1024);
    for (int i = 0; i < 1000; ++i) ASSERT_TRUE(push(m.ring, "record " + std::to_string(i)));
    for (int i = 0; i < 1000; ++i) ASSERT_EQ(pop(m.ring), "record " + std::to_string(i));
    EXPECT_FALSE(pop(m.ring).has_value());
}

TEST(Ring, RecordsAreEightByteAligned) {
    RingMemory m(4096);
    for (size_t size : {0, 1, 3, 7, 8, 9, 100}) {
        auto slot = m.ring.try_reserve(size);
        ASSERT_TRUE(slot);
        EXPECT_EQ(reinterpret_cast<uintptr_t>(slot->data) % 8, 0u);
        m.ring.commit(*slot);
    }
}

TEST(Ring, WrapsAroundWithEverySizeUpToCapacity) {
    // Interleave a small record with every size from 0 to max_payload, so the write
    // position lands on every alignment relative to the end of the ring.
    RingMemory m(1024);
    const size_t max = m.ring.max_payload();
    for (size_t size = 0; size <= max; ++size) {
        std::string small = pattern(size % 13, size);
        std::string big = pattern(size, size + 1);
        ASSERT_TRUE(push(m.ring, small)) << size;
        ASSERT_EQ(pop(m.ring), small) << size;
        ASSERT_TRUE(push(m.ring, big)) << "size " << size;
        ASSERT_EQ(pop(m.ring), big) << size;
    }
}

TEST(Ring, WrapsAroundWithSeveralRecordsInFlight) {
    RingMemory m(2048);
    size_t pushed = 0, popped = 0;
    for (int round = 0; round < 20000; ++round) {
        size_t size = (round * 37) % 400;
        if (push(m.ring, pattern(size, pushed))) {
            ++pushed;
        } else {
            auto got = pop(m.ring);
            ASSERT_TRUE(got.has_value());
            ++popped;
        }
        if (round % 3 == 0 && popped < pushed) {
            ASSERT_TRUE(pop(m.ring).has_value());
            ++popped;
        }
    }
    while (pop(m.ring)) ++popped;
    EXPECT_EQ(pushed, popped);
}

TEST(Ring, ReserveManyTakesWhatFitsInOrderUnderOneLock) {
    RingMemory m(1024);
    std::vector<size_t> sizes = {100, 0, 300, 600, 8};  // 600 does not fit: stop there
    std::vector<WriteSlot> slots(sizes.size());
    ASSERT_EQ(m.ring.try_reserve_many(sizes, slots), 3u);
    for (size_t i = 0; i < 3; ++i) {
        std::string payload = pattern(sizes[i], i);
        std::memcpy(slots[i].data, payload.data(), payload.size());
        m.ring.commit(slots[i], 7);
    }
    for (size_t i = 0; i < 3; ++i) EXPECT_EQ(pop(m.ring), pattern(sizes[i], i));
    // Across the end of the ring: a pad, then the records, still in order.
    for (int lap = 0; lap < 20; ++lap) {
        std::vector<size_t> more = {200, 200, 200};
        std::vector<WriteSlot> got(3);
        ASSERT_EQ(m.ring.try_reserve_many(more, got), 3u) << "lap " << lap;
        for (size_t i = 0; i < 3; ++i) {
            std::string payload = pattern(200, lap * 3 + i);
            std::memcpy(got[i].data, payload.data(), payload.size());
            m.ring.commit(got[i], 7);
        }
        for (size_t i = 0; i < 3; ++i) EXPECT_EQ(pop(m.ring), pattern(200, lap * 3 + i));
    }
}

TEST(Ring, FullRingRefusesThenAcceptsAfterRelease) {
    RingMemory m(1024);
    int n = 0;
    while (push(m.ring, pattern(100, n))) ++n;
    EXPECT_GT(n, 0);
    EXPECT_FALSE(m.ring.try_reserve(100).has_value());
    ASSERT_EQ(pop(m.ring), pattern(100, 0));
    EXPECT_TRUE(push(m.ring, pattern(100, n)));
}

TEST(Ring, RefusesRecordLargerThanCapacity) {
    RingMemory m(1024);
    EXPECT_FALSE(m.ring.try_reserve(m.ring.max_payload() + 1).has_value());
    EXPECT_TRUE(m.ring.try_reserve(m.ring.max_payload()).has_value());
}

TEST(Ring, ReservedRecordIsInvisibleUntilCommitted) {
    RingMemory m(1024);
    auto slot = m.ring.try_reserve(10);
    ASSERT_TRUE(slot);
    EXPECT_FALSE(m.ring.try_peek().has_value());
    m.ring.commit(*slot);
    EXPECT_TRUE(m.ring.try_peek().has_value());
}

TEST(Ring, WaitPeekReportsCloseAfterDraining) {
    RingMemory m(1024);
    ASSERT_TRUE(push(m.ring, "last"));
    m.ring.close();
    ReadSlot slot;
    ASSERT_EQ(m.ring.wait_peek(slot, std::chrono::seconds(1)), WaitOutcome::record);
    m.ring.release(slot);
    EXPECT_EQ(m.ring.wait_peek(slot, std::chrono::seconds(1)), WaitOutcome::closed);
}

TEST(Ring, WaitPeekTimesOut) {
    RingMemory m(1024);
    ReadSlot slot;
    EXPECT_EQ(m.ring.wait_peek(slot, std::chrono::milliseconds(20)), WaitOutcome::timed_out);
}

TEST(Ring, ResetEmptiesRing) {
    RingMemory m(1024);
    ASSERT_TRUE(push(m.ring, "x"));
    m.ring.close();
    m.ring.reset();
    EXPECT_TRUE(m.ring.empty());
    EXPECT_FALSE(m.ring.closed());
    EXPECT_TRUE(push(m.ring, "y"));
    EXPECT_EQ(pop(m.ring), "y");
}

// The supervisor withdraws jobs queued behind a long one; the worker takes each record
// before it acts on it. One compare-and-swap decides: never both, never neither.
TEST(Ring, ARecordIsEitherTakenOrWithdrawnNeverBoth) {
    RingMemory m(4096);
    std::vector<WriteSlot> written;
    for (int i = 0; i < 4; ++i) {
        auto slot = m.ring.try_reserve(8);
        ASSERT_TRUE(slot.has_value());
        m.ring.commit(*slot, 4);
        written.push_back(*slot);
    }
    auto first = m.ring.try_peek();
    ASSERT_TRUE(first.has_value());
    EXPECT_TRUE(m.ring.take(*first));
    EXPECT_FALSE(Ring::withdraw(written[0].header, 4, 3));  // taken: stays with the worker
    // The worker has read the next record, and the supervisor withdraws it before the
    // worker takes it: the take fails, and the worker steps over it.
    auto second = m.ring.try_peek_after(*first);
    ASSERT_TRUE(second.has_value());
    EXPECT_TRUE(Ring::withdraw(written[1].header, 4, 3));
    EXPECT_FALSE(Ring::withdraw(written[1].header, 4, 3));  // once
    EXPECT_FALSE(m.ring.take(*second));
    // Withdrawn before the worker reads it: it reads a skipped record.
    EXPECT_TRUE(Ring::withdraw(written[3].header, 4, 3));
    auto third = m.ring.try_peek_after(*second);
    ASSERT_TRUE(third.has_value());
    EXPECT_TRUE(m.ring.take(*third));
    EXPECT_EQ(third->flags, 4);  // the taken mark never shows in a record's flags
    auto fourth = m.ring.try_peek_after(*third);
    ASSERT_TRUE(fourth.has_value());
    EXPECT_EQ(fourth->flags, 3);
    m.ring.release(*fourth);
    EXPECT_TRUE(m.ring.empty());
}

}  // namespace
}  // namespace ringrun::ipc
