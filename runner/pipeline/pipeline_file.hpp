// A pipeline job file (TOML, parsed with toml++) read into plain structs, with the
// source position of everything an error may need to point at. Reading checks the
// file's shape (known keys, types, values); what spans jobs (needs, cycles,
// placeholders, resources) is checked by pipeline_plan. Must never run anything, and
// must report every error it finds, not only the first.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "worker/job.hpp"

namespace ringrun {

struct SourcePos {
    uint32_t line = 0;
    uint32_t column = 0;
};

// Errors as the user sees them: "FILE:LINE:COL: what is wrong", in file order.
class PipelineErrors {
  public:
    explicit PipelineErrors(std::string path) : path_(std::move(path)) {}
    void add(SourcePos at, const std::string& message);
    bool empty() const { return errors_.empty(); }
    size_t size() const { return errors_.size(); }
    // Sorted by position, one per line.
    std::vector<std::string> lines() const;
    const std::string& path() const { return path_; }

  private:
    std::string path_;
    std::vector<std::pair<SourcePos, std::string>> errors_;
};

// One key of a job's `each`: the values it fans out over.
struct EachAxis {
    std::string key;
    std::vector<std::string> values;
    SourcePos at;
};

struct PipelineJob {
    std::string name;
    SourcePos at;
    // What to run: a shell command line, an argv list, or an in-process task.
    enum class Kind { shell, argv, task } kind = Kind::shell;
    std::string line;               // shell
    std::vector<std::string> argv;  // argv
    std::string task, payload;      // task
    SourcePos cmd_at;
    std::vector<EachAxis> each;
    std::vector<std::pair<std::string, SourcePos>> needs;
    std::optional<uint32_t> retries;
    std::optional<uint8_t> retry_causes;  // retry_on; none: the run's
    std::optional<uint64_t> timeout_ms;
    uint64_t memory_limit = 0;  // memory: bytes of address space; 0: the run's
    std::vector<std::pair<std::string, std::string>> env;
    std::string cwd;
    std::optional<uint32_t> limit;
    std::map<std::string, std::pair<uint32_t, SourcePos>> resources;
    std::optional<std::string> backend;
};

struct PipelineRunDefaults {
    std::optional<size_t> jobs;
    uint32_t retries = 1;
    uint64_t timeout_ms = 0;
    uint8_t retry_causes = kAllCauses;  // retry_on
    uint64_t memory_limit = 0;          // memory: bytes of address space; 0: none
    std::string backend = "processes";
    std::optional<std::string> joblog;
    std::map<std::string, uint32_t> resources;  // pools
};

struct PipelineFile {
    PipelineRunDefaults run;
    std::vector<PipelineJob> jobs;  // in file order
};

// Reads path; errors go to errors (the result is then incomplete).
PipelineFile read_pipeline_file(const std::string& path, PipelineErrors& errors);

// The closest of candidates to word (edit distance at most 2, and less than its length),
// or "".
std::string closest_name(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace ringrun
