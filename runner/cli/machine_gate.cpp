// The machine's available memory and load average, against --memfree and --load.
#include "runner/cli/machine_gate.hpp"

#include <cstdio>
#include <cstdlib>

namespace ringrun {
namespace {

// The machine's available memory (MemAvailable), in bytes.
uint64_t available_memory() {
    FILE* f = std::fopen("/proc/meminfo", "re");
    if (!f) return UINT64_MAX;
    char line[256];
    unsigned long kb = 0;
    bool found = false;
    while (!found && std::fgets(line, sizeof line, f))
        found = std::sscanf(line, "MemAvailable: %lu kB", &kb) == 1;
    std::fclose(f);
    return found ? uint64_t{kb} * 1024 : UINT64_MAX;
}

}  // namespace

bool MachineGate::open() {
    const auto now = std::chrono::steady_clock::now();
    if (now - checked_ < kRecheckEvery) return open_;
    checked_ = now;
    open_ = true;
    if (min_free_bytes_ > 0 && available_memory() < min_free_bytes_) open_ = false;
    double load[1];
    if (max_load_ > 0 && getloadavg(load, 1) == 1 && load[0] >= max_load_) open_ = false;
    return open_;
}

}  // namespace ringrun
