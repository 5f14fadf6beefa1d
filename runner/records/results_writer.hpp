// --results: each finished job saved for scripts to read.
//  - DIR: GNU parallel's layout, DIR/1/<input 1>/2/<input 2>/... holding stdout, stderr
//    and seq, plus result.json (status, exit, signal, times, attempts, command). A DIR
//    with replacement strings (out/{#}) is expanded per job instead.
//  - FILE.jsonl: one JSON object per job and line, appended as jobs finish; output that
//    outgrew memory is linked into FILE.jsonl.d/ and named by path.
// Nothing another local user planted is followed or written through (OwnedDirectory,
// open_record_file).
// Must never lose a job's output it was handed, nor write a partial JSON line on purpose.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "runner/records/owned_directory.hpp"
#include "runner/templates/replacement_string.hpp"
#include "worker/job.hpp"

namespace ringrun {

class ResultsWriter {
  public:
    // Throws UsageError when target cannot be created.
    explicit ResultsWriter(const std::string& target);
    ~ResultsWriter();
    ResultsWriter(const ResultsWriter&) = delete;
    ResultsWriter& operator=(const ResultsWriter&) = delete;

    void job_finished(uint64_t seq, uint32_t slot, const std::vector<std::string>& inputs,
                      const JobResult& result, const std::string& command_line);
    // The last n of a job's inputs are {= =} values (templates/perl_expression.hpp): not
    // saved as inputs.
    void set_computed_count(size_t n);

  private:
    std::span<const std::string> real_inputs(const std::vector<std::string>& inputs) const;
    size_t computed_count_ = 0;
    std::string job_directory(uint64_t seq, uint32_t slot,
                              const std::vector<std::string>& inputs) const;
    std::string target_;
    bool jsonl_ = false;
    ReplacementText pattern_;  // DIR with replacement strings
    std::string top_path_;     // DIR, or the part of the pattern before its first {...}
    std::optional<OwnedDirectory> top_;
    std::optional<OwnedDirectory> spill_top_;  // FILE.jsonl.d, once needed
    int jsonl_fd_ = -1;
    std::string line_;
};

// s as a JSON string literal; bytes that are not UTF-8 appear as \u00XX.
std::string json_string(std::string_view s);

}  // namespace ringrun
