// Implementation of the test helpers. Every child started here is reaped.
#include "tests/support/test_support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace ringrun::testing {

ChildGuard::ChildGuard(const std::function<int()>& fn) {
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        int code = 99;
        try {
            code = fn();
        } catch (...) {
        }
        _exit(code);
    }
}

ChildGuard::~ChildGuard() {
    if (pid_ > 0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }
}

int ChildGuard::wait_exit(std::chrono::milliseconds timeout) {
    int status = -1;
    bool done = poll_until([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, timeout);
    if (!done) return -1;
    pid_ = -1;
    return status;
}

bool poll_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (condition()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

ProgramResult run_program(const ProgramRun& run) {
    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
        throw std::runtime_error("pipe2 failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    std::vector<std::string> env_storage;
    for (char** e = environ; *e; ++e) env_storage.emplace_back(*e);
    env_storage.insert(env_storage.end(), run.env.begin(), run.env.end());
    std::vector<char*> envp, argv;
    for (auto& e : env_storage) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::vector<std::string> args = run.argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    close(in[0]);
    close(out[1]);
    close(err[1]);
    if (rc != 0) throw std::runtime_error("cannot spawn " + run.argv[0] + ": " + std::strerror(rc));

    ProgramResult result;
    size_t written = 0;
    int in_fd = in[1];
    fcntl(in_fd, F_SETFL, O_NONBLOCK);
    if (run.input.empty()) {
        close(in_fd);
        in_fd = -1;
    }
    int fds[2] = {out[0], err[0]};
    std::string* sinks[2] = {&result.out, &result.err};
    auto deadline = std::chrono::steady_clock::now() + run.timeout;
    while (fds[0] >= 0 || fds[1] >= 0) {
        struct pollfd p[3];
        int n = 0;
        for (int i = 0; i < 2; ++i)
            if (fds[i] >= 0) p[n++] = {fds[i], POLLIN, 0};
        if (in_fd >= 0) p[n++] = {in_fd, POLLOUT, 0};
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            result.timed_out = true;
            kill(pid, SIGKILL);
            break;
        }
        if (poll(p, static_cast<nfds_t>(n), static_cast<int>(left.count())) < 0 && errno != EINTR)
            break;
        for (int k = 0; k < n; ++k) {
            if (!p[k].revents) continue;
            if (p[k].fd == in_fd) {
                ssize_t w = write(in_fd, run.input.data() + written, run.input.size() - written);
                if (w > 0) written += static_cast<size_t>(w);
                if (w < 0 || written == run.input.size()) {
                    close(in_fd);
                    in_fd = -1;
                }
                continue;
            }
            for (int i = 0; i < 2; ++i) {
                if (p[k].fd != fds[i]) continue;
                char buf[65536];
                ssize_t r = read(fds[i], buf, sizeof buf);
                if (r > 0)
                    sinks[i]->append(buf, static_cast<size_t>(r));
                else {
                    close(fds[i]);
                    fds[i] = -1;
                }
            }
        }
    }
    for (int fd : fds)
        if (fd >= 0) close(fd);
    if (in_fd >= 0) close(in_fd);
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFEXITED(status))
        result.exit_code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        result.exit_code = 128 + WTERMSIG(status);
    return result;
}

std::vector<std::string> lines_of(const std::string& text, bool sorted) {
    std::vector<std::string> lines;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    if (sorted) std::sort(lines.begin(), lines.end());
    return lines;
}

namespace {

// The whole of a small /proc file, or "" if the process is gone (reads of a process that
// exits meanwhile fail with ESRCH).
std::string read_proc(pid_t pid, const char* file) {
    std::string path = "/proc/" + std::to_string(pid) + "/" + file;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return {};
    std::string text;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
    ::close(fd);
    return n < 0 ? std::string() : text;
}

// The state letter and parent pid from /proc/PID/stat ('\0' if there is no such process).
std::pair<char, pid_t> stat_of(pid_t pid) {
    std::string text = read_proc(pid, "stat");
    size_t close = text.rfind(')');
    if (close == std::string::npos || close + 4 >= text.size()) return {'\0', 0};
    std::istringstream rest(text.substr(close + 2));
    char state = '\0';
    pid_t ppid = 0;
    rest >> state >> ppid;
    return {state, ppid};
}

std::vector<pid_t> all_pids() {
    std::vector<pid_t> pids;
    std::error_code ignored;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ignored)) {
        const std::string name = entry.path().filename();
        if (!name.empty() && std::all_of(name.begin(), name.end(), ::isdigit))
            pids.push_back(static_cast<pid_t>(std::stol(name)));
    }
    return pids;
}

}  // namespace

std::vector<pid_t> children_of(pid_t parent) {
    std::vector<pid_t> children;
    for (pid_t pid : all_pids()) {
        auto [state, ppid] = stat_of(pid);
        if (ppid == parent && state != 'Z' && state != '\0') children.push_back(pid);
    }
    return children;
}

std::string command_line_of(pid_t pid) {
    std::string text = read_proc(pid, "cmdline");
    for (char& c : text)
        if (c == '\0') c = ' ';
    while (!text.empty() && text.back() == ' ') text.pop_back();
    return text;
}

bool process_gone(pid_t pid) {
    char state = stat_of(pid).first;
    return state == '\0' || state == 'Z' || state == 'X';
}

std::vector<pid_t> processes_matching(const std::string& text) {
    std::vector<pid_t> found;
    for (pid_t pid : all_pids())
        if (pid != getpid() && !process_gone(pid) &&
            command_line_of(pid).find(text) != std::string::npos)
            found.push_back(pid);
    return found;
}

ScratchDir::ScratchDir() {
    static int next = 0;
    dir_ = (std::filesystem::temp_directory_path() /
            ("ringrun-test-" + std::to_string(getpid()) + "-" + std::to_string(next++)))
               .string();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
}

ScratchDir::~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
}

std::string ScratchDir::path(const std::string& name) const {
    return name.empty() ? dir_ : dir_ + "/" + name;
}

std::string ScratchDir::write(const std::string& name, const std::string& content) const {
    std::ofstream(path(name), std::ios::binary) << content;
    return path(name);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

cpu_set_t allowed_cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        throw std::runtime_error(std::string("sched_getaffinity: ") + std::strerror(errno));
    return set;
}

OneCpuConfinement::OneCpuConfinement() : before_(allowed_cpus()) {
    int first = 0;
    while (first < CPU_SETSIZE && !CPU_ISSET(first, &before_)) ++first;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    if (sched_setaffinity(0, sizeof one, &one) != 0)
        throw std::runtime_error(std::string("sched_setaffinity: ") + std::strerror(errno));
}

OneCpuConfinement::~OneCpuConfinement() {
    sched_setaffinity(0, sizeof before_, &before_);
}

}  // namespace ringrun::testing
