// Joblog, results, output and notes for each finished job.
#include "runner/records/job_reporter.hpp"

#include <cstring>

namespace ringrun {

JobReporter::JobReporter(const JobBuilder& command, OutputPrinter& printer,
                         std::unique_ptr<JoblogWriter> joblog,
                         std::unique_ptr<ResultsWriter> results)
    : command_(command),
      printer_(printer),
      joblog_(std::move(joblog)),
      results_(std::move(results)) {}

bool JobReporter::job_finished(uint64_t seq, const std::vector<std::string>& inputs, JobResult& r) {
    const bool noted = !r.error_text.empty() || r.status == JobStatus::lost ||
                       r.status == JobStatus::signaled || r.status == JobStatus::memory_limit;
    std::string line;
    if (joblog_ || results_ || noted) line = command_.command_line(seq, r.worker_slot, inputs);
    if (joblog_) joblog_->job_finished(seq, r, line);
    if (results_) results_->job_finished(seq, r.worker_slot, inputs, r, line);
    std::string note;
    if (noted) {
        note = "ringrun: job " + std::to_string(seq) + " (" + line + "): ";
        if (!r.error_text.empty())
            note += r.error_text;
        else if (r.status == JobStatus::signaled)
            note += "killed by " + failure_cause(r).substr(std::strlen("signal "));
        else if (r.status == JobStatus::memory_limit)
            note += "failed: it ran out of its memory limit";
        else
            note += status_name(r.status);
        note += '\n';
    }
    return printer_.job_finished(seq, r.worker_slot, inputs, r, note);
}

}  // namespace ringrun
