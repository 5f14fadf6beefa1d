// Compact task records: a task's Job and Result survive the trip field for field; what
// the compact form cannot hold is refused (it goes as a message instead); and a record
// that is short, claims more bytes than it has, or holds an unknown status is a decode
// error value, never a read past its end (run under ASan in CI).
#include "worker/task_record.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "ipc/message_record.hpp"

namespace ringrun {
namespace {

ipc::ReadSlot slot_of(const std::vector<std::byte>& bytes, size_t size) {
    return ipc::ReadSlot{bytes.data(), static_cast<uint32_t>(size), ipc::kCompactRecord, 0};
}

// A copy of the record in a buffer of exactly its size, so that ASan sees any over-read.
template <typename T>
std::vector<std::byte> record_of(const T& value) {
    std::vector<std::byte> bytes(compact_record_bytes(value));
    write_compact_record(value, bytes.data());
    return bytes;
}

JobSpec task_job() {
    JobSpec job;
    job.kind = JobSpec::Kind::task;
    job.id = 1ull << 40;
    job.attempt = 3;
    job.task_name = "resize";
    job.payload = std::string("bin\0ary\xff", 8);
    job.timeout_ms = 2500;
    return job;
}

JobResult task_result() {
    JobResult r;
    r.id = 77;
    r.attempt = 2;
    r.worker_slot = 5;
    r.status = JobStatus::failed;
    r.exit_code = -3;
    r.signal = 9;
    r.start_ns = -1;
    r.end_ns = 1'700'000'000'123'456'789;
    r.out = std::string("out\0put", 7);
    r.err = "it broke";
    r.error_text = "why, in one line";
    return r;
}

TEST(TaskRecord, JobRoundTripsFieldForField) {
    const JobSpec job = task_job();
    auto bytes = record_of(job);
    JobSpec read;
    read.argv = {"stale"};
    read.cwd = "/stale";
    read.tag = "stale\t";
    read.env = {{"A", "1"}};
    ASSERT_EQ(read_compact_record(slot_of(bytes, bytes.size()), read), "");
    EXPECT_EQ(read.kind, JobSpec::Kind::task);
    EXPECT_EQ(read.id, job.id);
    EXPECT_EQ(read.attempt, job.attempt);
    EXPECT_EQ(read.task_name, job.task_name);
    EXPECT_EQ(read.payload, job.payload);
    EXPECT_EQ(read.timeout_ms, job.timeout_ms);
    EXPECT_TRUE(read.argv.empty() && read.cwd.empty() && read.tag.empty() && read.env.empty());
}

TEST(TaskRecord, ResultRoundTripsFieldForField) {
    const JobResult r = task_result();
    auto bytes = record_of(r);
    JobResult read;
    read.out_file = "/stale";
    read.err_file = "/stale";
    read.user_cpu_us = read.sys_cpu_us = read.max_rss_kb = 1;
    read.out_bytes = 1;
    ASSERT_EQ(read_compact_record(slot_of(bytes, bytes.size()), read), "");
    EXPECT_EQ(read.id, r.id);
    EXPECT_EQ(read.attempt, r.attempt);
    EXPECT_EQ(read.worker_slot, r.worker_slot);
    EXPECT_EQ(read.status, r.status);
    EXPECT_EQ(read.exit_code, r.exit_code);
    EXPECT_EQ(read.signal, r.signal);
    EXPECT_EQ(read.start_ns, r.start_ns);
    EXPECT_EQ(read.end_ns, r.end_ns);
    EXPECT_EQ(read.out, r.out);
    EXPECT_EQ(read.err, r.err);
    EXPECT_EQ(read.error_text, r.error_text);
    EXPECT_TRUE(read.out_file.empty() && read.err_file.empty());
    EXPECT_EQ(read.user_cpu_us + read.sys_cpu_us + read.max_rss_kb, 0);
    EXPECT_EQ(read.out_bytes, 0u);
}

TEST(TaskRecord, ANoopTasksRecordsTakeOneCacheLineEach) {
    JobSpec job;
    job.kind = JobSpec::Kind::task;
    job.task_name = "noop";
    EXPECT_LE(ipc::Ring::kHeaderBytes + compact_record_bytes(job), 64u);
    EXPECT_EQ(ipc::Ring::kHeaderBytes + compact_record_bytes(JobResult{}), 64u);
}

TEST(TaskRecord, WhatTheCompactFormCannotHoldIsRefused) {
    JobSpec command;
    command.argv = {"true"};
    EXPECT_EQ(compact_record_bytes(command), 0u);
    command.kind = JobSpec::Kind::shell;
    EXPECT_EQ(compact_record_bytes(command), 0u);
    for (auto with : {+[](JobSpec& j) {
                          j.env = {{"A", "1"}};
                      },
                      +[](JobSpec& j) { j.cwd = "/"; }, +[](JobSpec& j) { j.tag = "t\t"; }}) {
        JobSpec job = task_job();
        with(job);
        EXPECT_EQ(compact_record_bytes(job), 0u);
    }
    for (auto with :
         {+[](JobResult& r) { r.out_file = "/f"; }, +[](JobResult& r) { r.err_file = "/f"; },
          +[](JobResult& r) { r.user_cpu_us = 1; }, +[](JobResult& r) { r.sys_cpu_us = 1; },
          +[](JobResult& r) { r.max_rss_kb = 1; }, +[](JobResult& r) { r.out_bytes = 1; }}) {
        JobResult r = task_result();
        with(r);
        EXPECT_EQ(compact_record_bytes(r), 0u);
    }
}

TEST(TaskRecord, EveryTruncationIsAnErrorNotAnOverRead) {
    const auto job = record_of(task_job());
    for (size_t size = 0; size < job.size(); ++size) {
        std::vector<std::byte> prefix(job.begin(), job.begin() + static_cast<long>(size));
        JobSpec read;
        EXPECT_NE(read_compact_record(slot_of(prefix, size), read), "") << size;
    }
    const auto result = record_of(task_result());
    for (size_t size = 0; size < result.size(); ++size) {
        std::vector<std::byte> prefix(result.begin(), result.begin() + static_cast<long>(size));
        JobResult read;
        EXPECT_NE(read_compact_record(slot_of(prefix, size), read), "") << size;
    }
}

TEST(TaskRecord, LengthsClaimingMoreThanTheRecordAreErrors) {
    // Each blob length in turn set to the largest value: with the others, the sum
    // overflows 32 bits, which must not wrap into a length that seems to fit.
    auto job = record_of(task_job());
    for (size_t offset : {20, 24}) {  // name_bytes, payload_bytes
        auto bad = job;
        std::memset(bad.data() + offset, 0xff, 4);
        JobSpec read;
        EXPECT_NE(read_compact_record(slot_of(bad, bad.size()), read), "") << offset;
    }
    auto result = record_of(task_result());
    for (size_t offset : {44, 48, 52}) {  // out, err, error_text bytes
        auto bad = result;
        std::memset(bad.data() + offset, 0xff, 4);
        JobResult read;
        EXPECT_NE(read_compact_record(slot_of(bad, bad.size()), read), "") << offset;
    }
}

TEST(TaskRecord, AnUnknownStatusIsAnError) {
    auto result = record_of(task_result());
    const uint32_t status = static_cast<uint32_t>(kLastJobStatus) + 1;
    std::memcpy(result.data() + 40, &status, sizeof status);
    JobResult read;
    EXPECT_EQ(read_compact_record(slot_of(result, result.size()), read),
              "compact result record has an unknown status");
}

}  // namespace
}  // namespace ringrun
