// Pool::map()'s caller running the supervisor's loop itself between its callbacks.
// Must never hold the loop while the caller's own code runs (a callback may wait on the
// pool), nor keep it from run()'s thread when that thread has events to handle.
#pragma once

#include <chrono>
#include <cstddef>
#include <vector>

#include "runner/core/supervisor.hpp"
#include "runner/library/pool_queue.hpp"

namespace ringrun {

// map()'s caller runs the supervisor's loop itself while results come quickly: its
// submissions and results then never leave its core, which is what they cost most where
// the cores are far apart (docs/design-notes.md, "Where the host puts the two cores").
// Its own code (the callbacks, the range) runs stepped away from the loop, so that it may
// wait on the pool like any other code. While no results come, it gives the loop back to
// the pool's thread and sleeps until a quarter of its window is back; once its own code
// is slow (the workers would wait on it), it drives no more in this call.
class MapDriver {
  public:
    explicit MapDriver(Supervisor& loop) : loop_(loop) { loop_.begin_long_loans(); }
    ~MapDriver() { stop(); }
    bool driving() const { return driving_; }
    // Turns the loop until a turn delivers results into done (true). False, with the
    // loop given back, if the pool's thread did not let go of it, or wants it back (a
    // worker's exit, say: only it handles that), or if nothing moved for as long as the
    // pool's thread spins before it sleeps (or, for long tasks, at all).
    bool turn_until_results(MapResults& results, std::vector<MapResult>& done);
    // The caller's own code on its last results (their callbacks, and the payloads that
    // replaced them), in CPU time (a preemption is not work): once it averages more than
    // a microsecond a result, the workers would wait on it.
    void caller_worked(std::chrono::nanoseconds spent, size_t results);
    // This thread's CPU time, for caller_worked.
    static std::chrono::nanoseconds thread_cpu_time();

  private:
    enum class State { apart, holding, away };
    static constexpr auto kIdleAtMost = std::chrono::microseconds(100);
    static constexpr auto kCallerWorkPerResultAtMost = std::chrono::microseconds(1);
    static constexpr auto kCallerWorkAllowance = std::chrono::microseconds(500);

    bool take_loop();
    // Ends the loan: run()'s thread is woken if anything needs it.
    void give_back();
    void stop();

    Supervisor& loop_;
    State state_ = State::apart;
    bool driving_ = true;
    std::chrono::nanoseconds work_{};
    size_t results_ = 0;
};

}  // namespace ringrun
