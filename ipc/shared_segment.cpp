// Creation, naming, removal and stale clean-up of the run's shared-memory segment.
// Must never remove a segment whose run is still alive.
#include "ipc/shared_segment.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "ipc/system_call.hpp"

namespace ringrun::ipc {
namespace bip = boost::interprocess;

namespace {

std::string new_segment_name() {
    uint64_t random = 0;
    sys::checked("getrandom", "segment name", [&] { return getrandom(&random, sizeof random, 0); });
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s%ld.%016llx", kSegmentPrefix, static_cast<long>(getpid()),
                  static_cast<unsigned long long>(random));
    return buf;
}

bip::mapped_region create_region(const std::string& name, size_t size) {
    bip::permissions owner_only(0600);
    bip::shared_memory_object shm(bip::create_only, name.c_str(), bip::read_write, owner_only);
    try {
        shm.truncate(static_cast<bip::offset_t>(size));
        // Pages of a tmpfs file are found only when first touched: on a full /dev/shm
        // that is a SIGBUS in whichever process touches one. Reserve them all now.
        const int error =
            posix_fallocate(shm.get_mapping_handle().handle, 0, static_cast<off_t>(size));
        if (error == ENOSPC || error == EFBIG)
            throw std::runtime_error(
                "/dev/shm has no room for the run's shared memory (" +
                std::to_string((size + (1 << 20) - 1) >> 20) +
                " MiB needed): free some, or enlarge it (a container's --shm-size)");
        if (error != 0 && error != EOPNOTSUPP && error != EINVAL)
            throw sys::SystemError("posix_fallocate", "/dev/shm" + name, error);
        return bip::mapped_region(shm, bip::read_write, 0, size);
    } catch (...) {
        bip::shared_memory_object::remove(name.c_str());
        throw;
    }
}

}  // namespace

SharedSegment::SharedSegment(std::string name, size_t size)
    : name_(std::move(name)), region_(create_region(name_, size)), owner_pid_(getpid()) {}

SharedSegment SharedSegment::create_for_run(size_t size) {
    return SharedSegment(new_segment_name(), size);
}

SharedSegment::SharedSegment(SharedSegment&& other) noexcept
    : name_(std::move(other.name_)),
      region_(std::move(other.region_)),
      owner_pid_(other.owner_pid_) {
    other.owner_pid_ = -1;
}

SharedSegment::~SharedSegment() {
    if (owner_pid_ == getpid()) bip::shared_memory_object::remove(name_.c_str());
}

int remove_stale_segments() {
    namespace fs = std::filesystem;
    int removed = 0;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/dev/shm", ec)) {
        std::string file = entry.path().filename().string();
        if (file.rfind(kSegmentPrefix, 0) != 0) continue;
        long pid =
            std::strtol(file.c_str() + std::char_traits<char>::length(kSegmentPrefix), nullptr, 10);
        if (pid <= 0) continue;
        if (kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // alive
        if (bip::shared_memory_object::remove(file.c_str())) ++removed;
    }
    return removed;
}

}  // namespace ringrun::ipc
