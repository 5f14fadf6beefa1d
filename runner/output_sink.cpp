// Grouped output: one write sequence per job, stdout then stderr.
#include "runner/output_sink.hpp"

#include <cerrno>
#include <cstring>

#include "ipc/system_call.hpp"

namespace ringrun {

bool GroupedOutput::job_finished(const std::string& description, bool is_task, const JobResult& r) {
    try {
        if (!r.out.empty()) {
            sys::write_all(out_fd_, r.out.data(), r.out.size(), "stdout");
            // A task's output is a value: print one per line.
            if (is_task && r.out.back() != '\n') sys::write_all(out_fd_, "\n", 1, "stdout");
        }
        if (!r.err.empty()) sys::write_all(err_fd_, r.err.data(), r.err.size(), "stderr");
        if (!r.error_text.empty() || r.status == JobStatus::lost ||
            r.status == JobStatus::signaled) {
            std::string line = "ringrun: job " + std::to_string(r.id) + " (" + description + "): ";
            if (!r.error_text.empty())
                line += r.error_text;
            else if (r.status == JobStatus::signaled)
                line += std::string("killed by signal ") + strsignal(r.signal);
            else
                line += status_name(r.status);
            line += '\n';
            sys::write_all(err_fd_, line.data(), line.size(), "stderr");
        }
        return true;
    } catch (const sys::SystemError& e) {
        if (e.error_number() == EPIPE) return false;
        throw;
    }
}

}  // namespace ringrun
