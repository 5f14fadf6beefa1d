// Hogs are forked before any pool exists (no lock of another thread is held across the
// fork) and do nothing but spin: no allocation, no output.
#include "runner/bench/cpu_hogs.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipc/system_call.hpp"

namespace ringrun {

CpuHogs::CpuHogs(size_t count) {
    const pid_t parent = getpid();
    for (size_t i = 0; i < count; ++i) {
        const pid_t pid = sys::checked("fork", "cpu hog", [] { return fork(); });
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != parent) _exit(0);  // the parent died before the prctl
            volatile unsigned long spins = 0;
            for (;;) spins = spins + 1;
        }
        pids_.push_back(pid);
    }
}

CpuHogs::~CpuHogs() {
    for (pid_t pid : pids_) kill(pid, SIGKILL);
    for (pid_t pid : pids_) sys::retry_eintr([&] { return waitpid(pid, nullptr, 0); });
}

}  // namespace ringrun
