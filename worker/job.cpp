// Status names and the wall clock that results are stamped with.
#include "worker/job.hpp"

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
    }
    return "unknown";
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
