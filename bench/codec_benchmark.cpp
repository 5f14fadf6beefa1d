// Google Benchmark of what one no-op task costs in records alone, on one core: its Job
// written into a ring record, read back and decoded, and its Result the same way, through
// rings in private memory (so no cache line crosses cores). Three ways: the compact task
// records the pool sends, the Cap'n Proto messages that commands (and once tasks) go as,
// and the bare records copied with neither. It is the floor under the library's per-task
// cost; never asserts.
#include <benchmark/benchmark.h>

#include <cstring>
#include <memory>

#include "ipc/message_record.hpp"
#include "worker/job_codec.hpp"
#include "worker/task_record.hpp"

namespace {

using ringrun::ipc::Ring;

struct PrivateRing {
    static constexpr size_t kCapacity = 1 << 20;
    PrivateRing()
        : memory(static_cast<std::byte*>(std::aligned_alloc(64, Ring::footprint(kCapacity)))),
          ring(Ring::create(memory.get(), kCapacity)) {}
    struct Free {
        void operator()(std::byte* p) const { std::free(p); }
    };
    std::unique_ptr<std::byte, Free> memory;
    Ring ring;
};

// Builds message in place with build(), reads it back with decode(); returns whether both
// worked.
template <typename Build, typename Decode>
bool through_ring(Ring& ring, size_t words, Build build, Decode decode) {
    static const ringrun::ipc::SpillDirectory spill("/nonexistent");  // never used: no spills
    auto slot = ring.try_reserve(ringrun::ipc::in_place_record_bytes(words));
    if (!slot || !ringrun::ipc::build_in_record(ring, *slot, build, false)) return false;
    auto record = ring.try_peek();
    if (!record) return false;
    const bool decoded = ringrun::ipc::read_message(*record, spill, decode).empty();
    ring.release(*record);
    return decoded;
}

// A Job or Result's trip as a Cap'n Proto message.
bool message_trip(Ring& ring, const ringrun::JobSpec& job, ringrun::JobSpec& read) {
    return through_ring(
        ring, ringrun::max_message_words(job),
        [&](capnp::MessageBuilder& m) { ringrun::build_job(job, m); },
        [&](capnp::MessageReader& m) { ringrun::decode_job(m, read); });
}
bool message_trip(Ring& ring, const ringrun::JobResult& result, ringrun::JobResult& read) {
    return through_ring(
        ring, ringrun::max_message_words(result),
        [&](capnp::MessageBuilder& m) { ringrun::build_result(result, m); },
        [&](capnp::MessageReader& m) { ringrun::decode_result(m, read); });
}

// A Job or Result's trip as the pool sends a task's: a compact record, written in place
// and read back with every length checked.
template <typename T>
bool compact_trip(Ring& ring, const T& value, T& read) {
    auto slot = ring.try_reserve(ringrun::compact_record_bytes(value));
    if (!slot) return false;
    ringrun::write_compact_record(value, slot->data);
    ring.commit(*slot, ringrun::ipc::kCompactRecord, false);
    auto record = ring.try_peek();
    if (!record) return false;
    const bool decoded = ringrun::read_compact_record(*record, read).empty();
    ring.release(*record);
    return decoded;
}

// Per iteration, a no-op task's Job and its Result each make trip through a ring.
template <typename Trip>
void noop_task_trips(benchmark::State& state, Trip trip) {
    PrivateRing jobs, results;
    ringrun::JobSpec job, job_read;
    job.kind = ringrun::JobSpec::Kind::task;
    job.task_name = "noop";
    ringrun::JobResult result, result_read;
    uint64_t seq = 0;
    for (auto _ : state) {
        job.id = result.id = ++seq;
        const bool job_ok = trip(jobs.ring, job, job_read);
        if (!job_ok || !trip(results.ring, result, result_read))
            state.SkipWithError("a record did not go through");
        benchmark::DoNotOptimize(result_read.id);
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_NoopTaskMessagesOnOneCore(benchmark::State& state) {
    noop_task_trips(state, [](Ring& ring, const auto& value, auto& read) {
        return message_trip(ring, value, read);
    });
}
BENCHMARK(BM_NoopTaskMessagesOnOneCore);

void BM_NoopTaskCompactRecordsOnOneCore(benchmark::State& state) {
    noop_task_trips(state, [](Ring& ring, const auto& value, auto& read) {
        return compact_trip(ring, value, read);
    });
}
BENCHMARK(BM_NoopTaskCompactRecordsOnOneCore);

// The same records' trips through the rings with their bytes copied instead of built and
// decoded: what of the above is the ring's (reserve, commit, peek, release, each side's
// lock) rather than Cap'n Proto's.
void BM_NoopTaskRecordsWithoutMessagesOnOneCore(benchmark::State& state) {
    PrivateRing jobs, results;
    ringrun::JobSpec job;
    job.kind = ringrun::JobSpec::Kind::task;
    job.task_name = "noop";
    const ringrun::JobResult result;
    const size_t sizes[] = {
        ringrun::ipc::in_place_record_bytes(ringrun::max_message_words(job)),
        ringrun::ipc::in_place_record_bytes(ringrun::max_message_words(result))};
    std::byte bytes[256] = {};
    for (auto _ : state) {
        for (int i = 0; i < 2; ++i) {
            Ring& ring = i == 0 ? jobs.ring : results.ring;
            auto slot = ring.try_reserve(sizes[i]);
            if (!slot) state.SkipWithError("ring full");
            std::memcpy(slot->data, bytes, sizes[i]);
            ring.commit(*slot, ringrun::ipc::kInlineMessage, false);
            auto record = ring.try_peek();
            benchmark::DoNotOptimize(record->data[0]);
            ring.release(*record);
        }
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NoopTaskRecordsWithoutMessagesOnOneCore);

}  // namespace

BENCHMARK_MAIN();
