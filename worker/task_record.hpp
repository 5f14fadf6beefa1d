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

#include "ipc/ring.hpp"
#include "worker/job.hpp"

namespace ringrun {

// Bytes of job's compact record, or 0 when job has a field the compact form lacks (a
// command, an environment, a working directory, a line tag): it goes as a message then.
size_t compact_record_bytes(const JobSpec& job);
// Bytes of result's compact record, or 0 when it has a field the compact form lacks
// (output files, resource usage, a byte count): it goes as a message then.
size_t compact_record_bytes(const JobResult& result);

// Writes the compact record into dst, compact_record_bytes(...) bytes long.
void write_compact_record(const JobSpec& job, std::byte* dst);
void write_compact_record(const JobResult& result, std::byte* dst);

// Decodes a compact record into out (reusing its buffers). Returns "" on success, or a
// one-line description of what was wrong with the record.
std::string read_compact_record(const ipc::ReadSlot& record, JobSpec& out);
std::string read_compact_record(const ipc::ReadSlot& record, JobResult& out);

}  // namespace ringrun
