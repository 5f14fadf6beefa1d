// Framing of Cap'n Proto messages into ring records and spill files.
// Must never let a record or a spill path from the other side escape bounds checks.
#include "ipc/message_record.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "ipc/system_call.hpp"

namespace ringrun::ipc {
namespace {

constexpr size_t kMaxSpillBytes = size_t{1} << 32;

using Segments = kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>>;

size_t table_bytes(Segments segments) {
    return (segments.size() / 2 + 1) * sizeof(capnp::word);
}

// Writes the standard segment table (count - 1, then each segment's size in words).
void write_table(Segments segments, std::byte* dst) {
    std::memset(dst, 0, table_bytes(segments));
    auto* table = reinterpret_cast<uint32_t*>(dst);
    table[0] = static_cast<uint32_t>(segments.size() - 1);
    for (size_t i = 0; i < segments.size(); ++i)
        table[i + 1] = static_cast<uint32_t>(segments[i].size());
}

// Writes the standard framing (segment table + segments) of message into dst.
void write_framed(capnp::MessageBuilder& message, std::byte* dst) {
    auto segments = message.getSegmentsForOutput();
    write_table(segments, dst);
    std::byte* p = dst + table_bytes(segments);
    for (auto segment : segments) {
        std::memcpy(p, segment.begin(), segment.size() * sizeof(capnp::word));
        p += segment.size() * sizeof(capnp::word);
    }
}

size_t framed_size(capnp::MessageBuilder& message) {
    return capnp::computeSerializedSizeInWords(message) * sizeof(capnp::word);
}

// Writes the message to a new spill file; returns its path, or "" with *error set.
std::string spill_to_file(capnp::MessageBuilder& message, SpillDirectory& spill,
                          std::string* error) {
    std::string path = spill.next_file_path();
    try {
        int fd = sys::checked("open", path, [&] {
            return ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        });
        auto segments = message.getSegmentsForOutput();
        std::string table(table_bytes(segments), '\0');
        write_table(segments, reinterpret_cast<std::byte*>(table.data()));
        try {
            sys::write_all(fd, table.data(), table.size(), path);
            for (auto segment : segments)
                sys::write_all(fd, segment.begin(), segment.size() * sizeof(capnp::word), path);
        } catch (...) {
            ::close(fd);
            ::unlink(path.c_str());
            throw;
        }
        ::close(fd);
        return path;
    } catch (const std::exception& e) {
        if (error) *error = e.what();
        return {};
    }
}

template <typename Reserve>
PushOutcome push_with(Ring& ring, capnp::MessageBuilder& message, SpillDirectory& spill,
                      std::string* error, bool notify, Reserve reserve) {
    size_t bytes = framed_size(message);
    if (bytes <= ring.max_payload()) {
        auto slot = reserve(bytes);
        if (!slot) return PushOutcome::ring_full;
        write_framed(message, slot->data);
        ring.commit(*slot, kInlineMessage, notify);
        return PushOutcome::pushed;
    }
    std::string path = spill_to_file(message, spill, error);
    if (path.empty()) return PushOutcome::failed;
    auto slot = reserve(path.size());
    if (!slot) {
        ::unlink(path.c_str());
        return PushOutcome::ring_full;
    }
    std::memcpy(slot->data, path.data(), path.size());
    ring.commit(*slot, kSpilledMessage, notify);
    return PushOutcome::pushed;
}

}  // namespace

std::string SpillDirectory::next_file_path() {
    return path_ + "/spill." + std::to_string(getpid()) + "." + std::to_string(++counter_);
}

bool SpillDirectory::owns(const std::string& file) const {
    if (file.size() <= path_.size() + 1 || file.compare(0, path_.size(), path_) != 0 ||
        file[path_.size()] != '/')
        return false;
    return file.find('/', path_.size() + 1) == std::string::npos &&
           file.compare(path_.size() + 1, 6, "spill.") == 0;
}

PushOutcome try_push_message(Ring& ring, capnp::MessageBuilder& message, SpillDirectory& spill,
                             std::string* error, bool notify) {
    return push_with(ring, message, spill, error, notify,
                     [&](size_t n) { return ring.try_reserve(n); });
}

PushOutcome push_message_wait(Ring& ring, capnp::MessageBuilder& message, SpillDirectory& spill,
                              std::chrono::nanoseconds timeout, std::chrono::nanoseconds spin,
                              std::string* error) {
    return push_with(ring, message, spill, error, true,
                     [&](size_t n) { return ring.reserve_wait(n, timeout, spin); });
}

std::string load_spilled(const ReadSlot& slot, const SpillDirectory& spill, SpilledWords& out) {
    std::string path(reinterpret_cast<const char*>(slot.data), slot.size);
    if (!spill.owns(path)) return "spill record names a file outside the run's spill directory";
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return "spill file " + path + ": " + std::strerror(errno);
    struct stat st;
    std::string error;
    if (fstat(fd, &st) != 0) {
        error = "spill file " + path + ": " + std::strerror(errno);
    } else if (st.st_size <= 0 || static_cast<size_t>(st.st_size) > kMaxSpillBytes ||
               st.st_size % sizeof(capnp::word) != 0) {
        error = "spill file " + path + " has a bad size";
    } else {
        out.words =
            kj::heapArray<capnp::word>(static_cast<size_t>(st.st_size) / sizeof(capnp::word));
        auto* p = reinterpret_cast<char*>(out.words.begin());
        size_t left = static_cast<size_t>(st.st_size);
        while (left > 0 && error.empty()) {
            ssize_t n = sys::retry_eintr([&] { return ::read(fd, p, left); });
            if (n <= 0) error = "spill file " + path + ": short read";
            p += n > 0 ? n : 0;
            left -= n > 0 ? static_cast<size_t>(n) : 0;
        }
    }
    ::close(fd);
    ::unlink(path.c_str());
    return error;
}

}  // namespace ringrun::ipc
