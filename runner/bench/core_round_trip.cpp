// Two threads pinned to two CPUs bounce one word: the first writes an odd number, the
// second answers with the next even one. Bursts of round trips, timed by the first; the
// median burst is the figure (a burst the host interrupted is an outlier, not the
// rule). Both threads watch one deadline, so neither spins for ever on a peer the host
// never runs.
#include "runner/bench/core_round_trip.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "ipc/futex_word.hpp"
#include "runner/bench/probe_cpus.hpp"

namespace ringrun {
namespace {

using Clock = std::chrono::steady_clock;

constexpr uint32_t kTripsPerBurst = 2000;
constexpr size_t kBursts = 7;

struct Court {
    alignas(64) std::atomic<uint32_t> ball{0};
    alignas(64) std::atomic<bool> abandoned{false};
    Clock::time_point deadline;
};

// Spins until the ball holds value; false once the run is abandoned or past its deadline.
bool await(Court& court, uint32_t value) {
    for (uint32_t spins = 1; court.ball.load(std::memory_order_acquire) != value; ++spins) {
        if (spins % 256 == 0 &&
            (court.abandoned.load(std::memory_order_relaxed) || Clock::now() > court.deadline)) {
            court.abandoned.store(true, std::memory_order_relaxed);
            return false;
        }
        ipc::cpu_relax();
    }
    return true;
}

}  // namespace

std::optional<double> core_round_trip_ns() {
    const std::vector<int> cpus = first_allowed_cpus(2);
    if (cpus.size() < 2) return std::nullopt;

    Court court;
    court.deadline = Clock::now() + std::chrono::seconds(1);
    std::array<double, kBursts> burst_ns{};
    std::thread answerer([&] {
        if (!pin_calling_thread_to(cpus[1])) court.abandoned.store(true);
        for (uint32_t serve = 1; serve < 2 * kTripsPerBurst * kBursts; serve += 2) {
            if (!await(court, serve)) return;
            court.ball.store(serve + 1, std::memory_order_release);
        }
    });
    std::thread server([&] {
        if (!pin_calling_thread_to(cpus[0])) court.abandoned.store(true);
        uint32_t serve = 1;
        for (double& ns : burst_ns) {
            const auto start = Clock::now();
            for (uint32_t trip = 0; trip < kTripsPerBurst; ++trip, serve += 2) {
                court.ball.store(serve, std::memory_order_release);
                if (!await(court, serve + 1)) return;
            }
            ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count() /
                 kTripsPerBurst;
        }
    });
    server.join();
    answerer.join();
    if (court.abandoned.load()) return std::nullopt;
    std::nth_element(burst_ns.begin(), burst_ns.begin() + kBursts / 2, burst_ns.end());
    return burst_ns[kBursts / 2];
}

}  // namespace ringrun
