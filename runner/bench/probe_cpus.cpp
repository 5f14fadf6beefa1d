// Affinity reads and writes for the machine probes, through pthread's per-thread calls.
// Must never touch the affinity of a thread but the caller's.
#include "runner/bench/probe_cpus.hpp"

#include <pthread.h>
#include <sched.h>

namespace ringrun {

std::vector<int> first_allowed_cpus(size_t count) {
    std::vector<int> cpus;
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return cpus;
    for (int cpu = 0; cpu < CPU_SETSIZE && cpus.size() < count; ++cpu)
        if (CPU_ISSET(cpu, &allowed)) cpus.push_back(cpu);
    return cpus;
}

bool pin_calling_thread_to(int cpu) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    return pthread_setaffinity_np(pthread_self(), sizeof one, &one) == 0;
}

}  // namespace ringrun
