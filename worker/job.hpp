// The in-memory forms of the schema's Job and Result: what the supervisor builds and
// what an executor fills in. They carry exactly the schema's fields, no more, so that
// what a worker runs is always what crossed the ring.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ringrun {

enum class JobStatus : uint8_t { ok, failed, signaled, timeout, lost, error, cancelled };
const char* status_name(JobStatus status);

struct JobSpec {
    enum class Kind : uint8_t { argv, shell, task };
    uint64_t id = 0;
    uint32_t attempt = 1;
    Kind kind = Kind::argv;
    std::vector<std::string> argv;  // Kind::argv
    std::string shell_line;         // Kind::shell
    std::string task_name;          // Kind::task
    std::string payload;            // Kind::task
    std::vector<std::pair<std::string, std::string>> env;
    std::string cwd;
    uint64_t timeout_ms = 0;
    std::string tag;  // --line-buffer: prefix of each output line
};

// What every result says of its job, whatever carries it: a JobResult, or a task's
// result written straight into a compact record (worker/task_record.hpp).
struct ResultHead {
    uint64_t id = 0;
    uint32_t attempt = 0;
    uint32_t worker_slot = 0;
    JobStatus status = JobStatus::ok;
    int32_t exit_code = 0;
    int32_t signal = 0;
    int64_t start_ns = 0;
    int64_t end_ns = 0;
};

struct JobResult : ResultHead {
    int64_t user_cpu_us = 0;
    int64_t sys_cpu_us = 0;
    int64_t max_rss_kb = 0;
    std::string out;
    std::string err;
    std::string error_text;
    std::string out_file;  // set when stdout outgrew the inline limit: all of it is there
    std::string err_file;
    uint64_t out_bytes = 0;
};

// Wall-clock now, in nanoseconds since the epoch (what Result.startNs holds).
int64_t realtime_ns();

// Deletes the files a worker moved a job's output to (a job printed, dropped or retried).
void remove_output_files(const JobResult& result);

}  // namespace ringrun
