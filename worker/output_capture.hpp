// Where one output stream (stdout or stderr) of a command goes while it runs, per
// --group (the default), --line-buffer and --ungroup:
//  - grouped: kept in memory up to a limit, then moved to a file in the run's directory
//    and appended there, so a job printing 1 GiB costs no more memory than one printing
//    1 MiB; the supervisor prints it whole when the job ends;
//  - line-buffered: whole lines written at once to the run's own stdout or stderr
//    under the run's output lock (with the job's tag in front), as soon as they arrive.
// Must never hold more than the limit in memory, and never write a partial line in
// line-buffered mode except a job's last, unterminated one: a line longer than the
// limit waits in the file and goes out whole, under the lock.
#pragma once

#include <cstdint>
#include <string>

#include "ipc/robust_mutex.hpp"
#include "ipc/stderr_tail.hpp"

namespace ringrun {

enum class OutputMode { grouped, line_buffer, ungrouped };

class OutputCapture {
  public:
    struct Settings {
        OutputMode mode = OutputMode::grouped;
        size_t inline_limit = 1 << 20;  // grouped: bytes kept in memory before a file
        std::string spill_path;         // grouped: the file used past the limit
        int print_fd = 1;               // line-buffered: where lines go
        std::string tag;                // line-buffered: put before each line
        ipc::RobustMutex* lock = nullptr;
        ipc::StderrTail* tail = nullptr;  // also given every byte, if set
    };
    OutputCapture(std::string& memory, std::string& file, Settings settings);
    ~OutputCapture();
    OutputCapture(const OutputCapture&) = delete;
    OutputCapture& operator=(const OutputCapture&) = delete;

    void append(const char* data, size_t size);
    // The stream ended: flush what is pending (line-buffered) and close the file.
    void finish();
    uint64_t bytes() const { return bytes_; }

  private:
    void write_lines(bool everything);
    void hold_partial_line();
    void write_held_line();
    std::string& memory_;  // grouped: the inline output; line-buffered: the pending line
    std::string& file_;    // set to the spill path once used
    Settings settings_;
    int fd_ = -1;
    uint64_t bytes_ = 0;
    uint64_t held_bytes_ = 0;  // line-buffered: the start of a long line, in the file
};

}  // namespace ringrun
