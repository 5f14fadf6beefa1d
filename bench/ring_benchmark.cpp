// Google Benchmark of the ring between two real processes, in a real shared segment:
// one-way throughput (records/s) and round-trip latency (p50/p99 as counters, in µs).
// Measures; never asserts.
#include <benchmark/benchmark.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <vector>

#include "ipc/ring_set.hpp"
#include "ipc/shared_segment.hpp"

namespace {

using ringrun::ipc::ReadSlot;
using ringrun::ipc::Ring;
using ringrun::ipc::RingSet;
using ringrun::ipc::SharedSegment;
using ringrun::ipc::WaitOutcome;

constexpr ringrun::ipc::RingSizes kSizes{1 << 20, 1 << 20};

void push_wait(Ring& ring, const void* data, size_t size) {
    for (;;) {
        if (auto slot = ring.reserve_wait(size, std::chrono::seconds(1))) {
            std::memcpy(slot->data, data, size);
            ring.commit(*slot);
            return;
        }
    }
}

// Child: drains ring `from` until closed; echoes into `to` if given.
[[noreturn]] void consume(Ring from, Ring* to) {
    for (;;) {
        ReadSlot slot;
        auto outcome = from.wait_peek(slot, std::chrono::seconds(1));
        if (outcome == WaitOutcome::closed) _exit(0);
        if (outcome != WaitOutcome::record) continue;
        if (to) push_wait(*to, slot.data, slot.size);
        from.release(slot);
    }
}

void BM_RingThroughputAcrossProcesses(benchmark::State& state) {
    const size_t record = static_cast<size_t>(state.range(0));
    SharedSegment segment = SharedSegment::create_for_run(RingSet::footprint(1, kSizes));
    RingSet rings(segment.base(), 1, kSizes, -1);
    pid_t child = fork();
    if (child == 0) consume(rings.job_ring(0), nullptr);
    std::vector<char> payload(record, 'x');
    for (auto _ : state) push_wait(rings.job_ring(0), payload.data(), payload.size());
    rings.job_ring(0).close();
    waitpid(child, nullptr, 0);
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(record));
}
BENCHMARK(BM_RingThroughputAcrossProcesses)->Arg(64)->Arg(1024)->UseRealTime();

void BM_RingRoundTripAcrossProcesses(benchmark::State& state) {
    SharedSegment segment = SharedSegment::create_for_run(RingSet::footprint(1, kSizes));
    RingSet rings(segment.base(), 1, kSizes, -1);
    Ring ping = rings.job_ring(0), pong = rings.result_ring(0);
    pid_t child = fork();
    if (child == 0) consume(ping, &pong);
    std::vector<double> micros;
    micros.reserve(1 << 20);
    char payload[64] = {};
    for (auto _ : state) {
        auto start = std::chrono::steady_clock::now();
        push_wait(ping, payload, sizeof payload);
        ReadSlot slot;
        while (pong.wait_peek(slot, std::chrono::seconds(1)) != WaitOutcome::record) {
        }
        pong.release(slot);
        micros.push_back(
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
                .count());
    }
    ping.close();
    waitpid(child, nullptr, 0);
    std::sort(micros.begin(), micros.end());
    if (!micros.empty()) {
        state.counters["p50_us"] = micros[micros.size() / 2];
        state.counters["p99_us"] = micros[micros.size() * 99 / 100];
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RingRoundTripAcrossProcesses)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
