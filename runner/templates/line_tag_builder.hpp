// --line-buffer with --tag or --tagstring: a JobBuilder that gives each job the tag its
// worker prints before every line, around the builder that makes the job itself.
// Must never change the job otherwise: every other question goes to the inner builder.
#pragma once

#include "runner/core/job_builder.hpp"
#include "runner/templates/replacement_string.hpp"

namespace ringrun {

class LineTagBuilder : public JobBuilder {
  public:
    LineTagBuilder(const JobBuilder& inner, ReplacementText tag)
        : inner_(inner), tag_(std::move(tag)) {}
    void fill_job(uint64_t seq, uint32_t slot, const std::vector<std::string>& inputs,
                  JobSpec& job) const override {
        inner_.fill_job(seq, slot, inputs, job);
        job.tag.clear();
        tag_.expand(seq, slot, inputs, false, job.tag);
        job.tag += '\t';
    }
    std::string command_line(uint64_t seq, uint32_t slot,
                             const std::vector<std::string>& inputs) const override {
        return inner_.command_line(seq, slot, inputs);
    }
    // No plain_task: a tagged job needs its JobSpec.
    bool is_task() const override { return inner_.is_task(); }
    uint32_t attempts(const std::vector<std::string>& inputs, uint32_t run_default) const override {
        return inner_.attempts(inputs, run_default);
    }
    bool retries_cause(const std::vector<std::string>& inputs, JobStatus status) const override {
        return inner_.retries_cause(inputs, status);
    }
    bool runs_on_threads(const std::vector<std::string>& inputs) const override {
        return inner_.runs_on_threads(inputs);
    }
    std::string rejected(const std::vector<std::string>& inputs) const override {
        return inner_.rejected(inputs);
    }

  private:
    const JobBuilder& inner_;
    ReplacementText tag_;
};

}  // namespace ringrun
