// The reaper waits, signals blocked, for the SIGTERM the kernel sends it when the
// supervisor dies (PR_SET_PDEATHSIG), then SIGKILLs every published command group.
#include "runner/orphan_reaper.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipc/system_call.hpp"
#include "worker/process_title.hpp"

namespace ringrun {
namespace {

[[noreturn]] void run_reaper(ipc::SlotStatusTable& table, pid_t supervisor) {
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, nullptr);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    if (getppid() == supervisor) {
        set_process_title("ringrun: reaper");
        // Hold nothing the user could wait on (a pipe on stdout) or that the run owns.
        int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null_fd >= 0) {
            dup2(null_fd, STDIN_FILENO);
            dup2(null_fd, STDOUT_FILENO);
        }
        close_range(3, ~0U, 0);
        int sig = 0;
        while (sigwait(&term, &sig) != 0 || sig != SIGTERM) {
        }
    }
    table.kill_command_groups();
    _exit(0);
}

}  // namespace

OrphanReaper::OrphanReaper(ipc::SlotStatusTable& table) {
    const pid_t supervisor = getpid();
    pid_ = sys::checked("fork", "reaper", [] { return fork(); });
    if (pid_ == 0) run_reaper(table, supervisor);
}

OrphanReaper::~OrphanReaper() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    sys::retry_eintr([&] { return waitpid(pid_, nullptr, 0); });
}

}  // namespace ringrun
