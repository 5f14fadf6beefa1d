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

// Where the supervisor hands each job that has its final outcome: the command line's
// JobReporter, or the library's Pool (which completes the job's future).
class JobSink {
  public:
    virtual ~JobSink() = default;
    // Returns false when the sink can take no more (stdout closed): the run stops.
    virtual bool job_finished(uint64_t seq, const std::vector<std::string>& inputs,
                              JobResult& result) = 0;
    // A job that will not run (--resume skipped it, or it was cancelled before it started).
    virtual bool job_skipped(uint64_t seq, const std::vector<std::string>& inputs) = 0;
    // The supervisor has gathered a batch of results, or is about to sleep: a sink that
    // buffers hands over what it holds.
    virtual void flush() {}
    // The run is over.
    virtual bool finish() = 0;
    // Whether finished output waits to be written beyond these limits (--keep-order):
    // no new job starts until it has drained.
    virtual bool backlogged(size_t /*max_bytes*/, size_t /*max_jobs*/) const { return false; }
    virtual std::string command_line(uint64_t seq, uint32_t slot,
                                     const std::vector<std::string>& inputs) const = 0;
};

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
    bool backlogged(size_t max_bytes, size_t max_jobs) const override {
        return printer_.held_bytes() > max_bytes || printer_.held_jobs() > max_jobs;
    }
    std::string command_line(uint64_t seq, uint32_t slot,
                             const std::vector<std::string>& inputs) const override {
        return command_.command_line(seq, slot, inputs);
    }

  private:
    const JobBuilder& command_;
    OutputPrinter& printer_;
    std::unique_ptr<JoblogWriter> joblog_;
    std::unique_ptr<ResultsWriter> results_;
};

}  // namespace ringrun
