// --halt's decision after each job, and its message on stderr.
#include "runner/cli/halt_rule.hpp"

#include <unistd.h>

namespace ringrun {

std::optional<StopOrder> HaltRule::after_job(const JobTally& tally, uint64_t seq, uint32_t slot,
                                             const std::vector<std::string>& inputs,
                                             const JobResult& result) {
    if (!policy_.triggered(tally.failed, tally.succeeded, tally.total)) return std::nullopt;
    const int exit = result.signal ? 128 + result.signal : result.exit_code ? result.exit_code : 1;
    StopOrder order;
    order.exit_code = policy_.exit_code(exit, tally.failed, tally.done(), tally.total);
    order.kill_running = policy_.when() == HaltPolicy::When::now;
    std::string line = std::string("ringrun: This job ") + policy_.verb() + ":\n" +
                       command_.command_line(seq, slot, inputs) + "\n";
    if (!order.kill_running && tally.running > 0)
        line += "ringrun: Starting no more jobs. Waiting for " + std::to_string(tally.running) +
                " jobs to finish.\n";
    (void)!::write(2, line.data(), line.size());
    return order;
}

}  // namespace ringrun
