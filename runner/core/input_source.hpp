// What the supervisor reads jobs from, as it sees it: the command line's argument lists
// and streams (cli/input_readers.hpp), a job file's ready instances, the library's queue.
// Must never block once the run has started: a stream is read only after the event loop
// saw it readable.
#pragma once

#include <string>
#include <vector>

#include "worker/job.hpp"

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
    // A job made from inputs has its final outcome (after its retries). Sources whose
    // jobs depend on each other (pipelines) release or skip what waits for it.
    virtual void job_finished(const std::vector<std::string>& /*inputs*/,
                              const JobResult& /*result*/) {}
    // Whether the source's owner asked to cancel every job read but not yet handed to a
    // worker (the library's Pool::cancel_pending); asking again needs a new request.
    virtual bool take_cancel_request() { return false; }
    // Cheap and exact enough for spinning: whether next() would give a job now. Sources
    // that are only read after fd() polls readable need not say.
    virtual bool available() const { return false; }
    // The supervisor is about to sleep (true; it re-checks available() after) or has
    // woken: a source that knows can skip waking it through fd() while it is awake.
    virtual void set_consumer_sleeping(bool /*sleeping*/) {}
};

}  // namespace ringrun
