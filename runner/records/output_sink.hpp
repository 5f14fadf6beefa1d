// Where finished jobs' output goes: printed whole (never interleaved with another job's),
// in input order with --keep-order, each line prefixed with --tag / --tagstring; and a
// one-line note on stderr for a job that could not run, was killed or was lost. Output a
// worker moved to a file (it outgrew memory) is copied from there in chunks, so a job
// that printed 1 GiB passes through in bounded memory. With --line-buffer/--ungroup the
// workers printed already: only the notes are left. A closed stdout is reported to the
// caller, never a crash (SIGPIPE is ignored).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runner/core/job_builder.hpp"
#include "runner/templates/replacement_string.hpp"
#include "worker/job.hpp"
#include "worker/output_capture.hpp"

namespace ringrun {

struct OutputOptions {
    OutputMode mode = OutputMode::grouped;
    bool keep_order = false;
    std::optional<ReplacementText> tag;   // --tag is "{}" joined by spaces; --tagstring
    bool values_are_task_output = false;  // a task's output is a value: one per line
    bool print_stdout = true;             // false with --results (as GNU parallel)
    const JobBuilder* verbose = nullptr;  // -v: each job's command line before its output
    int out_fd = 1;
    int err_fd = 2;
};

class OutputPrinter {
  public:
    explicit OutputPrinter(OutputOptions options) : options_(std::move(options)) {}

    // Takes the job's output (its files are deleted once printed). Returns false when
    // output can no longer be written (stdout closed). note: a line for stderr, or "".
    bool job_finished(uint64_t seq, uint32_t slot, const std::vector<std::string>& inputs,
                      JobResult& result, const std::string& note);
    // A job that will never finish in this run (--resume skipped it, or the run
    // stopped): --keep-order must not wait for it.
    bool job_skipped(uint64_t seq);
    // Prints whatever --keep-order still holds (the run is over).
    bool flush_all();
    size_t held_bytes() const { return held_bytes_; }
    size_t held_jobs() const { return held_.size(); }

  private:
    struct Held {
        std::string tag;
        std::string command_line;  // -v
        JobResult result;
        std::string note;
        bool skipped = false;
    };
    bool print(Held& held);
    bool print_next_in_order();
    void write_stream(int fd, const std::string& text, const std::string& file,
                      const std::string& tag, bool end_with_newline);

    OutputOptions options_;
    std::map<uint64_t, Held> held_;  // --keep-order: finished, waiting for earlier ones
    uint64_t next_in_order_ = 1;
    size_t held_bytes_ = 0;
    bool closed_ = false;
};

}  // namespace ringrun
