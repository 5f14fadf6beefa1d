// {= perl expression =}: one long-lived perl per run computes every job's values, in
// batches of up to 256 jobs a round trip, so an expression costs microseconds a job, not
// a perl start-up. PerlInputs wraps the run's input source and appends each job's values
// to its inputs (ReplacementText reads them as computed values). The supervisor's thread
// waits for perl while a batch is computed: a perl expression is the user's code, run in
// order, as GNU parallel runs it. Must never leave perl running: it ends at EOF on its
// stdin, and is waited for.
#pragma once

#include <sys/types.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "runner/core/input_source.hpp"
#include "runner/templates/perl_expression.hpp"

namespace ringrun {

class PerlEvaluator {
  public:
    // Starts perl and compiles the expressions; throws UsageError naming the one that
    // does not compile.
    explicit PerlEvaluator(const std::vector<PerlExpression>& expressions);
    ~PerlEvaluator();
    PerlEvaluator(const PerlEvaluator&) = delete;
    PerlEvaluator& operator=(const PerlEvaluator&) = delete;

    // Appends to each job's inputs the value of every expression, in order.
    void evaluate(std::vector<std::vector<std::string>>& jobs);

  private:
    std::string read_line();
    std::string read_bytes(size_t n);
    size_t expression_count_;
    pid_t pid_ = -1;
    int to_perl_ = -1;
    int from_perl_ = -1;
    std::string buffered_;
};

class PerlInputs : public InputSource {
  public:
    PerlInputs(std::unique_ptr<InputSource> inner, std::unique_ptr<PerlEvaluator> perl)
        : inner_(std::move(inner)), perl_(std::move(perl)) {}
    bool next(std::vector<std::string>& inputs) override;
    bool exhausted() const override { return inner_->exhausted() && ready_.empty(); }
    int fd() const override { return inner_->fd(); }
    void fill() override { inner_->fill(); }
    bool available() const override { return !ready_.empty() || inner_->available(); }

  private:
    std::unique_ptr<InputSource> inner_;
    std::unique_ptr<PerlEvaluator> perl_;
    std::deque<std::vector<std::string>> ready_;
    std::vector<std::vector<std::string>> batch_;
};

}  // namespace ringrun
