// Descendants are found through /proc/self/task/*/children (the direct children of each
// thread); a killed child's own children come back as direct children in the next round.
#include "worker/descendants.hpp"

#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "ipc/system_call.hpp"

namespace ringrun {
namespace {

std::vector<pid_t> direct_children() {
    std::vector<pid_t> children;
    DIR* tasks = opendir("/proc/self/task");
    if (!tasks) return children;
    while (struct dirent* task = readdir(tasks)) {
        if (task->d_name[0] == '.') continue;
        std::ifstream list(std::string("/proc/self/task/") + task->d_name + "/children");
        for (long pid; list >> pid;) children.push_back(static_cast<pid_t>(pid));
    }
    closedir(tasks);
    return children;
}

}  // namespace

void adopt_descendants() {
    prctl(PR_SET_CHILD_SUBREAPER, 1);
}

void reap_exited_descendants() {
    while (sys::retry_eintr([] { return waitpid(-1, nullptr, WNOHANG); }) > 0) {
    }
}

void kill_descendants() {
    for (int round = 0; round < 64; ++round) {
        const std::vector<pid_t> children = direct_children();
        if (children.empty()) break;
        for (pid_t child : children) {
            if (getpgid(child) == child) kill(-child, SIGKILL);
            kill(child, SIGKILL);
        }
        for (pid_t child : children) sys::retry_eintr([&] { return waitpid(child, nullptr, 0); });
    }
    reap_exited_descendants();
}

}  // namespace ringrun
