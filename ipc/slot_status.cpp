// The slot status table lives in an anonymous MAP_SHARED mapping: forked workers and the
// reaper see the same memory; threads see it as ordinary memory.
#include "ipc/slot_status.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <time.h>

#include <new>

#include "ipc/system_call.hpp"

namespace ringrun::ipc {

size_t SlotStatusTable::bytes() const {
    return sizeof(SlotStatus) * (slots_ + 1) + sizeof(RobustMutex);
}

SlotStatusTable::SlotStatusTable(size_t slots) : slots_(slots) {
    void* mem = mmap(nullptr, bytes(), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) throw sys::SystemError("mmap", "slot status table", errno);
    table_ = static_cast<SlotStatus*>(mem);
    for (size_t i = 0; i < slots; ++i) new (&table_[i]) SlotStatus{};
    output_lock_ = reinterpret_cast<RobustMutex*>(&table_[slots + 1]);
    output_lock_->init();
}

SlotStatusTable::~SlotStatusTable() {
    munmap(table_, bytes());
}

void SlotStatusTable::kill_command_group(size_t slot) {
    int32_t group = table_[slot].command_group.exchange(0);
    if (group > 0) kill(-group, SIGKILL);
}

void SlotStatusTable::kill_command_groups() {
    for (size_t slot = 0; slot < slots_; ++slot) kill_command_group(slot);
}

int64_t monotonic_ns() {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace ringrun::ipc
