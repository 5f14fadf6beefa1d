// Everything that happens to a finished job after the supervisor has it: its line in the
// --joblog, its --results, its output (via the OutputPrinter) and a note on stderr when it
// could not run, was killed or was lost. The joblog is written first: it is the run's
// record, and must hold a job before anything else can fail.
// Must never be called twice for one job.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "runner/job_builder.hpp"
#include "runner/joblog.hpp"
#include "runner/output_sink.hpp"
#include "runner/results_writer.hpp"

namespace ringrun {

class JobReporter {
  public:
    JobReporter(const JobBuilder& command, OutputPrinter& printer,
                std::unique_ptr<JoblogWriter> joblog = nullptr,
                std::unique_ptr<ResultsWriter> results = nullptr);

    // Returns false when stdout can no longer be written.
    bool job_finished(uint64_t seq, const std::vector<std::string>& inputs, JobResult& result);
    // A job this run will not run (--resume skipped it).
    bool job_skipped(uint64_t seq) { return printer_.job_skipped(seq); }
    // The run is over: print what --keep-order still holds.
    bool finish() { return printer_.flush_all(); }
    const OutputPrinter& printer() const { return printer_; }
    std::string command_line(uint64_t seq, uint32_t slot,
                             const std::vector<std::string>& inputs) const {
        return command_.command_line(seq, slot, inputs);
    }

  private:
    const JobBuilder& command_;
    OutputPrinter& printer_;
    std::unique_ptr<JoblogWriter> joblog_;
    std::unique_ptr<ResultsWriter> results_;
};

}  // namespace ringrun
