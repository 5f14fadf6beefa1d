// The run's shared-memory segment (Boost.Interprocess, POSIX shm): named per run
// ("ringrun.<pid>.<random>"), created exclusively with mode 0600, removed when the
// owning supervisor's object is destroyed. Segments left by dead runs are removed by
// remove_stale_segments(). Never a managed segment: its allocator lock is not robust,
// so nothing here allocates inside the segment.
#pragma once

#include <boost/interprocess/mapped_region.hpp>
#include <boost/interprocess/shared_memory_object.hpp>
#include <string>

namespace ringrun::ipc {

class SharedSegment {
  public:
    // Creates and maps a new zero-filled segment of size bytes.
    static SharedSegment create_for_run(size_t size);

    SharedSegment(SharedSegment&&) noexcept;
    SharedSegment& operator=(SharedSegment&&) = delete;
    ~SharedSegment();  // unmaps and, in the creating process, removes the name

    void* base() const { return region_.get_address(); }
    size_t size() const { return region_.get_size(); }
    const std::string& name() const { return name_; }

    // In a forked child: never remove the name when this object goes away.
    void disown() { owner_pid_ = -1; }

  private:
    SharedSegment(std::string name, size_t size);
    std::string name_;
    boost::interprocess::mapped_region region_;
    long owner_pid_;
};

// Removes segments named by ringrun runs whose process no longer exists.
// Returns how many were removed.
int remove_stale_segments();

// The name prefix all run segments share.
inline constexpr const char* kSegmentPrefix = "ringrun.";

}  // namespace ringrun::ipc
