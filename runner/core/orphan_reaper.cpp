// The reaper waits, signals blocked, for the SIGTERM the kernel sends it when the
// supervisor dies (PR_SET_PDEATHSIG), then SIGKILLs every published command group, and
// every process of the run whose group was not published yet (it carries the run's
// mark in its environment).
#include "runner/core/orphan_reaper.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "ipc/system_call.hpp"
#include "worker/process_title.hpp"

namespace ringrun {
namespace {

// Whether pid's environment holds mark ("RINGRUN_RUN=...").
bool carries_mark(pid_t pid, const std::string& mark) {
    std::string path = "/proc/" + std::to_string(pid) + "/environ";
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    std::string env;
    char buf[8192];
    ssize_t n;
    while ((n = sys::retry_eintr([&] { return ::read(fd, buf, sizeof buf); })) > 0)
        env.append(buf, static_cast<size_t>(n));
    ::close(fd);
    size_t at = 0;
    while (at < env.size()) {
        size_t end = env.find('\0', at);
        if (end == std::string::npos) end = env.size();
        if (env.compare(at, end - at, mark) == 0) return true;
        at = end + 1;
    }
    return false;
}

// Kills every process (and the group it leads) that carries the run's mark: a command
// its worker started but had not published yet when the supervisor died.
void kill_marked_processes(const std::string& mark) {
    DIR* proc = opendir("/proc");
    if (!proc) return;
    while (struct dirent* entry = readdir(proc)) {
        char* end = nullptr;
        long pid = std::strtol(entry->d_name, &end, 10);
        if (pid <= 1 || *end != '\0' || pid == getpid()) continue;
        if (!carries_mark(static_cast<pid_t>(pid), mark)) continue;
        if (getpgid(static_cast<pid_t>(pid)) == pid) kill(-static_cast<pid_t>(pid), SIGKILL);
        kill(static_cast<pid_t>(pid), SIGKILL);
    }
    closedir(proc);
}

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
    const char* mark = getenv(kRunMarkVariable);
    if (mark) kill_marked_processes(std::string(kRunMarkVariable) + "=" + mark);
    _exit(0);
}

}  // namespace

OrphanReaper::OrphanReaper(ipc::SlotStatusTable& table) {
    const pid_t supervisor = getpid();
    // Every worker and command inherits the mark (set before any of them exists).
    std::string mark = std::to_string(supervisor) + "." + std::to_string(ipc::monotonic_ns());
    setenv(kRunMarkVariable, mark.c_str(), 1);
    pid_ = sys::checked("fork", "reaper", [] { return fork(); });
    if (pid_ == 0) run_reaper(table, supervisor);
}

OrphanReaper::~OrphanReaper() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    sys::retry_eintr([&] { return waitpid(pid_, nullptr, 0); });
}

}  // namespace ringrun
