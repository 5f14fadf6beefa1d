// CPU-bound hog processes for `ringrun bench --contention N`: the shared machine (a
// laptop compiling, a CI neighbour) made on purpose, so its figures can be seen. Each hog
// spins in a child process that dies with its parent; the destructor kills and reaps
// them all. Must never leave a hog behind, whatever way the bench ends.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <vector>

namespace ringrun {

class CpuHogs {
  public:
    explicit CpuHogs(size_t count);
    ~CpuHogs();
    CpuHogs(const CpuHogs&) = delete;
    CpuHogs& operator=(const CpuHogs&) = delete;

    size_t count() const { return pids_.size(); }

  private:
    std::vector<pid_t> pids_;
};

}  // namespace ringrun
