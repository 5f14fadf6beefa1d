// Where job inputs come from: the arguments after ::: (several ::: lists give their
// cartesian product, enumerated lazily), or lines of a stream (stdin), read in chunks
// only when the supervisor asks, so that input is never read far ahead of the jobs.
// A source never blocks: a stream is read only after the event loop saw it readable.
#pragma once

#include <string>
#include <vector>

namespace ringrun {

class InputSource {
  public:
    virtual ~InputSource() = default;
    // Produces the next job's inputs if one is available now.
    virtual bool next(std::vector<std::string>& inputs) = 0;
    virtual bool exhausted() const = 0;
    // A file descriptor to wait on before calling fill(), or -1 if none is needed.
    virtual int fd() const { return -1; }
    // Reads one chunk from fd(); called when it is readable (or cannot be polled).
    virtual void fill() {}
};

class ArgumentProduct : public InputSource {
  public:
    explicit ArgumentProduct(std::vector<std::vector<std::string>> lists);
    bool next(std::vector<std::string>& inputs) override;
    bool exhausted() const override { return done_; }

  private:
    std::vector<std::vector<std::string>> lists_;
    std::vector<size_t> position_;
    bool done_;
};

class LineStream : public InputSource {
  public:
    explicit LineStream(int fd, char delimiter = '\n');
    bool next(std::vector<std::string>& inputs) override;
    bool exhausted() const override { return eof_ && offset_ >= buffer_.size(); }
    int fd() const override { return eof_ ? -1 : fd_; }
    void fill() override;

  private:
    int fd_;
    char delimiter_;
    std::string buffer_;
    size_t offset_ = 0;
    bool eof_ = false;
};

}  // namespace ringrun
