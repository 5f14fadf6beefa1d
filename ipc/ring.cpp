// The ring's index arithmetic, wrap-around, wake-ups and repair after a dead lock owner.
// Positions are monotonic 64-bit byte counts, each updated by a single store, so a
// process killed inside a critical section leaves every index either old or new; repair
// re-validates the chain of record headers. Must never trust a header it has not checked.
#include "ipc/ring.hpp"

#include <algorithm>
#include <bit>
#include <new>

#include "ipc/doorbell.hpp"
#include "ipc/futex_word.hpp"

namespace ringrun::ipc {
namespace {

constexpr uint64_t kRingMagic = 0x52494e4752554e31ULL;  // "RINGRUN1"
constexpr size_t kControlBytes = (sizeof(RingControl) + 63) / 64 * 64;

// A header whose state is none of these (0 before first use) is not a record.
enum RecordState : uint32_t { kReserved = 1, kCommitted = 2, kPad = 3 };

constexpr uint64_t padded(uint64_t size) {
    return (size + 7) & ~uint64_t{7};
}
// The record area is a power of two, so that a position's offset is a mask, not a
// division (several per record on each side).
uint64_t area_bytes(uint64_t capacity) {
    return std::bit_ceil(std::max<uint64_t>(capacity, 64));
}
constexpr uint64_t record_bytes(uint64_t size) {
    return Ring::kHeaderBytes + padded(size);
}

template <typename Ready>
bool spin_until(Ready ready, std::chrono::nanoseconds budget) {
    if (ready()) return true;  // the usual case, without reading the clock
    if (budget.count() <= 0) return false;
    auto until = std::chrono::steady_clock::now() + budget;
    for (;;) {
        for (int i = 0; i < 256; ++i) {
            if (ready()) return true;
            cpu_relax();
        }
        if (std::chrono::steady_clock::now() >= until) return false;
    }
}

// Announces a sleeper in waiting, then sleeps on word until ready() holds or the deadline
// passes. ready() runs after the announcement, so a wake between check and sleep is never
// lost: the other side bumps word only after it has seen waiting set.
template <typename Ready>
bool sleep_until(std::atomic<uint32_t>& word, std::atomic<uint32_t>& waiting,
                 std::chrono::steady_clock::time_point deadline, Ready ready) {
    bool done = false;
    for (;;) {
        uint32_t seq = word.load(std::memory_order_acquire);
        waiting.store(1, std::memory_order_seq_cst);
        std::atomic_thread_fence(std::memory_order_seq_cst);
        if ((done = ready())) break;
        auto now = std::chrono::steady_clock::now();
        if (now >= deadline) break;
        futex_wait(word, seq, deadline - now);
    }
    waiting.store(0, std::memory_order_relaxed);
    return done;
}

}  // namespace

size_t Ring::footprint(size_t capacity) {
    return kControlBytes + area_bytes(capacity);
}

Ring::Ring(RingControl* control)
    : control_(control),
      data_(reinterpret_cast<std::byte*>(control) + kControlBytes),
      capacity_(control->capacity),
      offset_mask_(control->capacity - 1) {}

Ring Ring::create(void* mem, size_t capacity, int doorbell_fd) {
    auto* control = new (mem) RingControl{};
    control->capacity = area_bytes(capacity);
    control->doorbell_fd = doorbell_fd;
    control->producer_cpu.store(-1, std::memory_order_relaxed);
    control->mutex.init();
    control->magic = kRingMagic;
    return Ring(control);
}

RecordHeader* Ring::header_at(uint64_t pos) const {
    return reinterpret_cast<RecordHeader*>(data_ + offset(pos));
}

void Ring::lock() {
    if (control_->mutex.lock() == RobustMutex::LockOutcome::owner_died) {
        repair_locked();
        control_->mutex.mark_consistent();
    }
}

void Ring::lock_for_test() {
    lock();
}

// The previous owner died inside a critical section. Each index holds an old or a new
// value; bring them back to a consistent pair and drop any record whose header does
// not check out (it was being written when its producer died).
void Ring::repair_locked() {
    const uint64_t cap = capacity_;
    uint64_t r = control_->read_pos.load(std::memory_order_relaxed);
    uint64_t w = control_->write_pos.load(std::memory_order_relaxed);
    if (w < r || w - r > cap) w = r;
    uint64_t p = r;
    while (p < w) {
        const RecordHeader* h = header_at(p);
        uint32_t state = h->state_word.load(std::memory_order_acquire) & 0xff;
        if (state != kReserved && state != kCommitted && state != kPad) break;
        uint64_t bytes = record_bytes(h->size);
        if (offset(p) + bytes > cap || p + bytes > w) break;
        if (state == kPad && offset(p) + bytes != cap) break;
        p += bytes;
    }
    control_->write_pos.store(p, std::memory_order_release);
    seen_write_pos_ = 0;  // write_pos may have moved back
    control_->repairs.fetch_add(1, std::memory_order_relaxed);
}

std::optional<WriteSlot> Ring::try_reserve(size_t size) {
    WriteSlot slot;
    return try_reserve_many(std::span<const size_t>(&size, 1), std::span<WriteSlot>(&slot, 1)) == 1
               ? std::optional<WriteSlot>(slot)
               : std::nullopt;
}

size_t Ring::try_reserve_many(std::span<const size_t> sizes, std::span<WriteSlot> out) {
    const uint64_t cap = capacity_;
    size_t reserved = 0;
    lock();
    uint64_t w = control_->write_pos.load(std::memory_order_relaxed);
    uint64_t r = control_->read_pos.load(std::memory_order_acquire);
    if (w == r && offset(w) != 0) {
        // Empty: restart at the top of a lap so that any record fits contiguously.
        // read_pos first: a death in between leaves read > write, which repair fixes.
        w = r = w + (cap - offset(w));
        control_->read_pos.store(r, std::memory_order_release);
        control_->write_pos.store(w, std::memory_order_release);
    }
    for (; reserved < sizes.size() && reserved < out.size(); ++reserved) {
        const size_t size = sizes[reserved];
        if (size > max_payload()) break;
        const uint64_t bytes = record_bytes(size);
        const uint64_t contiguous = cap - offset(w);
        const uint64_t needed = bytes <= contiguous ? bytes : contiguous + bytes;
        if (needed > cap - (w - r)) break;
        if (bytes > contiguous) {
            RecordHeader* pad = header_at(w);
            pad->size = static_cast<uint32_t>(contiguous - kHeaderBytes);
            pad->state_word.store(kPad, std::memory_order_release);
            w += contiguous;
        }
        RecordHeader* h = header_at(w);
        h->size = static_cast<uint32_t>(size);
        h->state_word.store(kReserved, std::memory_order_release);
        // One store per record, so a death in between leaves whole records behind.
        control_->write_pos.store(w + bytes, std::memory_order_release);
        w += bytes;
        out[reserved] =
            WriteSlot{reinterpret_cast<std::byte*>(h + 1), static_cast<uint32_t>(size), h};
    }
    unlock();
    return reserved;
}

std::optional<WriteSlot> Ring::reserve_wait(size_t size, std::chrono::nanoseconds timeout,
                                            std::chrono::nanoseconds spin) {
    AdaptiveSpin once(spin);  // a fresh one spins its whole budget
    return reserve_wait(size, timeout, once);
}

std::optional<WriteSlot> Ring::reserve_wait(size_t size, std::chrono::nanoseconds timeout,
                                            AdaptiveSpin& spin) {
    std::optional<WriteSlot> slot;
    if (size > max_payload()) return std::nullopt;
    auto ready = [&] { return (slot = try_reserve(size)).has_value(); };
    if (ready()) return slot;
    if (const auto budget = spin.next_budget(); budget.count() > 0) {
        const bool answered = spin_until(ready, budget);
        spin.spin_ended(answered);
        if (answered) return slot;
    }
    sleep_until(control_->space_seq, control_->producer_waiting,
                std::chrono::steady_clock::now() + timeout, ready);
    return slot;
}

void Ring::commit(const WriteSlot& slot, uint16_t flags, bool notify) {
    slot.header->state_word.store(kCommitted | (uint32_t{flags} << 16), std::memory_order_release);
    if (notify) notify_data();
}

void Ring::notify_data() {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (control_->consumer_waiting.load(std::memory_order_relaxed) == 0) return;
    // One wake per sleep: the commits that follow, before the consumer is up and asks
    // again, find the request taken and make no system call (a worker committing results
    // while the supervisor wakes wrote the doorbell once per result).
    if (control_->consumer_waiting.exchange(0, std::memory_order_acq_rel) == 0) return;
    wake_consumer();
}

void Ring::wake_consumer() {
    control_->data_seq.fetch_add(1, std::memory_order_release);
    if (control_->doorbell_fd >= 0)
        Doorbell::ring(control_->doorbell_fd);
    else
        futex_wake_all(control_->data_seq);
}

void Ring::notify_space() {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (control_->producer_waiting.load(std::memory_order_relaxed) == 0) return;
    control_->space_seq.fetch_add(1, std::memory_order_release);
    futex_wake_all(control_->space_seq);
}

void Ring::close() {
    control_->closed.store(1, std::memory_order_release);
    wake_consumer();
}

bool Ring::empty() const {
    uint64_t w = control_->write_pos.load(std::memory_order_acquire);
    return control_->read_pos.load(std::memory_order_acquire) >= w;
}

// What the consumer finds at pos (below write_pos): a committed record, a pad to step
// over (pad_bytes set), or a record its producer is still copying (neither).
std::optional<ReadSlot> Ring::record_at(uint64_t pos, uint64_t& pad_bytes) const {
    RecordHeader* h = header_at(pos);
    uint32_t word = h->state_word.load(std::memory_order_acquire);
    uint32_t state = word & 0xff;
    pad_bytes = state == kPad ? record_bytes(h->size) : 0;
    if (state != kCommitted) return std::nullopt;
    return ReadSlot{reinterpret_cast<const std::byte*>(h + 1), h->size,
                    static_cast<uint16_t>((word >> 16) & ~uint32_t{kTakenFlag}), pos};
}

bool Ring::take(const ReadSlot& slot) {
    RecordHeader* h = header_at(slot.pos);
    uint32_t expected = kCommitted | (uint32_t{slot.flags} << 16);
    const uint32_t taken =
        kCommitted | (uint32_t{static_cast<uint16_t>(slot.flags | kTakenFlag)} << 16);
    return h->state_word.compare_exchange_strong(expected, taken, std::memory_order_acq_rel) ||
           expected == taken;
}

bool Ring::withdraw(RecordHeader* header, uint16_t flags, uint16_t replacement_flags) {
    uint32_t expected = kCommitted | (uint32_t{flags} << 16);
    return header->state_word.compare_exchange_strong(
        expected, kCommitted | (uint32_t{replacement_flags} << 16), std::memory_order_acq_rel);
}

std::optional<ReadSlot> Ring::try_peek() {
    // Reading needs no lock: only this consumer moves read_pos while a record is
    // present, and the producer publishes a header before moving write_pos past it.
    // write_pos is loaded first: the producer's empty-ring restart moves read_pos before
    // write_pos, so a read_pos seen after a write_pos is never older than it (r > w means
    // a restart happened in between: nothing to read yet).
    for (;;) {
        uint64_t w = control_->write_pos.load(std::memory_order_acquire);
        uint64_t r = control_->read_pos.load(std::memory_order_acquire);
        if (r >= w) return std::nullopt;
        uint64_t pad_bytes;
        auto slot = record_at(r, pad_bytes);
        if (slot || pad_bytes == 0) return slot;
        lock();  // a pad at the head: release it, so its space is free again
        control_->read_pos.store(r + pad_bytes, std::memory_order_release);
        unlock();
        notify_space();
    }
}

std::optional<ReadSlot> Ring::try_peek_after(const ReadSlot& previous) {
    // previous is unreleased, so the ring is not empty and the producer cannot restart
    // its lap under us; pads are stepped over without releasing them.
    uint64_t pos = previous.pos + record_bytes(previous.size);
    for (;;) {
        // Below a write_pos seen before, a record is reserved and its header can be read
        // without loading write_pos again, whose line the producer writes at every reserve.
        if (pos >= seen_write_pos_ &&
            pos >= (seen_write_pos_ = control_->write_pos.load(std::memory_order_acquire)))
            return std::nullopt;
        uint64_t pad_bytes;
        auto slot = record_at(pos, pad_bytes);
        if (slot || pad_bytes == 0) return slot;
        pos += pad_bytes;
    }
}

WaitOutcome Ring::wait_peek(ReadSlot& out, std::chrono::nanoseconds timeout,
                            std::chrono::nanoseconds spin) {
    AdaptiveSpin once(spin);  // a fresh one spins its whole budget
    return wait_peek(out, timeout, once);
}

WaitOutcome Ring::wait_peek(ReadSlot& out, std::chrono::nanoseconds timeout, AdaptiveSpin& spin,
                            bool peer_awake) {
    std::optional<ReadSlot> slot;
    auto ready = [&] { return (slot = try_peek()).has_value(); };
    bool got = ready();
    if (!got) {
        if (const auto budget = spin.next_budget(peer_awake); budget.count() > 0) {
            got = spin_until(ready, budget);
            spin.spin_ended(got);
        }
    }
    if (!got)
        sleep_until(control_->data_seq, control_->consumer_waiting,
                    std::chrono::steady_clock::now() + timeout,
                    [&] { return ready() || closed(); });
    if (slot) {
        out = *slot;
        return WaitOutcome::record;
    }
    return closed() ? WaitOutcome::closed : WaitOutcome::timed_out;
}

void Ring::release(const ReadSlot& slot) {
    lock();
    control_->read_pos.store(slot.pos + record_bytes(slot.size), std::memory_order_release);
    unlock();
    notify_space();
}

void Ring::set_consumer_waiting(bool waiting) {
    control_->consumer_waiting.store(waiting ? 1 : 0, std::memory_order_seq_cst);
}

void Ring::reset() {
    lock();
    control_->read_pos.store(0, std::memory_order_relaxed);
    control_->write_pos.store(0, std::memory_order_relaxed);
    control_->closed.store(0, std::memory_order_relaxed);
    control_->consumer_waiting.store(0, std::memory_order_relaxed);
    control_->producer_waiting.store(0, std::memory_order_relaxed);
    control_->producer_cpu.store(-1, std::memory_order_relaxed);
    seen_write_pos_ = 0;
    unlock();
}

}  // namespace ringrun::ipc
