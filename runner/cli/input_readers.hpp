// Where job inputs come from: argument lists (:::, and :::: files read whole when there
// is more than one source), crossed into their cartesian product or linked pairwise
// (:::+), enumerated lazily; or the records of one stream (stdin, or a lone -a/::::
// file), read in chunks only when the supervisor asks, so that input is never read
// far ahead of the jobs. Decorators split records into columns (--colsep) and gather
// several records into one job (-n). A source never blocks once the run has started:
// a stream is read only after the event loop saw it readable.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "runner/core/input_source.hpp"

namespace ringrun {

// One ::: or :::: list, whole. linked: pairs element by element with the list before
// it (:::+ / ::::+) instead of crossing with it.
struct InputList {
    std::vector<std::string> values;
    bool linked = false;
};

class ArgumentProduct : public InputSource {
  public:
    // wrap_links: linked lists run as long as the longest, shorter ones starting over
    // (--link); otherwise as long as the shortest (:::+).
    explicit ArgumentProduct(std::vector<InputList> lists, bool wrap_links = false);
    bool next(std::vector<std::string>& inputs) override;
    bool exhausted() const override { return done_; }
    // How many records it gives in all.
    uint64_t size() const;

  private:
    // Linked lists form one group, which advances as one (as long as its shortest list);
    // groups are crossed, the last varying fastest (as GNU parallel).
    struct Group {
        std::vector<size_t> lists;
        size_t length = 0;
        size_t position = 0;
    };
    std::vector<InputList> lists_;
    std::vector<Group> groups_;
    bool done_;
};

class LineStream : public InputSource {
  public:
    // Reads records separated by delimiter from fd (closed at destruction if owned).
    LineStream(int fd, char delimiter = '\n', bool owns_fd = false);
    ~LineStream() override;
    bool next(std::vector<std::string>& inputs) override;
    bool exhausted() const override { return eof_ && offset_ >= buffer_.size(); }
    int fd() const override { return eof_ ? -1 : fd_; }
    void fill() override;
    // Reads (blocking) until one record is complete, and returns it (--header). False
    // at end of input.
    bool next_blocking(std::string& record);

  private:
    int fd_;
    char delimiter_;
    bool owns_fd_;
    std::string buffer_;
    size_t offset_ = 0;
    bool eof_ = false;
};

// --colsep: each input value becomes its columns.
class ColumnSplit : public InputSource {
  public:
    // Throws std::invalid_argument for a separator that is not a valid regex.
    ColumnSplit(std::unique_ptr<InputSource> inner, const std::string& separator);
    ~ColumnSplit() override;
    bool next(std::vector<std::string>& inputs) override;
    bool exhausted() const override { return inner_->exhausted(); }
    int fd() const override { return inner_->fd(); }
    void fill() override { inner_->fill(); }
    void split(const std::string& value, std::vector<std::string>& columns) const;

  private:
    std::unique_ptr<InputSource> inner_;
    std::string literal_;  // a separator with no regex syntax: split on it directly
    struct Regex;          // std::regex, kept out of the header
    std::unique_ptr<Regex> regex_;
    std::vector<std::string> values_;
};

// -n N: N records per job (the last job takes what is left).
class ArgumentBatch : public InputSource {
  public:
    // per_job inputs a job (the last takes what is left); with max_chars, fewer when
    // their lengths and the spaces between them would pass it (-m, -X, --xargs), but
    // never none.
    ArgumentBatch(std::unique_ptr<InputSource> inner, size_t per_job, size_t max_chars = 0);
    bool next(std::vector<std::string>& inputs) override;
    bool exhausted() const override {
        return inner_->exhausted() && gathered_.empty() && carried_.empty();
    }
    int fd() const override { return inner_->fd(); }
    void fill() override { inner_->fill(); }

  private:
    std::unique_ptr<InputSource> inner_;
    size_t per_job_;
    size_t max_chars_;
    size_t gathered_chars_ = 0;
    std::vector<std::string> gathered_;
    std::vector<std::string> record_;
    std::vector<std::string> carried_;  // read, but over the last job's length: the next's
};

// --shuf: every job read first, then handed out in a random order (as GNU parallel).
// inner must give every job at once (read whole: no fd to wait on).
class ShuffledInputs : public InputSource {
  public:
    explicit ShuffledInputs(std::unique_ptr<InputSource> inner);
    bool next(std::vector<std::string>& inputs) override;
    bool exhausted() const override { return next_ == jobs_.size(); }

  private:
    std::vector<std::vector<std::string>> jobs_;
    size_t next_ = 0;
};

// Reads every record of fd (a whole :::: file or stdin among several sources).
std::vector<std::string> read_records(int fd, char delimiter, const std::string& what);

}  // namespace ringrun
