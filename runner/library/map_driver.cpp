// Pool::map()'s caller running the supervisor's loop: when it holds the loop, steps away
// from it, and gives it back. See map_driver.hpp.
#include "runner/library/map_driver.hpp"

#include <time.h>

#include "ipc/futex_word.hpp"
#include "ipc/system_call.hpp"

namespace ringrun {

bool MapDriver::turn_until_results(MapResults& results, std::vector<MapResult>& done) {
    if (!take_loop()) return false;
    auto idle_from = std::chrono::steady_clock::now();
    for (uint32_t idle = 0; !loop_.loop_wanted_back();) {
        if (loop_.turn()) {
            results.take(done, 0);
            if (!done.empty()) {
                loop_.step_away_from_loop();  // for the caller's own code
                state_ = State::away;
                return true;
            }
            idle = 0;
            idle_from = std::chrono::steady_clock::now();
            continue;
        }
        // Tasks too long to spin for, and idle turns past kIdleAtMost, are waited for
        // asleep, as the pool's thread would. No sched_yield: on a shared machine it hands
        // a CPU hog this core for a whole time slice.
        if (++idle < 8) continue;
        if (!loop_.tasks_are_short() || std::chrono::steady_clock::now() - idle_from > kIdleAtMost)
            break;
        ipc::cpu_relax();
    }
    give_back();
    return false;
}

void MapDriver::caller_worked(std::chrono::nanoseconds spent, size_t results) {
    work_ += spent;
    results_ += results;
    if (work_ > kCallerWorkAllowance + results_ * kCallerWorkPerResultAtMost) stop();
}

std::chrono::nanoseconds MapDriver::thread_cpu_time() {
    struct timespec now;
    sys::checked("clock_gettime", "CLOCK_THREAD_CPUTIME_ID",
                 [&] { return clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now); });
    return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
}

bool MapDriver::take_loop() {
    if (state_ == State::away && loop_.step_back_to_loop()) state_ = State::holding;
    if (state_ != State::holding && loop_.borrow_loop()) state_ = State::holding;
    if (state_ == State::holding) return true;
    state_ = State::apart;  // someone else runs the loop
    return false;
}

void MapDriver::give_back() {
    if (state_ == State::away && loop_.step_back_to_loop()) state_ = State::holding;
    if (state_ == State::holding) loop_.return_loop();
    state_ = State::apart;
}

void MapDriver::stop() {
    give_back();
    if (driving_) loop_.end_long_loans();
    driving_ = false;
}

}  // namespace ringrun
