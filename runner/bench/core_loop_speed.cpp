// Four independent chains of 64-bit multiply-adds: the loop keeps a core's multipliers
// busy and touches no memory, so its time per iteration moves with the share of the core
// this thread gets (and the core's clock), never with caches or memory. Each CPU is timed
// by a thread of its own, joined before the next; the caller's affinity is never touched.
#include "runner/bench/core_loop_speed.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <thread>

#include "runner/bench/probe_cpus.hpp"

namespace ringrun {
namespace {

constexpr uint64_t kIterations = 200'000;  // about 0.3 ms on this project's machines
constexpr size_t kRuns = 7;

double loop_ns_per_iteration() {
    uint64_t a = 1, b = 2, c = 3, d = 4;
    const auto start = std::chrono::steady_clock::now();
    for (uint64_t i = 0; i < kIterations; ++i) {
        a = a * 6364136223846793005u + 1;
        b = b * 6364136223846793005u + 3;
        c = c * 6364136223846793005u + 5;
        d = d * 6364136223846793005u + 7;
        a ^= b >> 7;
        c ^= d >> 9;
        asm volatile("" : "+r"(a), "+r"(b), "+r"(c), "+r"(d));  // no folding, no vectors
    }
    const auto elapsed = std::chrono::steady_clock::now() - start;
    return std::chrono::duration<double, std::nano>(elapsed).count() / kIterations;
}

}  // namespace

std::vector<double> core_loop_ns() {
    std::vector<double> figures;
    for (int cpu : first_allowed_cpus(2)) {
        std::array<double, kRuns> runs{};
        bool pinned = false;
        std::thread([&] {
            if ((pinned = pin_calling_thread_to(cpu)))
                for (double& ns : runs) ns = loop_ns_per_iteration();
        }).join();
        if (!pinned) continue;  // a CPU its thread may not run on gives no figure
        std::nth_element(runs.begin(), runs.begin() + kRuns / 2, runs.end());
        figures.push_back(runs[kRuns / 2]);
    }
    return figures;
}

}  // namespace ringrun
