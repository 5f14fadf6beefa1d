// Creation and removal of run directories.
#include "ipc/run_directory.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "ipc/system_call.hpp"

namespace ringrun::ipc {
namespace {

constexpr const char* kPrefix = "ringrun.";

std::string temp_root() {
    const char* tmp = std::getenv("TMPDIR");
    return tmp && *tmp ? tmp : "/tmp";
}

}  // namespace

RunDirectory::RunDirectory() : owner_pid_(getpid()) {
    std::string pattern = temp_root() + "/" + kPrefix + std::to_string(getpid()) + ".XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (!mkdtemp(buf.data())) throw sys::SystemError("mkdtemp", pattern, errno);
    path_ = buf.data();
}

RunDirectory::~RunDirectory() {
    if (owner_pid_ != getpid()) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

int remove_stale_run_directories() {
    namespace fs = std::filesystem;
    int removed = 0;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(temp_root(), ec)) {
        std::string name = entry.path().filename().string();
        if (name.rfind(kPrefix, 0) != 0 || !entry.is_directory(ec)) continue;
        char* end = nullptr;
        long pid = std::strtol(name.c_str() + std::char_traits<char>::length(kPrefix), &end, 10);
        if (pid <= 0 || !end || *end != '.' || std::char_traits<char>::length(end) != 7) continue;
        if (kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
        struct stat st;
        if (lstat(entry.path().c_str(), &st) != 0 || st.st_uid != getuid()) continue;
        fs::remove_all(entry.path(), ec);
        if (!ec) ++removed;
    }
    return removed;
}

}  // namespace ringrun::ipc
