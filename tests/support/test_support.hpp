// Helpers every test uses: guarded child processes (killed and reaped on scope exit),
// polling with a deadline instead of sleeping, and running a program with captured
// output under a deadline. A test must never hang CI: see also watchdog_main.cpp.
#pragma once

#include <sched.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace ringrun::testing {

// A forked child running fn; SIGKILLed and reaped when the guard goes out of scope.
class ChildGuard {
  public:
    explicit ChildGuard(const std::function<int()>& fn);
    ~ChildGuard();
    ChildGuard(const ChildGuard&) = delete;
    ChildGuard& operator=(const ChildGuard&) = delete;
    pid_t pid() const { return pid_; }
    // Waits up to timeout for the child to exit; returns its wait status, or -1.
    int wait_exit(std::chrono::milliseconds timeout);

  private:
    pid_t pid_ = -1;
};

// Polls condition every millisecond until it is true or timeout passes.
bool poll_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

struct ProgramResult {
    int exit_code = -1;  // 128 + signal if killed by one
    std::string out;
    std::string err;
    bool timed_out = false;
};

struct ProgramRun {
    std::vector<std::string> argv;
    std::string input;                         // written to its stdin, then closed
    std::chrono::milliseconds timeout{60000};  // then SIGKILLed and reported as timed_out
    std::vector<std::string> env;              // extra NAME=VALUE entries
};

ProgramResult run_program(const ProgramRun& run);
inline ProgramResult run_program(std::vector<std::string> argv, std::string input = {}) {
    ProgramRun run;
    run.argv = std::move(argv);
    run.input = std::move(input);
    return run_program(run);
}

// Processes, read from /proc: the children of parent; the first word of a process's
// command line (its title, for ringrun's workers); whether it is gone (no such process,
// or a zombie: it has exited).
std::vector<pid_t> children_of(pid_t parent);
std::string command_line_of(pid_t pid);
bool process_gone(pid_t pid);
// Every process whose command line contains text.
std::vector<pid_t> processes_matching(const std::string& text);

// Lines of text, without the trailing empty one; sorted when asked.
std::vector<std::string> lines_of(const std::string& text, bool sorted = false);

// A fresh directory under the temp root, removed with everything in it on scope exit.
class ScratchDir {
  public:
    ScratchDir();
    ~ScratchDir();
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    // The path of name in it ("" for the directory itself).
    std::string path(const std::string& name) const;
    // Writes content to name; returns its path.
    std::string write(const std::string& name, const std::string& content) const;

  private:
    std::string dir_;
};

// A whole file ("" if it cannot be read).
std::string read_file(const std::string& path);

// The CPUs the calling thread may run on.
cpu_set_t allowed_cpus();

// Confines the calling thread to the first of its allowed CPUs while it lives; the
// thread's CPUs are restored on scope exit.
class OneCpuConfinement {
  public:
    OneCpuConfinement();
    ~OneCpuConfinement();
    OneCpuConfinement(const OneCpuConfinement&) = delete;
    OneCpuConfinement& operator=(const OneCpuConfinement&) = delete;

  private:
    cpu_set_t before_;
};

}  // namespace ringrun::testing
