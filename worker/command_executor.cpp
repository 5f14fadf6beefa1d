// posix_spawn-based command execution with captured output, rusage and timeouts.
#include "worker/command_executor.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "ipc/slot_status.hpp"
#include "ipc/system_call.hpp"
#include "worker/memory_limit.hpp"

extern char** environ;

namespace ringrun {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kSpawnRetryFor{30'000};  // out of processes: how long

struct Pipe {
    int read_end = -1;
    int write_end = -1;
    Pipe() {
        int fds[2];
        sys::checked("pipe2", "command output", [&] { return pipe2(fds, O_CLOEXEC); });
        read_end = fds[0];
        write_end = fds[1];
        fcntl(read_end, F_SETFL, O_NONBLOCK);
    }
    ~Pipe() {
        if (read_end >= 0) ::close(read_end);
        if (write_end >= 0) ::close(write_end);
    }
    void close_write() {
        ::close(write_end);
        write_end = -1;
    }
    void close_read() {
        ::close(read_end);
        read_end = -1;
    }
};

// Reads what is available now. Returns false at EOF or error (the pipe is then closed).
bool read_available(Pipe& pipe, OutputCapture& sink) {
    char buf[65536];
    for (;;) {
        ssize_t n = sys::retry_eintr([&] { return ::read(pipe.read_end, buf, sizeof buf); });
        if (n > 0) {
            sink.append(buf, static_cast<size_t>(n));
            continue;
        }
        if (n < 0 && errno == EAGAIN) return true;
        pipe.close_read();
        return false;
    }
}

// The entries of the worker's environment that every job inherits: all but the numbers
// each job sets itself. Computed once per worker thread: a worker's environment does not
// change while it runs, and copying it for every job cost a string per entry per job.
const std::vector<char*>& inherited_environment() {
    thread_local const std::vector<char*> inherited = [] {
        static constexpr std::string_view kSetPerJob[] = {
            "RINGRUN_SEQ=", "PARALLEL_SEQ=", "RINGRUN_SLOT=", "PARALLEL_JOBSLOT="};
        std::vector<char*> entries;
        for (char** e = environ; *e; ++e) {
            const std::string_view entry(*e);
            bool per_job = false;
            for (auto prefix : kSetPerJob) per_job |= entry.rfind(prefix, 0) == 0;
            if (!per_job) entries.push_back(*e);
        }
        return entries;
    }();
    return inherited;
}

// The child's environment in envp: the inherited one, then the job's numbers (as GNU
// parallel names them, and as ringrun does) and its own additions, which replace
// inherited entries of the same name. added holds the new strings while envp is used.
void job_environment(const JobSpec& job, uint32_t worker_slot, std::vector<std::string>& added,
                     std::vector<char*>& envp) {
    const std::string seq = std::to_string(job.id), slot = std::to_string(worker_slot + 1);
    added = {"RINGRUN_SEQ=" + seq, "PARALLEL_SEQ=" + seq, "RINGRUN_SLOT=" + slot,
             "PARALLEL_JOBSLOT=" + slot};
    for (const auto& [name, value] : job.env) added.push_back(name + "=" + value);
    envp.clear();
    for (char* e : inherited_environment()) {
        const std::string_view entry(e);
        bool overridden = false;
        for (const auto& var : job.env)
            overridden |= entry.size() > var.first.size() && entry[var.first.size()] == '=' &&
                          entry.compare(0, var.first.size(), var.first) == 0;
        if (!overridden) envp.push_back(e);
    }
    for (auto& a : added) envp.push_back(a.data());
    envp.push_back(nullptr);
}

// Resolves a bare command name through PATH once per worker: posix_spawnp would try
// every PATH entry before the right one on every job (an execve each).
std::string resolve_program(const std::string& name) {
    if (name.find('/') != std::string::npos) return name;
    thread_local std::unordered_map<std::string, std::string> cache;
    auto it = cache.find(name);
    if (it != cache.end()) return it->second;
    const char* path = getenv("PATH");
    std::string_view dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
    std::string found;
    while (found.empty()) {
        size_t colon = dirs.find(':');
        std::string dir(dirs.substr(0, colon));
        std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
        struct stat st;
        if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
            access(candidate.c_str(), X_OK) == 0)
            found = candidate;
        if (colon == std::string_view::npos) break;
        dirs.remove_prefix(colon + 1);
    }
    if (found.empty()) return name;  // let posix_spawnp report it
    cache.emplace(name, found);
    return found;
}

int64_t micros(const struct timeval& tv) {
    return int64_t{tv.tv_sec} * 1'000'000 + tv.tv_usec;
}

class SpawnSetup {
  public:
    // out_fd, err_fd: pipes to capture output, or -1 to inherit the worker's.
    SpawnSetup(const JobSpec& job, int out_fd, int err_fd) {
        posix_spawn_file_actions_init(&actions_);
        posix_spawnattr_init(&attr_);
        posix_spawn_file_actions_addopen(&actions_, 0, "/dev/null", O_RDONLY, 0);
        if (out_fd >= 0) posix_spawn_file_actions_adddup2(&actions_, out_fd, 1);
        if (err_fd >= 0) posix_spawn_file_actions_adddup2(&actions_, err_fd, 2);
        if (!job.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions_, job.cwd.c_str());
        sigset_t none, defaults;
        sigemptyset(&none);
        sigemptyset(&defaults);
        for (int sig : {SIGINT, SIGTERM, SIGPIPE, SIGCHLD, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
                        SIGALRM, SIGTSTP, SIGTTIN, SIGTTOU})
            sigaddset(&defaults, sig);
        posix_spawnattr_setsigmask(&attr_, &none);
        posix_spawnattr_setsigdefault(&attr_, &defaults);
        posix_spawnattr_setpgroup(&attr_, 0);  // its own process group: timeouts kill it whole
        posix_spawnattr_setflags(
            &attr_, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    }
    ~SpawnSetup() {
        posix_spawn_file_actions_destroy(&actions_);
        posix_spawnattr_destroy(&attr_);
    }
    const posix_spawn_file_actions_t* actions() const { return &actions_; }
    const posix_spawnattr_t* attr() const { return &attr_; }

  private:
    posix_spawn_file_actions_t actions_;
    posix_spawnattr_t attr_;
};

void describe_spawn_failure(const JobSpec& job, const std::string& program, int error,
                            JobResult& r) {
    r.status = JobStatus::error;
    struct stat st;
    if (!job.cwd.empty() && (stat(job.cwd.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))) {
        r.exit_code = 126;
        r.error_text = "cannot change to directory '" + job.cwd +
                       "': " + std::strerror(errno ? errno : ENOTDIR);
    } else if (error == ENOENT) {
        r.exit_code = 127;
        r.error_text = program + ": command not found";
    } else {
        r.exit_code = 126;
        r.error_text = program + ": " + std::strerror(error);
    }
}

}  // namespace

std::vector<TermStep> default_termseq() {
    using std::chrono::milliseconds;
    return {{SIGTERM, milliseconds(200)},
            {SIGTERM, milliseconds(100)},
            {SIGTERM, milliseconds(50)},
            {SIGKILL, milliseconds(25)}};
}

JobResult run_command(const JobSpec& job, uint32_t worker_slot, const CommandLimits& limits) {
    JobResult r;
    r.id = job.id;
    r.attempt = job.attempt;
    r.worker_slot = worker_slot;
    r.start_ns = realtime_ns();

    std::vector<std::string> args;
    if (job.kind == JobSpec::Kind::shell)
        args = {"/bin/sh", "-c", job.shell_line};
    else
        args = job.argv;
    const bool limited = job.memory_limit != 0 && !args.empty() && !args[0].empty();
    if (limited) args = with_memory_limit(job, std::move(args));
    if (args.empty() || args[0].empty()) {
        r.status = JobStatus::error;
        r.exit_code = 127;
        r.error_text = "empty command";
        r.end_ns = realtime_ns();
        return r;
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_added;
    std::vector<char*> envp;
    job_environment(job, worker_slot, env_added, envp);
    char** env = envp.data();

    const bool captured = limits.output_mode != OutputMode::ungrouped;
    std::optional<Pipe> out, err;
    if (captured) {
        out.emplace();
        err.emplace();
    }
    pid_t pid = -1;
    int rc;
    {
        SpawnSetup setup(job, captured ? out->write_end : -1, captured ? err->write_end : -1);
        const std::string program = job.kind == JobSpec::Kind::shell || limited
                                        ? std::string(argv[0])
                                        : resolve_program(args[0]);
        // Out of processes or memory for a moment (ulimit -u, a fork bomb next door):
        // wait and try again, 5 ms doubling to 1 s, for up to about 30 s. The job's
        // attempt is not charged; its timeout starts when it does.
        auto backoff = std::chrono::milliseconds(5);
        auto waited = std::chrono::milliseconds(0);
        for (;;) {
            rc = posix_spawnp(&pid, program.c_str(), setup.actions(), setup.attr(), argv.data(),
                              env);
            if ((rc != EAGAIN && rc != ENOMEM) || waited >= kSpawnRetryFor) break;
            std::this_thread::sleep_for(backoff);
            waited += backoff;
            backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
        }
        if (rc == 0 && limits.started_ns && job.timeout_ms > 0 &&
            waited > std::chrono::milliseconds(0))
            limits.started_ns->store(ipc::monotonic_ns(), std::memory_order_relaxed);
    }
    // Published first thing: until then, this worker's death would orphan the command.
    if (rc == 0 && limits.running_group)
        limits.running_group->store(pid, std::memory_order_release);
    if (captured) {
        out->close_write();
        err->close_write();
    }
    if (rc != 0) {
        describe_spawn_failure(job, args[0], rc, r);
        if (rc == EAGAIN || rc == ENOMEM)
            r.error_text += " (tried for " + std::to_string(kSpawnRetryFor.count() / 1000) + " s)";
        r.end_ns = realtime_ns();
        return r;
    }

    int pidfd = sys::checked("pidfd_open", args[0],
                             [&] { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); });
    auto capture_settings = [&](int print_fd, const char* stream) {
        OutputCapture::Settings s;
        s.mode = limits.output_mode;
        s.inline_limit = limits.inline_output_limit;
        if (!limits.output_directory.empty())
            s.spill_path = limits.output_directory + "/output." + std::to_string(job.id) + "." +
                           std::to_string(job.attempt) + "." + stream;
        s.print_fd = print_fd;
        s.tag = job.tag;
        s.lock = limits.output_lock;
        if (print_fd == 2) s.tail = limits.stderr_tail;
        return s;
    };
    OutputCapture out_capture(r.out, r.out_file, capture_settings(1, "stdout"));
    OutputCapture err_capture(r.err, r.err_file, capture_settings(2, "stderr"));
    auto drain = [&](std::optional<Pipe>& pipe, OutputCapture& capture) {
        if (pipe && pipe->read_end >= 0) read_available(*pipe, capture);
    };
    const auto started = Clock::now();
    auto deadline = job.timeout_ms ? started + std::chrono::milliseconds(job.timeout_ms)
                                   : Clock::time_point::max();
    size_t term_step = 0;
    bool term_sent = false, kill_sent = false, exited = false;
    while (!exited) {
        struct pollfd fds[3];
        nfds_t n = 0;
        fds[n++] = {pidfd, POLLIN, 0};
        if (out && out->read_end >= 0) fds[n++] = {out->read_end, POLLIN, 0};
        if (err && err->read_end >= 0) fds[n++] = {err->read_end, POLLIN, 0};
        int wait_ms = -1;
        if (deadline != Clock::time_point::max()) {
            auto left =
                std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
            wait_ms = static_cast<int>(std::max<long long>(left, 0));
        }
        int ready = sys::retry_eintr([&] { return ::poll(fds, n, wait_ms); });
        if (ready < 0) throw sys::SystemError("poll", args[0], errno);
        for (nfds_t i = 0; i < n; ++i) {
            if (!fds[i].revents) continue;
            if (fds[i].fd == pidfd)
                exited = true;
            else if (out && fds[i].fd == out->read_end)
                drain(out, out_capture);
            else if (err && fds[i].fd == err->read_end)
                drain(err, err_capture);
        }
        if (!exited && Clock::now() >= deadline) {
            // --termseq: each signal in turn, then SIGKILL after the last wait.
            term_sent = true;
            if (term_step < limits.termseq.size()) {
                const TermStep& step = limits.termseq[term_step++];
                kill(-pid, step.signal);
                kill_sent |= step.signal == SIGKILL;
                deadline = Clock::now() + step.wait;
            } else if (!kill_sent) {
                kill(-pid, SIGKILL);
                kill_sent = true;
                deadline = Clock::time_point::max();
            } else {
                deadline = Clock::time_point::max();
            }
        }
    }
    ::close(pidfd);
    int status = 0;
    struct rusage usage {};
    sys::checked("wait4", args[0], [&] { return wait4(pid, &status, 0, &usage); });
    r.end_ns = realtime_ns();
    if (limits.running_group) limits.running_group->store(0, std::memory_order_release);
    // A timed-out command's group goes whole: a member that ignored the signals must not
    // outlive the leader.
    if (term_sent && !kill_sent) kill(-pid, SIGKILL);
    // The command has exited: take what its pipes hold now, and never wait for a
    // background grandchild that inherited them.
    drain(out, out_capture);
    drain(err, err_capture);
    out_capture.finish();
    err_capture.finish();
    r.out_bytes = out_capture.bytes();

    r.user_cpu_us = micros(usage.ru_utime);
    r.sys_cpu_us = micros(usage.ru_stime);
    r.max_rss_kb = usage.ru_maxrss;
    if (WIFEXITED(status)) {
        r.exit_code = WEXITSTATUS(status);
        r.status = r.exit_code == 0 ? JobStatus::ok : JobStatus::failed;
    } else if (WIFSIGNALED(status)) {
        r.signal = WTERMSIG(status);
        r.core_dumped = WCOREDUMP(status);
        r.status = JobStatus::signaled;
    }
    if (limited && r.status != JobStatus::ok && says_memory_ran_out(r))
        r.status = JobStatus::memory_limit;
    if (term_sent) {
        r.status = JobStatus::timeout;
        r.error_text = "timed out after " + std::to_string(job.timeout_ms) + " ms";
    }
    return r;
}

}  // namespace ringrun
