// Per-job memory limits: a command under `ulimit -v`, a task under a raised-then-restored
// RLIMIT_AS, and the words by which a program says an allocation failed.
#include "worker/memory_limit.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>

namespace ringrun {
namespace {

// This process's address space now, in bytes (VmSize), or 0 if it cannot be read.
uint64_t address_space_bytes() {
    std::ifstream statm("/proc/self/statm");
    uint64_t pages = 0;
    if (!(statm >> pages)) return 0;
    return pages * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace

// The command run under a shell that sets its address-space limit first (ulimit -v, which
// is setrlimit(RLIMIT_AS)): the limit holds from its first instruction, which a prlimit
// after posix_spawn could not promise. An argv stays an argv ("$@"), never re-parsed.
std::vector<std::string> with_memory_limit(const JobSpec& job, std::vector<std::string> args) {
    const std::string limit = "ulimit -v " +
                              std::to_string(std::max<uint64_t>(job.memory_limit / 1024, 1)) +
                              " || exit 126\n";
    if (job.kind == JobSpec::Kind::shell) return {"/bin/sh", "-c", limit + job.shell_line};
    std::vector<std::string> wrapped = {"/bin/sh", "-c", limit + "exec \"$@\"", "ringrun"};
    wrapped.insert(wrapped.end(), std::make_move_iterator(args.begin()),
                   std::make_move_iterator(args.end()));
    return wrapped;
}

// Whether a failed command under a memory limit says it ran out of memory: an allocation
// past RLIMIT_AS fails (ENOMEM) rather than killing, so the program's own last words are
// all there is. The messages of libc (strerror(ENOMEM)), C++, Python, Perl, bash, Node
// and glibc's malloc. Only captured output is looked at (stderr's last 64 KiB).
bool says_memory_ran_out(const JobResult& r) {
    std::string tail = r.err.size() > 65536 ? r.err.substr(r.err.size() - 65536) : r.err;
    if (!r.err_file.empty()) {
        int fd = ::open(r.err_file.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            struct stat st {};
            if (fstat(fd, &st) == 0) {
                tail.resize(static_cast<size_t>(std::min<off_t>(st.st_size, 65536)));
                ssize_t n =
                    pread(fd, tail.data(), tail.size(), std::max<off_t>(st.st_size - 65536, 0));
                tail.resize(n > 0 ? static_cast<size_t>(n) : 0);
            }
            ::close(fd);
        }
    }
    for (const char* words : {"Cannot allocate memory", "cannot allocate memory", "MemoryError",
                              "bad_alloc", "out of memory", "Out of memory", "memory exhausted",
                              "cannot allocate", "Allocation failed"})
        if (tail.find(words) != std::string::npos) return true;
    return false;
}

TaskMemoryLimit::TaskMemoryLimit(uint64_t bytes) {
    if (bytes == 0 || getrlimit(RLIMIT_AS, &old_) != 0) return;
    const uint64_t now = address_space_bytes();
    if (now == 0) return;
    struct rlimit limit = old_;
    limit.rlim_cur = std::min<uint64_t>(now + bytes, old_.rlim_max);
    set_ = setrlimit(RLIMIT_AS, &limit) == 0;
}

TaskMemoryLimit::~TaskMemoryLimit() {
    if (set_) setrlimit(RLIMIT_AS, &old_);
}

}  // namespace ringrun
