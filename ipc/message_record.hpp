// Cap'n Proto messages in ring records. A message goes into the ring in the standard
// framing (segment table, then segments), and is read back in place with
// FlatArrayMessageReader under traversal limits. A message larger than the ring's biggest
// record travels through a spill file in the run's private temp dir; its record holds only
// the file's path. Garbage in a record is an error value, never a crash and never a throw
// out of this file.
#pragma once

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <chrono>
#include <cstring>
#include <exception>
#include <string>

#include "ipc/ring.hpp"

namespace ringrun::ipc {

// kSkippedRecord: a record whose in-place message did not fit; readers step over it.
// kCompactRecord: no message, but a task's job or result in the fixed layout of
// worker/task_record.hpp, which this layer carries without reading.
enum RecordFlags : uint16_t {
    kInlineMessage = 1,
    kSpilledMessage = 2,
    kSkippedRecord = 3,
    kCompactRecord = 4
};

// Where oversized messages are written. Names are unique across processes (pid + counter).
class SpillDirectory {
  public:
    explicit SpillDirectory(std::string path) : path_(std::move(path)) {}
    const std::string& path() const { return path_; }
    std::string next_file_path();
    // True if file is a path this directory could have produced (no escaping it).
    bool owns(const std::string& file) const;

  private:
    std::string path_;
    uint64_t counter_ = 0;
};

// A zeroed first segment reused by every message a loop builds, so a small message
// allocates nothing (MallocMessageBuilder re-zeroes what it used); a message estimated
// to be larger gets a builder whose first segment fits it, so it stays single-segment.
class MessageScratch {
  public:
    explicit MessageScratch(size_t words = 1024) : words_(kj::heapArray<capnp::word>(words)) {
        std::memset(words_.begin(), 0, words_.size() * sizeof(capnp::word));
    }
    template <typename Build>
    auto build(size_t max_message_words, Build&& build) {
        if (max_message_words <= words_.size()) {
            capnp::MallocMessageBuilder message(words_);
            return build(message);
        }
        capnp::MallocMessageBuilder message(static_cast<unsigned>(max_message_words));
        return build(message);
    }

  private:
    kj::Array<capnp::word> words_;
};

enum class PushOutcome { pushed, ring_full, failed };

// Non-blocking (the supervisor): ring_full leaves the ring untouched. notify=false leaves
// waking the consumer to the caller's ring.notify_consumer() after a batch.
PushOutcome try_push_message(Ring& ring, capnp::MessageBuilder& message, SpillDirectory& spill,
                             std::string* error, bool notify = true);
// Waits up to timeout for room (a worker).
PushOutcome push_message_wait(Ring& ring, capnp::MessageBuilder& message, SpillDirectory& spill,
                              std::chrono::nanoseconds timeout, std::chrono::nanoseconds spin,
                              std::string* error);

// Bytes of a record that holds, framed, any message of at most max_words words.
constexpr size_t in_place_record_bytes(size_t max_words) {
    return (max_words + 1) * sizeof(capnp::word);
}

// Builds a message directly in a reserved record (no copy) with build(message), and
// commits it. The record must be word-sized and is zeroed first, as Cap'n Proto requires.
// If the message outgrew the record, the record is committed as skipped and false is
// returned: the caller sends the message another way.
template <typename Build>
bool build_in_record(Ring& ring, const WriteSlot& slot, Build&& build, bool notify) {
    std::memset(slot.data, 0, slot.size);
    auto* words = reinterpret_cast<capnp::word*>(slot.data);
    const size_t count = slot.size / sizeof(capnp::word);
    bool fits = count > 1;
    if (fits) {
        try {
            capnp::FlatMessageBuilder message(kj::arrayPtr(words + 1, count - 1));
            build(static_cast<capnp::MessageBuilder&>(message));
            auto segments = message.getSegmentsForOutput();
            fits = segments.size() == 1;
            if (fits) {
                auto* table = reinterpret_cast<uint32_t*>(slot.data);
                table[0] = 0;  // one segment; trailing words of the record are slack
                table[1] = static_cast<uint32_t>(segments[0].size());
            }
        } catch (const kj::Exception&) {
            fits = false;  // the builder needed a second segment
        }
    }
    ring.commit(slot, fits ? kInlineMessage : kSkippedRecord, notify);
    return fits;
}

// Holds the words of a spilled message while it is being read.
struct SpilledWords {
    kj::Array<capnp::word> words;
};

// Loads a spilled message's words. Empty string on success, else why not.
std::string load_spilled(const ReadSlot& slot, const SpillDirectory& spill, SpilledWords& out);

// Reads the record's message in place and calls use(reader). Returns "" on success,
// or a one-line description of why the record could not be decoded (bad framing, bad
// pointers, limits exceeded, or an exception thrown by use() while traversing).
template <typename Use>
std::string read_message(const ReadSlot& slot, const SpillDirectory& spill, Use&& use) {
    try {
        kj::ArrayPtr<const capnp::word> words;
        SpilledWords spilled;
        if (slot.flags == kInlineMessage) {
            if (slot.size % sizeof(capnp::word) != 0) return "record size is not word-aligned";
            words = kj::ArrayPtr<const capnp::word>(reinterpret_cast<const capnp::word*>(slot.data),
                                                    slot.size / sizeof(capnp::word));
        } else if (slot.flags == kSpilledMessage) {
            std::string error = load_spilled(slot, spill, spilled);
            if (!error.empty()) return error;
            words = spilled.words.asPtr();
        } else {
            return "record has unknown flags " + std::to_string(slot.flags);
        }
        capnp::ReaderOptions limits;
        limits.traversalLimitInWords = words.size() * 2 + 1024;
        limits.nestingLimit = 16;
        capnp::FlatArrayMessageReader reader(words, limits);
        use(static_cast<capnp::MessageReader&>(reader));
        return {};
    } catch (const kj::Exception& e) {
        return std::string("undecodable record: ") + e.getDescription().cStr();
    } catch (const std::exception& e) {
        return std::string("undecodable record: ") + e.what();
    }
}

}  // namespace ringrun::ipc
