// Converts JobSpec/JobResult to and from the schema's Job/Result messages, and reads a
// ring record of either form. decode_job/decode_result may throw (Cap'n Proto validates
// lazily); read_record decodes inside ipc::read_message, which turns any such throw into
// an error value, and never throws.
#pragma once

#include <capnp/message.h>

#include <string>

#include "ipc/message_record.hpp"
#include "worker/job.hpp"

namespace ringrun {

void build_job(const JobSpec& job, capnp::MessageBuilder& message);
void decode_job(capnp::MessageReader& message, JobSpec& job);

void build_result(const JobResult& result, capnp::MessageBuilder& message);
void decode_result(capnp::MessageReader& message, JobResult& result);

// Decodes a ring record of either form, a compact task record (worker/task_record.hpp)
// or a message, into job / result. "" on success, else why the record is unreadable.
std::string read_record(const ipc::ReadSlot& record, const ipc::SpillDirectory& spill,
                        JobSpec& job);
std::string read_record(const ipc::ReadSlot& record, const ipc::SpillDirectory& spill,
                        JobResult& result);

// At least the words the message built from job/result takes (an upper bound, so that a
// segment of this size always holds it in one piece).
size_t max_message_words(const JobSpec& job);
size_t max_message_words(const JobResult& result);

}  // namespace ringrun
