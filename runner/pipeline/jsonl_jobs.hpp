// `ringrun --jsonl`: one job per line of stdin, a JSON object decoded with Cap'n Proto's
// JSON codec against the schema's JsonLine (so the schema stays the one definition):
// {"cmd": "line" | ["argv", ...], "id": ..., "env": {...}, "cwd": ..., "timeout": secs,
//  "retries": n} or {"task": ..., "payload": ...}. Lines are streamed. A bad line is
// reported with its line number and counted as a failed job; the other lines run.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "runner/cli/input_readers.hpp"
#include "runner/core/job_builder.hpp"

namespace ringrun {

// Decodes each line of a stream into a job's inputs (or into a rejection).
class JsonlSource : public InputSource {
  public:
    explicit JsonlSource(int fd);
    bool next(std::vector<std::string>& inputs) override;
    bool exhausted() const override { return lines_.exhausted(); }
    int fd() const override { return lines_.fd(); }
    void fill() override { lines_.fill(); }

  private:
    LineStream lines_;
    std::vector<std::string> line_;
    uint64_t line_number_ = 0;
};

// Makes the job a JsonlSource decoded.
class JsonlBuilder : public JobBuilder {
  public:
    void fill_job(uint64_t seq, uint32_t slot, const std::vector<std::string>& inputs,
                  JobSpec& job) const override;
    std::string command_line(uint64_t seq, uint32_t slot,
                             const std::vector<std::string>& inputs) const override;
    bool is_task() const override { return false; }
    uint32_t attempts(const std::vector<std::string>& inputs, uint32_t run_default) const override;
    std::string rejected(const std::vector<std::string>& inputs) const override;
};

// Decodes one line (exposed for tests): the job, or throws std::invalid_argument.
JobSpec decode_json_line(const std::string& line, std::string& id, uint32_t& retries);

}  // namespace ringrun
