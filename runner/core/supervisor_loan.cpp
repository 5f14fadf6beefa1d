// The loop on loan (embedded: Pool::apply, Pool::map): the calling thread runs the loop's
// turns itself while run()'s thread sleeps in epoll, so that a task's round trip skips two
// hand-offs between threads. Must never let two threads run the loop at once: every turn
// is under loop_mutex_, and a borrower never sleeps or forks while holding it.
#include <sched.h>
#include <sys/epoll.h>

#include <algorithm>

#include "ipc/futex_word.hpp"
#include "runner/core/supervisor.hpp"

namespace ringrun {
namespace {

// How often run()'s thread, asleep while a borrower drives the loop for long, looks
// whether the loop is free (sleep_unlocked).
constexpr int kLentLookEveryMs = 1;
// A borrower stepped away from the loop for longer than this may be waiting on it.
constexpr int64_t kAwayTooLongNs = 1'000'000;

}  // namespace

// The loop's thread, spinning before it sleeps, lets go of the loop for a moment. If a
// borrower took it meanwhile, this thread sleeps in epoll until the borrower gives it
// back with work left, or an event comes; then it takes the loop back. True if it was
// lent.
bool Supervisor::yield_loop(std::unique_lock<std::mutex>& loop) {
    const uint64_t loans = loans_;
    loop.unlock();
    if (loans_wanted_.load(std::memory_order_acquire) == 0) {
        ipc::cpu_relax();  // not sched_yield: on a shared machine it gives a hog a time slice
    } else {               // a borrower is at the door: let it in rather than race it for the lock
        for (int i = 0; i < 4096 && loans_wanted_.load(std::memory_order_acquire) > 0 &&
                        !loop_lent_.load(std::memory_order_acquire);
             ++i)
            ipc::cpu_relax();
    }
    for (;;) {
        // Lent first: a borrower stepped away from the loop a moment is not robbed of it.
        if (loop_lent_.load(std::memory_order_acquire)) break;
        if (loop.try_lock()) {
            if (loans_ != loans) clear_wake_requests();  // made by the loan's return
            return false;
        }
        ipc::cpu_relax();  // a borrower between taking the loop and saying so
    }
    struct epoll_event events[8];
    const int n = sleep_unlocked(loop, events, kSafetyWakeMs);
    handle_events(events, n, n == 0);
    return true;
}

// Sleeps in epoll with the loop let go (a borrower may run it meanwhile) until an event
// or the timeout, then has the loop back (asking a borrower for it if need be). While a
// borrower drives the loop for long (Pool::map's caller), it also looks every
// kLentLookEveryMs whether the loop is free: given back, or its borrower away from it for
// longer than kAwayTooLongNs (a callback of the caller's may be waiting on the loop).
int Supervisor::sleep_unlocked(std::unique_lock<std::mutex>& loop, struct epoll_event* events,
                               int timeout_ms) {
    const auto until = Clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now());
        const int left_ms = static_cast<int>(std::max<int64_t>(0, left.count()));
        const bool looking = long_borrowers_.load(std::memory_order_relaxed) > 0;
        const int n =
            events_->wait(events, 8, looking ? std::min(left_ms, kLentLookEveryMs) : left_ms);
        if (n > 0 || !looking || Clock::now() >= until) {
            take_loop_back(loop);
            return n;
        }
        const int64_t away_since = borrower_away_since_ns_.load(std::memory_order_relaxed);
        if (loop_lent_.load(std::memory_order_acquire) &&
            (away_since == 0 || ipc::monotonic_ns() - away_since < kAwayTooLongNs))
            continue;  // its borrower drives it, or is away only a moment
        if (loop.try_lock()) {
            reclaim_loop();
            return 0;
        }
    }
}

// After a sleep in epoll: a borrower may hold the loop meanwhile (Pool::map's caller may
// hold it for long), and is asked to give it back, since what woke this thread (a
// worker's exit, say) is for it alone to handle.
void Supervisor::take_loop_back(std::unique_lock<std::mutex>& loop) {
    if (!loop.try_lock()) {
        loop_wanted_back_.store(true, std::memory_order_relaxed);
        loop.lock();
        loop_wanted_back_.store(false, std::memory_order_relaxed);
    }
    reclaim_loop();
}

// run()'s thread has the loop again: a borrower that stepped away from it has lost it.
void Supervisor::reclaim_loop() {
    if (!loop_lent_.load(std::memory_order_relaxed)) return;
    borrower_cpu_ = -1;
    borrower_away_since_ns_.store(0, std::memory_order_relaxed);
    loop_lent_.store(false, std::memory_order_release);
}

bool Supervisor::borrow_loop() {
    if (!options_.embedded) return false;
    // The loop's thread lets go of the loop whenever it sleeps, and, spinning idle,
    // as soon as it sees a borrower waiting; a borrower that finds it busy for a few
    // microseconds leaves the work to it.
    loans_wanted_.fetch_add(1, std::memory_order_acq_rel);
    const auto give_up = Clock::now() + std::chrono::microseconds(5);
    bool taken = false;
    for (uint32_t i = 1; !(taken = loop_mutex_.try_lock()); ++i) {
        if (i % 64 == 0 && Clock::now() > give_up) break;
        ipc::cpu_relax();
    }
    loans_wanted_.fetch_sub(1, std::memory_order_acq_rel);
    return taken && take_loan_locked();
}

// Holding loop_mutex_: makes it a loan, unless the loop has ended (then let go).
bool Supervisor::take_loan_locked() {
    if (!loop_running_) {
        loop_mutex_.unlock();
        return false;
    }
    ++loans_;
    borrower_cpu_ = sched_getcpu();
    loop_lent_.store(true, std::memory_order_release);
    clear_wake_requests();  // the borrower spins: nobody needs to ring
    return true;
}

void Supervisor::begin_long_loans() {
    long_borrowers_.fetch_add(1, std::memory_order_relaxed);
}

void Supervisor::end_long_loans() {
    long_borrowers_.fetch_sub(1, std::memory_order_relaxed);
}

void Supervisor::step_away_from_loop() {
    // Submissions from other code (the callbacks' own, say) wake run()'s thread, which
    // then takes the loop if the borrower is still away.
    input_.set_consumer_sleeping(true);
    borrower_away_since_ns_.store(ipc::monotonic_ns(), std::memory_order_relaxed);
    loop_mutex_.unlock();
}

bool Supervisor::step_back_to_loop() {
    if (!loop_mutex_.try_lock()) return false;
    borrower_away_since_ns_.store(0, std::memory_order_relaxed);
    // Still lent: nobody took it meanwhile. Else run()'s thread, or another borrower, had
    // it and let go: a new loan.
    if (!loop_lent_.load(std::memory_order_acquire)) return take_loan_locked();
    input_.set_consumer_sleeping(false);
    return true;
}

// The loop's thread may be asleep in epoll, with the wake requests cleared by the
// borrower: they are made again on its behalf, and it is woken at once if anything is
// waiting or will need it soon (jobs in flight or pending, a timer, a replacement to
// fork, the end of the input).
void Supervisor::return_loop() {
    bool needs_loop_thread = !prepare_to_sleep() || scheduler_.has_pending() ||
                             scheduler_.in_flight_total() > 0 || scheduler_.delayed_count() > 0 ||
                             unconfirmed_workers_ > 0 || hooks_.progress || input_.exhausted() ||
                             stopping_;
    for (const SlotLife& life : lives_) needs_loop_thread |= !life.up;
    if (needs_loop_thread) events_->doorbell().ring();
    borrower_cpu_ = -1;
    loop_lent_.store(false, std::memory_order_release);
    loop_mutex_.unlock();
}

}  // namespace ringrun
