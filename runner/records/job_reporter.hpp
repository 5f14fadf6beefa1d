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

#include "runner/core/job_builder.hpp"
#include "runner/core/job_sink.hpp"
#include "runner/records/joblog.hpp"
#include "runner/records/output_sink.hpp"
#include "runner/records/results_writer.hpp"

namespace ringrun {

class JobReporter : public JobSink {
  public:
    JobReporter(const JobBuilder& command, OutputPrinter& printer,
                std::unique_ptr<JoblogWriter> joblog = nullptr,
                std::unique_ptr<ResultsWriter> results = nullptr);

    // Returns false when stdout can no longer be written.
    bool job_finished(uint64_t seq, const std::vector<std::string>& inputs,
                      JobResult& result) override;
    bool job_skipped(uint64_t seq, const std::vector<std::string>&) override {
        return printer_.job_skipped(seq);
    }
    // The run is over: print what --keep-order still holds.
    bool finish() override { return printer_.flush_all(); }
    bool backlogged() const override {
        return printer_.held_bytes() > kMaxHeldOutputBytes || printer_.held_jobs() > kMaxHeldJobs;
    }

  private:
    // --keep-order: no new job starts while this much finished output waits to be printed.
    static constexpr size_t kMaxHeldOutputBytes = 256u << 20;
    static constexpr size_t kMaxHeldJobs = 65536;
    const JobBuilder& command_;
    OutputPrinter& printer_;
    std::unique_ptr<JoblogWriter> joblog_;
    std::unique_ptr<ResultsWriter> results_;
};

}  // namespace ringrun
