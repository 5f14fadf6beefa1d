// The hand-off on a shared machine: AdaptiveSpin stops spinning once spins stop paying
// and probes to start again; a ring's waiter does not spin for a peer that sleeps; and a
// sleeping consumer is woken once, not once per record committed before it is up.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "ipc/adaptive_spin.hpp"
#include "ipc/doorbell.hpp"
#include "ipc/ring.hpp"

namespace ringrun::ipc {
namespace {

using namespace std::chrono_literals;

TEST(AdaptiveSpin, SpinsUntilTwoSpinsInARowRunOut) {
    AdaptiveSpin spin(20us);
    EXPECT_EQ(spin.next_budget(), 20us);
    spin.spin_ended(false);
    EXPECT_EQ(spin.next_budget(), 20us);
    spin.spin_ended(true);  // an answer resets the count
    spin.spin_ended(false);
    EXPECT_TRUE(spin.spinning());
    spin.spin_ended(false);
    EXPECT_FALSE(spin.spinning());
    EXPECT_EQ(spin.next_budget(), 0ns);
}

TEST(AdaptiveSpin, ProbesEverySixteenthWaitAndSpinsAgainOnceAProbePays) {
    AdaptiveSpin spin(20us);
    spin.spin_ended(false);
    spin.spin_ended(false);
    int probes = 0;
    for (int wait = 1; wait <= 64; ++wait) {
        const auto budget = spin.next_budget();
        if (budget.count() == 0) continue;
        ++probes;
        EXPECT_EQ(wait % 16, 0) << wait;
        EXPECT_EQ(budget, 5us);
        spin.spin_ended(false);
    }
    EXPECT_EQ(probes, 4);
    while (spin.next_budget().count() == 0) {
    }
    spin.spin_ended(true);
    EXPECT_TRUE(spin.spinning());
    EXPECT_EQ(spin.next_budget(), 20us);
}

TEST(AdaptiveSpin, NeverSpinsForAPeerThatSleeps) {
    AdaptiveSpin spin(20us);
    EXPECT_EQ(spin.next_budget(/*peer_awake=*/false), 0ns);
}

struct RingMemory {
    explicit RingMemory(size_t capacity, int doorbell_fd = -1)
        : mem(std::aligned_alloc(64, Ring::footprint(capacity))) {
        ring = Ring::create(mem, capacity, doorbell_fd);
    }
    ~RingMemory() { std::free(mem); }
    void* mem;
    Ring ring;
};

void push(Ring& ring, const char* text) {
    auto slot = ring.try_reserve(std::strlen(text));
    ASSERT_TRUE(slot.has_value());
    std::memcpy(slot->data, text, slot->size);
    ring.commit(*slot);
}

TEST(RingHandOff, AWaiterThatStopsSpinningSleepsAtOnceAndIsWoken) {
    RingMemory m(4096);
    AdaptiveSpin spin(20us);
    ReadSlot slot;
    // Two spins that run out (nothing comes): the third wait sleeps without spinning.
    EXPECT_EQ(m.ring.wait_peek(slot, 1ms, spin), WaitOutcome::timed_out);
    EXPECT_EQ(m.ring.wait_peek(slot, 1ms, spin), WaitOutcome::timed_out);
    EXPECT_FALSE(spin.spinning());
    std::thread producer([&] {
        std::this_thread::sleep_for(20ms);
        push(m.ring, "late");
    });
    EXPECT_EQ(m.ring.wait_peek(slot, 10s, spin), WaitOutcome::record);
    producer.join();
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(slot.data), slot.size), "late");
}

TEST(RingHandOff, ASleepingConsumerIsRungOnceForManyCommits) {
    Doorbell doorbell;
    RingMemory m(4096, doorbell.fd());
    EXPECT_FALSE(m.ring.consumer_sleeping());
    m.ring.set_consumer_waiting(true);  // as the supervisor does before epoll
    EXPECT_TRUE(m.ring.consumer_sleeping());
    for (int i = 0; i < 10; ++i) push(m.ring, "result");
    uint64_t rung = 0;
    ASSERT_EQ(::read(doorbell.fd(), &rung, sizeof rung), static_cast<ssize_t>(sizeof rung));
    EXPECT_EQ(rung, 1u);  // one write for ten commits: the request was taken by the first
    EXPECT_FALSE(m.ring.consumer_sleeping());
}

TEST(RingHandOff, TheProducersCpuIsKnownToTheConsumer) {
    RingMemory m(4096);
    EXPECT_EQ(m.ring.producer_cpu(), -1);
    m.ring.set_producer_cpu(1);
    EXPECT_EQ(m.ring.producer_cpu(), 1);
    m.ring.reset();
    EXPECT_EQ(m.ring.producer_cpu(), -1);
}

}  // namespace
}  // namespace ringrun::ipc
