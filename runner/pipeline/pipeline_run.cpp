// Pipeline instances through the supervisor.
#include "runner/pipeline/pipeline_run.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <deque>
#include <map>
#include <sstream>
#include <unordered_map>

#include "ipc/run_directory.hpp"
#include "ipc/shared_segment.hpp"
#include "ipc/system_call.hpp"
#include "runner/cli/cli_options.hpp"
#include "runner/cli/halt_rule.hpp"
#include "runner/core/supervisor.hpp"
#include "runner/records/job_reporter.hpp"
#include "runner/records/record_file.hpp"

namespace ringrun {
namespace {

// FNV-1a: a stable hash of what an instance runs, so that --resume reruns an instance
// whose command changed.
std::string command_hash(const PipelineInstance& instance) {
    uint64_t h = 1469598103934665603ull;
    auto mix = [&](const std::string& s) {
        for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
        h = (h ^ 0xff) * 1099511628211ull;
    };
    mix(instance.command_line);
    mix(instance.spec.cwd);
    for (const auto& [name, value] : instance.spec.env) mix(name + "=" + value);
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    return hex;
}

size_t instance_of(const std::vector<std::string>& inputs) {
    size_t index = 0;
    std::from_chars(inputs[0].data(), inputs[0].data() + inputs[0].size(), index);
    return index;
}

std::map<std::string, int> signed_pools(const std::map<std::string, uint32_t>& pools) {
    std::map<std::string, int> out;
    for (const auto& [name, n] : pools) out[name] = static_cast<int>(n);
    return out;
}

class PipelineBuilder : public JobBuilder {
  public:
    PipelineBuilder(const PipelineFile& file, const PipelinePlan& plan) : file_(file), plan_(plan) {
        all_tasks_ = std::all_of(file.jobs.begin(), file.jobs.end(), [](const PipelineJob& j) {
            return j.kind == PipelineJob::Kind::task;
        });
    }
    void fill_job(uint64_t seq, uint32_t, const std::vector<std::string>& inputs,
                  JobSpec& job) const override {
        job = plan_.instances[instance_of(inputs)].spec;
        job.id = seq;
        job.attempt = 1;
    }
    std::string command_line(uint64_t, uint32_t,
                             const std::vector<std::string>& inputs) const override {
        return plan_.instances[instance_of(inputs)].command_line;
    }
    bool is_task() const override { return all_tasks_; }
    bool runs_on_threads(const std::vector<std::string>& inputs) const override {
        const PipelineJob& job = file_.jobs[plan_.instances[instance_of(inputs)].job];
        return job.backend.value_or(file_.run.backend) == "threads";
    }
    uint32_t attempts(const std::vector<std::string>& inputs, uint32_t) const override {
        const PipelineJob& job = file_.jobs[plan_.instances[instance_of(inputs)].job];
        return job.retries.value_or(file_.run.retries);
    }
    bool retries_cause(const std::vector<std::string>& inputs, JobStatus status) const override {
        const PipelineJob& job = file_.jobs[plan_.instances[instance_of(inputs)].job];
        return (job.retry_causes.value_or(file_.run.retry_causes) & cause_bit(status)) != 0;
    }

  private:
    const PipelineFile& file_;
    const PipelinePlan& plan_;
    bool all_tasks_;
};

class PipelineSource : public InputSource {
  public:
    PipelineSource(const PipelineFile& file, const PipelinePlan& plan, const std::string& state,
                   bool resume)
        : file_(file),
          plan_(plan),
          waiting_on_(plan.instances.size()),
          state_(plan.instances.size(), State::waiting),
          ready_(file.jobs.size()),
          running_(file.jobs.size(), 0),
          pool_left_(signed_pools(file.run.resources)) {
        state_fd_ = open_record_file(state, resume ? RecordFileMode::append : RecordFileMode::fresh,
                                     "the state file");
        std::map<std::string, std::string> succeeded;  // id -> command hash, from the state
        if (resume) {
            std::istringstream in(read_record_file(state_fd_));
            for (std::string line; std::getline(in, line);) {
                auto tab = line.find('\t');
                if (tab == std::string::npos || line.compare(tab + 1, 3, "ok\t") != 0) continue;
                succeeded[line.substr(0, tab)] = line.substr(line.rfind('\t') + 1);
            }
        }
        for (size_t i = 0; i < plan.instances.size(); ++i) {
            const PipelineInstance& instance = plan.instances[i];
            auto it = succeeded.find(instance.id);
            if (it != succeeded.end() && it->second == command_hash(instance)) {
                state_[i] = State::done;  // succeeded in an earlier run, unchanged since
                ++settled_;
                ++resumed_;
            }
        }
        for (size_t i = 0; i < plan.instances.size(); ++i) {
            if (state_[i] != State::waiting) continue;
            for (size_t need : plan.instances[i].needs)
                if (state_[need] != State::done) ++waiting_on_[i];
            if (waiting_on_[i] == 0) make_ready(i);
        }
    }
    ~PipelineSource() override { ::close(state_fd_); }

    bool next(std::vector<std::string>& inputs) override {
        for (size_t j = 0; j < ready_.size(); ++j) {
            if (ready_[j].empty() || !fits(j)) continue;
            const size_t i = ready_[j].front();
            ready_[j].pop_front();
            state_[i] = State::handed_out;
            ++handed_out_;
            take(j, +1);
            inputs.assign(1, std::to_string(i));
            return true;
        }
        return false;
    }
    bool exhausted() const override { return handed_out_ + settled_ == plan_.instances.size(); }

    void job_finished(const std::vector<std::string>& inputs, const JobResult& result) override {
        const size_t i = instance_of(inputs);
        const PipelineInstance& instance = plan_.instances[i];
        take(instance.job, -1);
        --handed_out_;
        ++settled_;
        const bool ok = result.status == JobStatus::ok;
        state_[i] = ok ? State::done : State::failed;
        record(instance, status_name(result.status), result);
        if (ok) {
            for (size_t d : instance.needed_by)
                if (state_[d] == State::waiting && --waiting_on_[d] == 0) make_ready(d);
            return;
        }
        skip_dependents(i);
    }

    uint64_t skipped() const { return skipped_; }
    uint64_t resumed() const { return resumed_; }

  private:
    enum class State : uint8_t { waiting, ready, handed_out, done, failed, skipped };

    void make_ready(size_t i) {
        state_[i] = State::ready;
        ready_[plan_.instances[i].job].push_back(i);
    }

    // Whether one more instance of job j may start: its limit and its resource claims.
    bool fits(size_t j) const {
        const PipelineJob& job = file_.jobs[j];
        if (job.limit && running_[j] >= *job.limit) return false;
        for (const auto& [pool, claim] : job.resources)
            if (pool_left_.at(pool) < static_cast<int>(claim.first)) return false;
        return true;
    }
    void take(size_t j, int sign) {
        running_[j] += sign;
        for (const auto& [pool, claim] : file_.jobs[j].resources)
            pool_left_[pool] -= sign * static_cast<int>(claim.first);
    }

    void skip_dependents(size_t failed) {
        std::vector<size_t> stack(plan_.instances[failed].needed_by);
        while (!stack.empty()) {
            size_t d = stack.back();
            stack.pop_back();
            if (state_[d] != State::waiting && state_[d] != State::ready) continue;
            if (state_[d] == State::ready) {
                auto& queue = ready_[plan_.instances[d].job];
                queue.erase(std::find(queue.begin(), queue.end(), d));
            }
            state_[d] = State::skipped;
            ++settled_;
            ++skipped_;
            std::string line = "ringrun: skipped " + plan_.instances[d].id + ": it needs " +
                               plan_.instances[failed].id + ", which failed\n";
            (void)!::write(2, line.data(), line.size());
            record(plan_.instances[d], "skipped", JobResult{});
            for (size_t dd : plan_.instances[d].needed_by) stack.push_back(dd);
        }
    }

    void record(const PipelineInstance& instance, const char* status, const JobResult& r) {
        std::string line = instance.id + "\t" + status + "\t" + std::to_string(r.exit_code) + "\t" +
                           std::to_string(r.signal) + "\t" + std::to_string(r.start_ns) + "\t" +
                           std::to_string(r.end_ns) + "\t" + command_hash(instance) + "\n";
        write_row(state_fd_, line, "the state file");
    }

    const PipelineFile& file_;
    const PipelinePlan& plan_;
    std::vector<uint32_t> waiting_on_;  // needs not yet succeeded
    std::vector<State> state_;
    std::vector<std::deque<size_t>> ready_;  // per job, in plan order
    std::vector<uint32_t> running_;          // handed out, per job
    std::map<std::string, int> pool_left_;
    size_t handed_out_ = 0, settled_ = 0;
    uint64_t skipped_ = 0, resumed_ = 0;
    int state_fd_ = -1;
};

}  // namespace

std::string pipeline_state_path(const std::string& job_file) {
    return job_file + ".state";
}

int run_pipeline(const PipelineFile& file, PipelinePlan plan, const PipelineCliOptions& cli) {
    // Backends asked for by the jobs in the plan: one, or both (then the run has process
    // workers and as many thread workers, and each job goes to its kind).
    bool wants_processes = false, wants_threads = false;
    for (const auto& instance : plan.instances) {
        const PipelineJob& job = file.jobs[instance.job];
        (job.backend.value_or(file.run.backend) == "threads" ? wants_threads : wants_processes) =
            true;
    }
    ipc::remove_stale_segments();
    ipc::remove_stale_run_directories();

    PipelineBuilder builder(file, plan);
    PipelineSource source(file, plan, pipeline_state_path(cli.file), cli.resume);
    OutputOptions output;
    output.values_are_task_output = builder.is_task();
    OutputPrinter printer(output);
    std::unique_ptr<JoblogWriter> joblog;
    if (file.run.joblog) joblog = std::make_unique<JoblogWriter>(*file.run.joblog, cli.resume);
    JobReporter report(builder, printer, std::move(joblog));

    SupervisorOptions options;
    const size_t wanted = cli.jobs.value_or(file.run.jobs.value_or(cpu_count()));
    options.workers = std::clamp<size_t>(plan.instances.size(), 1, wanted);
    options.backend = wants_threads && !wants_processes ? Backend::threads : Backend::processes;
    if (wants_threads && wants_processes) options.thread_slots = options.workers;
    options.retries = file.run.retries;
    options.timeout_ms = file.run.timeout_ms;
    options.stats = cli.stats;
    FrontEndHooks hooks;
    std::optional<HaltRule> halt;
    if (cli.halt.active()) hooks.stop_rule = &halt.emplace(cli.halt, builder);
    Supervisor supervisor(std::move(options), builder, source, report, std::move(hooks));
    int code = supervisor.run();
    if (source.resumed() > 0) {
        std::string line = "ringrun: " + std::to_string(source.resumed()) +
                           " instances had succeeded in an earlier run (--resume)\n";
        (void)!::write(2, line.data(), line.size());
    }
    // Skipped instances count as failed, except under --halt, whose status is GNU
    // parallel's (the failing job's own status for fail=1).
    if (code < kExitMaxFailed && !cli.halt.active())
        code = static_cast<int>(std::min<uint64_t>(code + source.skipped(), kExitMaxFailed));
    return code;
}

}  // namespace ringrun
