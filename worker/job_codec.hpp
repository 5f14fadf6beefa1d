// Converts JobSpec/JobResult to and from the schema's Job/Result messages.
// Decoding may throw (Cap'n Proto validates lazily); callers decode inside
// ipc::read_message, which turns any such throw into an error value.
#pragma once

#include <capnp/message.h>

#include "worker/job.hpp"

namespace ringrun {

void build_job(const JobSpec& job, capnp::MessageBuilder& message);
void decode_job(capnp::MessageReader& message, JobSpec& job);

void build_result(const JobResult& result, capnp::MessageBuilder& message);
void decode_result(capnp::MessageReader& message, JobResult& result);

// At least the words the message built from job/result takes (an upper bound, so that a
// segment of this size always holds it in one piece).
size_t max_message_words(const JobSpec& job);
size_t max_message_words(const JobResult& result);

}  // namespace ringrun
