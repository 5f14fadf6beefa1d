// The "condition" half of the ring's synchronisation: a 32-bit counter in shared memory
// that one side sleeps on (FUTEX_WAIT) and the other bumps and wakes (FUTEX_WAKE).
// We use a bare futex, not pthread_cond_t, because glibc's process-shared condition keeps
// per-waiter state: a waiter SIGKILLed inside pthread_cond_wait can block later signalers.
// A futex word has no such state, so any side may die at any instruction.
// Must never be used with FUTEX_PRIVATE_FLAG: it is shared across processes.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace ringrun::ipc {

// Sleeps while *word == expected, for at most timeout. Returns on a wake, on a value
// change, on timeout or on a signal; callers re-check their condition in all cases.
void futex_wait(std::atomic<uint32_t>& word, uint32_t expected, std::chrono::nanoseconds timeout);

// Wakes every sleeper on word.
void futex_wake_all(std::atomic<uint32_t>& word);

// A pause instruction for spin loops.
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

}  // namespace ringrun::ipc
