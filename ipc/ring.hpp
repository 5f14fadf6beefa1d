// A single-producer single-consumer ring of variable-size framed records, placed in
// memory the caller provides (a shared segment, or private memory for threads).
// Records are 8-byte aligned; reserve/commit lets the producer copy its payload outside
// the lock, and the consumer reads a record in place until it releases it.
// The robust mutex covers index updates only. This file must never allocate, block
// without a timeout, or throw on the hot path; a dead peer must never hang either side.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "ipc/adaptive_spin.hpp"
#include "ipc/robust_mutex.hpp"

namespace ringrun::ipc {

struct RecordHeader {
    std::atomic<uint32_t> state_word;  // low byte: RecordState; high 16 bits: user flags
    uint32_t size;                     // payload bytes, before padding to 8
};
static_assert(sizeof(RecordHeader) == 8);

struct RingControl {
    uint64_t magic;
    uint64_t capacity;    // bytes of record area, a multiple of 8
    int32_t doorbell_fd;  // >= 0: commits ring this eventfd instead of the futex
    // Each line below is written by one side: the lock word never shares a line with
    // what the other side only reads, or every lock would pull that line away from it.
    alignas(64) RobustMutex mutex;
    alignas(64) std::atomic<uint64_t> write_pos;  // bytes ever reserved (monotonic)
    alignas(64) std::atomic<uint64_t> read_pos;   // bytes ever released (monotonic)
    alignas(64) std::atomic<uint32_t> data_seq;   // futex: bumped when a record is committed
    std::atomic<int32_t> producer_cpu;            // where the producer last ran (-1: unknown)
    std::atomic<uint32_t> consumer_waiting;
    std::atomic<uint32_t> closed;
    alignas(64) std::atomic<uint32_t> space_seq;  // futex: bumped when space is released
    std::atomic<uint32_t> producer_waiting;
    std::atomic<uint64_t> repairs;  // times a dead lock owner's state was repaired
};

// Where a reserved record's payload goes; pass back to commit().
struct WriteSlot {
    std::byte* data;
    uint32_t size;
    RecordHeader* header;
};

// Asks for slot's cache lines ahead of writing them. Records reserved together are
// prefetched together, so their lines (last read by the other side, on another core)
// arrive at once instead of one stall per line.
inline void prefetch_for_write(const WriteSlot& slot) {
    const auto* first = reinterpret_cast<const char*>(slot.header);
    for (size_t offset = 0; offset < sizeof(RecordHeader) + slot.size; offset += 64)
        __builtin_prefetch(first + offset, /*for writing*/ 1);
}

// A committed record, readable in place until release().
struct ReadSlot {
    const std::byte* data;
    uint32_t size;
    uint16_t flags;
    uint64_t pos;
};

enum class WaitOutcome { record, closed, timed_out };

class Ring {
  public:
    static constexpr size_t kHeaderBytes = sizeof(RecordHeader);
    // How long a waiting side spins before it sleeps on a futex, unless told otherwise.
    static constexpr std::chrono::nanoseconds kDefaultSpin = std::chrono::microseconds(20);

    // Bytes of memory needed for a ring with this record-area capacity (rounded up to
    // a power of two).
    static size_t footprint(size_t capacity);
    // Initialises a ring in mem (64-byte aligned, footprint(capacity) bytes).
    static Ring create(void* mem, size_t capacity, int doorbell_fd = -1);

    Ring() = default;

    // Largest payload a single record can carry.
    size_t max_payload() const { return capacity_ - kHeaderBytes; }

    // Producer. try_reserve: nullopt when the ring has no room now (or size > max_payload).
    std::optional<WriteSlot> try_reserve(size_t size);
    // Reserves records of sizes[0], sizes[1], ... in order under one lock, as many as
    // fit now; returns how many (out[0..n) are theirs). Each must be committed.
    size_t try_reserve_many(std::span<const size_t> sizes, std::span<WriteSlot> out);
    // Waits for room, spinning briefly then sleeping; nullopt on timeout.
    std::optional<WriteSlot> reserve_wait(size_t size, std::chrono::nanoseconds timeout,
                                          std::chrono::nanoseconds spin = kDefaultSpin);
    // The same, spinning as long as spin says, and telling it how the spin ended.
    std::optional<WriteSlot> reserve_wait(size_t size, std::chrono::nanoseconds timeout,
                                          AdaptiveSpin& spin);
    // notify=false defers waking a sleeping consumer to a later notify_consumer() call,
    // so that a batch of records costs one wake-up.
    void commit(const WriteSlot& slot, uint16_t flags = 0, bool notify = true);
    void notify_consumer() { notify_data(); }
    // No more records will come; a waiting consumer is woken.
    void close();

    // Consumer. try_peek: the oldest committed record, or nullopt.
    std::optional<ReadSlot> try_peek();
    // The committed record after previous (which stays unreleased), or nullopt.
    std::optional<ReadSlot> try_peek_after(const ReadSlot& previous);
    // Waits for a record, spinning briefly then sleeping.
    WaitOutcome wait_peek(ReadSlot& out, std::chrono::nanoseconds timeout,
                          std::chrono::nanoseconds spin = kDefaultSpin);
    // The same, spinning as long as spin says (not at all while the peer, as
    // peer_awake says, sleeps), and telling it how the spin ended.
    WaitOutcome wait_peek(ReadSlot& out, std::chrono::nanoseconds timeout, AdaptiveSpin& spin,
                          bool peer_awake = true);
    // Taking back records not yet begun. The consumer takes each record before it acts on
    // it; the producer may withdraw one it committed (with flags) as long as it has not
    // been taken, turning it into a record of replacement_flags that the consumer steps
    // over. One compare-and-swap on the record's state decides who has it. take: false if
    // the record was withdrawn. withdraw: false if it was taken (or is no longer the
    // record committed there: withdraw newest first, and stop at the first refusal).
    bool take(const ReadSlot& slot);
    static bool withdraw(RecordHeader* header, uint16_t flags, uint16_t replacement_flags);
    // Releases slot and every record before it: one lock for a batch of records.
    void release(const ReadSlot& slot);
    bool closed() const { return control_->closed.load(std::memory_order_acquire) != 0; }
    bool empty() const;

    // For a consumer that sleeps elsewhere (the supervisor's epoll on the doorbell):
    // announce the sleep, then re-check empty() before actually sleeping.
    void set_consumer_waiting(bool waiting);
    // The CPU the producer said it ran on when it last handed records over: a consumer on
    // the same CPU cannot be answered while it spins (it holds the CPU the producer needs).
    void set_producer_cpu(int cpu) { control_->producer_cpu.store(cpu, std::memory_order_relaxed); }
    int producer_cpu() const { return control_->producer_cpu.load(std::memory_order_relaxed); }
    // Whether the consumer has announced that it sleeps (or is about to).
    bool consumer_sleeping() const {
        return control_->consumer_waiting.load(std::memory_order_relaxed) != 0;
    }

    // Empties the ring and clears its flags. Only when the other side is dead or gone.
    void reset();
    uint64_t repairs() const { return control_->repairs.load(std::memory_order_relaxed); }

    // Test hooks: hold the ring's mutex as a producer would inside reserve.
    void lock_for_test();

  private:
    static constexpr uint16_t kTakenFlag = 0x8000;  // set in a record's flags by take()
    explicit Ring(RingControl* control);
    void lock();
    void unlock() { control_->mutex.unlock(); }
    void repair_locked();
    void notify_data();
    void wake_consumer();
    void notify_space();
    RecordHeader* header_at(uint64_t pos) const;
    uint64_t offset(uint64_t pos) const { return pos & offset_mask_; }
    std::optional<ReadSlot> record_at(uint64_t pos, uint64_t& pad_bytes) const;

    RingControl* control_ = nullptr;
    std::byte* data_ = nullptr;
    uint64_t capacity_ = 0;  // private copies: read on every access, never written
    uint64_t offset_mask_ = 0;
    // The consumer's: write_pos as try_peek_after last read it. Positions only grow, but
    // for reset and repair, which zero it.
    uint64_t seen_write_pos_ = 0;
};

}  // namespace ringrun::ipc
