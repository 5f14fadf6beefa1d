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

// Words to give a builder's first segment so that a message stays single-segment.
size_t estimated_words(const JobSpec& job);
size_t estimated_words(const JobResult& result);

}  // namespace ringrun
