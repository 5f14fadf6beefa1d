// The compact record: a Job or Result holding only what an in-process task's carries,
// as a fixed header of integers (host byte order: both sides are the same program on
// the same machine) followed by its blobs. It replaces the Cap'n Proto message on the
// per-task hot path, where building and reading a message cost more than everything
// else a task costs (docs/design-notes.md, "Compact task records"). A record may be
// longer than what it holds (results reserved ahead are whole cache lines): the rest is
// slack. Decoding checks every length against the record and every enum's range: it
// must never read past a record nor trust a field it has not checked.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "ipc/ring.hpp"
#include "worker/job.hpp"

namespace ringrun {

// A compact job record's fields, read in place: the views point into the record and are
// valid until it is released. What the worker's task hot path runs from.
struct CompactJobView {
    uint64_t id = 0;
    uint64_t timeout_ms = 0;
    uint32_t attempt = 1;
    std::string_view task_name;
    std::string_view payload;
};

// A task's result as a compact record holds it, its blobs borrowed from wherever they
// are (a JobResult, or the task's own outcome).
struct CompactResultView : ResultHead {
    std::string_view out;
    std::string_view err;
    std::string_view error_text;
};

// Bytes of job's compact record, or 0 when job has a field the compact form lacks (a
// command, an environment, a working directory, a line tag): it goes as a message then.
size_t compact_record_bytes(const JobSpec& job);
// job's fields as its compact record holds them, viewing job's strings; false when
// compact_record_bytes(job) is 0.
bool compact_view_of(const JobSpec& job, CompactJobView& out);
// Bytes of a task job's compact record, or 0 when a blob is too long for its length field.
size_t compact_record_bytes(const CompactJobView& job);
// Bytes of result's compact record, or 0 when it has a field the compact form lacks
// (output files, resource usage, a byte count): it goes as a message then.
size_t compact_record_bytes(const JobResult& result);

// Bytes of result's compact record, or 0 when a blob is too long for its length field.
size_t compact_record_bytes(const CompactResultView& result);
// Writes the compact record into dst, compact_record_bytes(...) bytes long.
void write_compact_record(const JobSpec& job, std::byte* dst);
void write_compact_record(const CompactJobView& job, std::byte* dst);
void write_compact_record(const JobResult& result, std::byte* dst);
void write_compact_record(const CompactResultView& result, std::byte* dst);
// Reads a compact job record in place. Returns null on success, or what was wrong with it
// (no string to build on the worker's per-task path).
const char* view_compact_record(const ipc::ReadSlot& record, CompactJobView& out);

// Decodes a compact record into out (reusing its buffers). Returns "" on success, or a
// one-line description of what was wrong with the record.
std::string read_compact_record(const ipc::ReadSlot& record, JobSpec& out);
std::string read_compact_record(const ipc::ReadSlot& record, JobResult& out);

}  // namespace ringrun
