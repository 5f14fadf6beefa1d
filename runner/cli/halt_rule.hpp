// --halt as the supervisor sees it: a StopRule that says, after each job, whether the run
// stops now, and prints GNU parallel's "This job failed:" line with the job's command.
// Must never be made for a policy that is not active (a run without --halt has no rule).
#pragma once

#include "runner/cli/halt_policy.hpp"
#include "runner/core/front_end_hooks.hpp"
#include "runner/core/job_builder.hpp"

namespace ringrun {

class HaltRule : public StopRule {
  public:
    HaltRule(HaltPolicy policy, const JobBuilder& command) : policy_(policy), command_(command) {}
    std::optional<StopOrder> after_job(const JobTally& tally, uint64_t seq, uint32_t slot,
                                       const std::vector<std::string>& inputs,
                                       const JobResult& result) override;

  private:
    HaltPolicy policy_;
    const JobBuilder& command_;
};

}  // namespace ringrun
