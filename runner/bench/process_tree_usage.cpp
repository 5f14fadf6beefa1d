// Never allocates: the bench's sampler runs this while the pool forks replacement
// workers (the crash row), and a child forked while another thread holds the
// allocator's lock may find it held for good (so says the sanitizers' allocator).
#include "runner/bench/process_tree_usage.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace ringrun {
namespace {

// Reads path into buf (NUL-terminated); its length, or 0.
size_t read_small_file(const char* path, char* buf, size_t size) {
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    size_t used = 0;
    for (ssize_t n; used + 1 < size && (n = ::read(fd, buf + used, size - 1 - used)) > 0;)
        used += static_cast<size_t>(n);
    ::close(fd);
    buf[used] = '\0';
    return used;
}

// Calls visit(pid) for every live child of every thread of this process.
template <typename Visit>
void for_each_child(Visit visit) {
    const int dir = ::open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return;
    alignas(8) char entries[4096];
    for (long n; (n = syscall(SYS_getdents64, dir, entries, sizeof entries)) > 0;) {
        for (long at = 0; at < n;) {
            const auto* e = reinterpret_cast<const struct dirent64*>(entries + at);
            at += e->d_reclen;
            if (e->d_name[0] == '.') continue;
            char path[320], list[1024];
            std::snprintf(path, sizeof path, "/proc/self/task/%s/children", e->d_name);
            read_small_file(path, list, sizeof list);
            for (char* p = list; *p;) {
                char* end;
                const long child = std::strtol(p, &end, 10);
                if (end == p) break;
                visit(child);
                p = end;
            }
        }
    }
    ::close(dir);
}

// Proportional set size of pid, in bytes (shared pages split among their users, so
// that the segment every worker maps is counted once), or 0 if it is gone.
uint64_t pss_bytes(long pid) {
    char path[64], buf[4096];
    std::snprintf(path, sizeof path, "/proc/%ld/smaps_rollup", pid);
    if (read_small_file(path, buf, sizeof buf) == 0) return 0;
    const char* pss = std::strstr(buf, "\nPss:");
    return pss ? std::strtoull(pss + 5, nullptr, 10) * 1024 : 0;
}

// utime + stime of a live process (every thread), or 0 if it is gone.
double cpu_seconds_of(long pid) {
    char path[64], buf[1024];
    std::snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    if (read_small_file(path, buf, sizeof buf) == 0) return 0;
    // After the command's closing parenthesis: state is field 3, utime 14, stime 15.
    const char* at = std::strrchr(buf, ')');
    unsigned long long utime = 0, stime = 0;
    if (!at || std::sscanf(at + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
                           &stime) != 2)
        return 0;
    return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double seconds_of(const rusage& usage) {
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

}  // namespace

uint64_t memory_of_process_tree() {
    uint64_t total = pss_bytes(getpid());
    for_each_child([&](long child) { total += pss_bytes(child); });
    return total;
}

double cpu_seconds_of_process_tree() {
    rusage self{}, reaped{};
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &reaped);
    double total = seconds_of(self) + seconds_of(reaped);
    for_each_child([&](long child) { total += cpu_seconds_of(child); });
    return total;
}

}  // namespace ringrun
