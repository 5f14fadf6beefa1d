// Status names and the wall clock that results are stamped with.
#include "worker/job.hpp"

#include <string.h>
#include <time.h>
#include <unistd.h>

namespace ringrun {

const char* status_name(JobStatus status) {
    switch (status) {
        case JobStatus::ok:
            return "ok";
        case JobStatus::failed:
            return "failed";
        case JobStatus::signaled:
            return "signaled";
        case JobStatus::timeout:
            return "timeout";
        case JobStatus::lost:
            return "lost";
        case JobStatus::error:
            return "error";
        case JobStatus::cancelled:
            return "cancelled";
        case JobStatus::memory_limit:
            return "memory_limit";
    }
    return "unknown";
}

const char* cause_name(JobStatus status) {
    switch (status) {
        case JobStatus::failed:
            return "exit";
        case JobStatus::signaled:
            return "signal";
        case JobStatus::timeout:
            return "timeout";
        case JobStatus::lost:
            return "lost";
        case JobStatus::error:
            return "start";
        case JobStatus::memory_limit:
            return "memory";
        case JobStatus::ok:
        case JobStatus::cancelled:
            break;
    }
    return "";
}

uint8_t cause_bit_named(std::string_view name) {
    for (JobStatus status : {JobStatus::failed, JobStatus::signaled, JobStatus::timeout,
                             JobStatus::lost, JobStatus::memory_limit, JobStatus::error})
        if (name == cause_name(status)) return cause_bit(status);
    return 0;
}

const char* cause_names() {
    return "exit, signal, timeout, lost, memory, start";
}

std::string failure_cause(const JobResult& r) {
    auto with_signal = [&](std::string text) {
        if (r.signal > 0) {
            const char* abbrev = sigabbrev_np(r.signal);
            text +=
                std::string(" SIG") + (abbrev ? abbrev : "?") + " (" + strsignal(r.signal) + ")";
        }
        if (r.core_dumped) text += ", core dumped";
        return text;
    };
    switch (r.status) {
        case JobStatus::ok:
        case JobStatus::cancelled:
            return "";
        case JobStatus::failed:
            return "exit code " + std::to_string(r.exit_code);
        case JobStatus::signaled:
            return with_signal("signal");
        case JobStatus::timeout:
            return "timeout";
        case JobStatus::lost:
            return r.signal > 0 ? with_signal("lost with its worker, killed by")
                                : "lost with its worker";
        case JobStatus::error:
            return "could not start";
        case JobStatus::memory_limit:
            return "memory limit";
    }
    return "";
}

int64_t realtime_ns() {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

void remove_output_files(const JobResult& result) {
    for (const std::string* file : {&result.out_file, &result.err_file})
        if (!file->empty()) ::unlink(file->c_str());
}

}  // namespace ringrun
