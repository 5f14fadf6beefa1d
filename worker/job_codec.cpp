// Job/Result <-> Cap'n Proto. The only place that knows the schema's field names.
#include "worker/job_codec.hpp"

#include <stdexcept>

#include "schemas/ringrun.capnp.h"
#include "worker/task_record.hpp"

namespace ringrun {
namespace {

kj::ArrayPtr<const kj::byte> bytes_of(const std::string& s) {
    return kj::ArrayPtr<const kj::byte>(reinterpret_cast<const kj::byte*>(s.data()), s.size());
}

// Assigning (rather than constructing) keeps the target's buffer: decoders run on
// reused JobSpec/JobResult objects in the hot paths.
template <typename Blob>  // capnp::Text::Reader or capnp::Data::Reader
void assign(std::string& to, Blob blob) {
    to.assign(reinterpret_cast<const char*>(blob.begin()), blob.size());
}

// Most blob fields of a message are unset (a task's result has no stderr, a job no cwd):
// has() is an inline look at the pointer, get() a call into the library.
template <typename Get>
void assign_if(std::string& to, bool set, Get get) {
    if (set)
        assign(to, get());
    else
        to.clear();
}

// At most: a Text of n bytes takes n/8 + 1 words (with its NUL), a Data n/8 + 1.
size_t words_for(size_t bytes) {
    return bytes / 8 + 1;
}

// A blob field the builders below leave unset when empty: it takes no words then.
size_t words_if_set(const std::string& s) {
    return s.empty() ? 0 : words_for(s.size());
}

// Words a struct of type T takes in a message.
template <typename T>
constexpr size_t struct_words() {
    return T::_capnpPrivate::dataWordSize + T::_capnpPrivate::pointerCount;
}

}  // namespace

// The bounds count only what build_job and build_result write: a record is reserved and
// zeroed for the bound, so every word of slack is a cache line written for nothing
// (and, across cores, a line taken from the worker that read it last).
size_t max_message_words(const JobSpec& job) {
    size_t words = 1 + struct_words<schema::Job>();
    switch (job.kind) {
        case JobSpec::Kind::argv:
            for (const auto& arg : job.argv) words += 1 + words_for(arg.size());
            break;
        case JobSpec::Kind::shell:
            words += words_for(job.shell_line.size());
            break;
        case JobSpec::Kind::task:
            words += words_for(job.task_name.size()) + words_if_set(job.payload);
            break;
    }
    if (!job.env.empty()) words += 1;  // the env list's tag word
    for (const auto& [name, value] : job.env)
        words += struct_words<schema::EnvVar>() + words_for(name.size()) + words_for(value.size());
    return words + words_if_set(job.cwd) + words_if_set(job.tag);
}

size_t max_message_words(const JobResult& result) {
    return 1 + struct_words<schema::Result>() + words_if_set(result.out) +
           words_if_set(result.err) + words_if_set(result.error_text) +
           words_if_set(result.out_file) + words_if_set(result.err_file);
}

void build_job(const JobSpec& job, capnp::MessageBuilder& message) {
    auto b = message.initRoot<schema::Job>();
    b.setId(job.id);
    b.setAttempt(job.attempt);
    auto what = b.getWhat();  // initRoot zeroed it: initWhat would again
    switch (job.kind) {
        case JobSpec::Kind::argv: {
            auto list = what.initArgv(static_cast<unsigned>(job.argv.size()));
            for (unsigned i = 0; i < job.argv.size(); ++i)
                list.set(i, capnp::Text::Reader(job.argv[i].data(), job.argv[i].size()));
            break;
        }
        case JobSpec::Kind::shell:
            what.setShell(capnp::Text::Reader(job.shell_line.data(), job.shell_line.size()));
            break;
        case JobSpec::Kind::task: {
            auto task = what.initTask();
            task.setName(capnp::Text::Reader(job.task_name.data(), job.task_name.size()));
            if (!job.payload.empty()) task.setPayload(bytes_of(job.payload));
            break;
        }
    }
    if (!job.env.empty()) {
        auto env = b.initEnv(static_cast<unsigned>(job.env.size()));
        for (unsigned i = 0; i < job.env.size(); ++i) {
            env[i].setName(capnp::Text::Reader(job.env[i].first.data(), job.env[i].first.size()));
            env[i].setValue(
                capnp::Text::Reader(job.env[i].second.data(), job.env[i].second.size()));
        }
    }
    if (!job.cwd.empty()) b.setCwd(capnp::Text::Reader(job.cwd.data(), job.cwd.size()));
    b.setTimeoutMs(job.timeout_ms);
    b.setMemoryLimit(job.memory_limit);
    if (!job.tag.empty()) b.setTag(capnp::Text::Reader(job.tag.data(), job.tag.size()));
}

void decode_job(capnp::MessageReader& message, JobSpec& job) {
    auto r = message.getRoot<schema::Job>();
    job.id = r.getId();
    job.attempt = r.getAttempt();
    auto what = r.getWhat();
    switch (what.which()) {
        case schema::Job::What::ARGV:
            job.kind = JobSpec::Kind::argv;
            {
                auto argv = what.getArgv();
                job.argv.resize(argv.size());
                for (unsigned i = 0; i < argv.size(); ++i) assign(job.argv[i], argv[i]);
            }
            break;
        case schema::Job::What::SHELL:
            job.kind = JobSpec::Kind::shell;
            assign(job.shell_line, what.getShell());
            break;
        case schema::Job::What::TASK:
            job.kind = JobSpec::Kind::task;
            assign(job.task_name, what.getTask().getName());
            assign(job.payload, what.getTask().getPayload());
            break;
        default:
            throw std::runtime_error("job has an unknown kind");
    }
    auto env = r.getEnv();
    job.env.resize(env.size());
    for (unsigned i = 0; i < env.size(); ++i) {
        assign(job.env[i].first, env[i].getName());
        assign(job.env[i].second, env[i].getValue());
    }
    assign_if(job.cwd, r.hasCwd(), [&] { return r.getCwd(); });
    job.timeout_ms = r.getTimeoutMs();
    job.memory_limit = r.getMemoryLimit();
    assign_if(job.tag, r.hasTag(), [&] { return r.getTag(); });
}

void build_result(const JobResult& result, capnp::MessageBuilder& message) {
    auto b = message.initRoot<schema::Result>();
    b.setId(result.id);
    b.setAttempt(result.attempt);
    b.setWorkerSlot(result.worker_slot);
    b.setStatus(static_cast<schema::Status>(result.status));
    b.setExitCode(result.exit_code);
    b.setSignal(result.signal);
    b.setStartNs(result.start_ns);
    b.setEndNs(result.end_ns);
    b.setUserCpuUs(result.user_cpu_us);
    b.setSysCpuUs(result.sys_cpu_us);
    b.setMaxRssKb(result.max_rss_kb);
    if (!result.out.empty()) b.setStdout(bytes_of(result.out));
    if (!result.err.empty()) b.setStderr(bytes_of(result.err));
    if (!result.error_text.empty())
        b.setErrorText(capnp::Text::Reader(result.error_text.data(), result.error_text.size()));
    if (!result.out_file.empty())
        b.setStdoutFile(capnp::Text::Reader(result.out_file.data(), result.out_file.size()));
    if (!result.err_file.empty())
        b.setStderrFile(capnp::Text::Reader(result.err_file.data(), result.err_file.size()));
    b.setStdoutBytes(result.out_bytes);
    b.setCoreDumped(result.core_dumped);
}

void decode_result(capnp::MessageReader& message, JobResult& result) {
    auto r = message.getRoot<schema::Result>();
    result.id = r.getId();
    result.attempt = r.getAttempt();
    result.worker_slot = r.getWorkerSlot();
    auto status = static_cast<unsigned>(r.getStatus());
    if (status > static_cast<unsigned>(kLastJobStatus))
        throw std::runtime_error("result has an unknown status");
    result.status = static_cast<JobStatus>(status);
    result.exit_code = r.getExitCode();
    result.signal = r.getSignal();
    result.start_ns = r.getStartNs();
    result.end_ns = r.getEndNs();
    result.user_cpu_us = r.getUserCpuUs();
    result.sys_cpu_us = r.getSysCpuUs();
    result.max_rss_kb = r.getMaxRssKb();
    assign_if(result.out, r.hasStdout(), [&] { return r.getStdout(); });
    assign_if(result.err, r.hasStderr(), [&] { return r.getStderr(); });
    assign_if(result.error_text, r.hasErrorText(), [&] { return r.getErrorText(); });
    assign_if(result.out_file, r.hasStdoutFile(), [&] { return r.getStdoutFile(); });
    assign_if(result.err_file, r.hasStderrFile(), [&] { return r.getStderrFile(); });
    result.out_bytes = r.getStdoutBytes();
    result.core_dumped = r.getCoreDumped();
}

std::string read_record(const ipc::ReadSlot& record, const ipc::SpillDirectory& spill,
                        JobSpec& job) {
    if (record.flags == ipc::kCompactRecord) return read_compact_record(record, job);
    return ipc::read_message(record, spill,
                             [&](capnp::MessageReader& reader) { decode_job(reader, job); });
}

std::string read_record(const ipc::ReadSlot& record, const ipc::SpillDirectory& spill,
                        JobResult& result) {
    if (record.flags == ipc::kCompactRecord) return read_compact_record(record, result);
    return ipc::read_message(record, spill,
                             [&](capnp::MessageReader& reader) { decode_result(reader, result); });
}

}  // namespace ringrun
