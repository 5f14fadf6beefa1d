// The in-memory forms of the schema's Job and Result: what the supervisor builds and
// what an executor fills in. They carry exactly the schema's fields, no more, so that
// what a worker runs is always what crossed the ring.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ringrun {

// In the schema's order (schema::Status); memory_limit, added last, is the highest.
enum class JobStatus : uint8_t {
    ok,
    failed,        // non-zero exit code / the task reported failure
    signaled,      // killed by a signal (core_dumped says whether it left a core)
    timeout,       // overran its timeout and was killed
    lost,          // its worker died under it
    error,         // could not be started
    cancelled,     // never started
    memory_limit,  // ran out of its memory limit (--memory-limit, a job file's memory)
};
constexpr JobStatus kLastJobStatus = JobStatus::memory_limit;
const char* status_name(JobStatus status);
// The cause an attempt ended with, as --retry-on and a job file's retry_on name it:
// "exit", "signal", "timeout", "lost", "memory", "start"; "" for ok and cancelled.
const char* cause_name(JobStatus status);
// A bit per cause (cause_bit(status) & mask: status is retried); kAllCauses: every cause.
constexpr uint8_t cause_bit(JobStatus status) {
    return uint8_t(1u << static_cast<unsigned>(status));
}
constexpr uint8_t kAllCauses = 0xff;
// The cause bit named by name (one of cause_name's), or 0 when name is none of them.
uint8_t cause_bit_named(std::string_view name);
// The names cause_bit_named knows, for messages: "exit, signal, timeout, lost, memory, start".
const char* cause_names();

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
    // A command's address-space limit (setrlimit RLIMIT_AS), in bytes; 0: none.
    uint64_t memory_limit = 0;
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
    bool core_dumped = false;  // signaled (or lost): the process left a core dump
};

// Why the attempt ended, in one line for people: "exit code 3", "signal SIGSEGV
// (Segmentation fault), core dumped", "timeout", "memory limit", ...; "" when ok.
std::string failure_cause(const JobResult& result);

// Wall-clock now, in nanoseconds since the epoch (what Result.startNs holds).
int64_t realtime_ns();

// Deletes the files a worker moved a job's output to (a job printed, dropped or retried).
void remove_output_files(const JobResult& result);

}  // namespace ringrun
