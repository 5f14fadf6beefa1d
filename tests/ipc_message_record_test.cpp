// Cap'n Proto messages through ring records: Job and Result survive the trip field for
// field; a message larger than the ring travels through a spill file; garbage in a record
// (bad framing, bad pointers, bad flags, a spill path outside the run) is a decode error
// value and never a crash.
#include <capnp/message.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "ipc/message_record.hpp"
#include "ipc/run_directory.hpp"
#include "worker/job_codec.hpp"

namespace ringrun {
namespace {

struct Fixture : ::testing::Test {
    Fixture() : mem(std::aligned_alloc(64, ipc::Ring::footprint(8192))), spill(dir.path()) {
        ring = ipc::Ring::create(mem, 8192);
    }
    ~Fixture() override { std::free(mem); }

    std::string read_job(JobSpec& job) {
        auto slot = ring.try_peek();
        if (!slot) return "no record";
        std::string error =
            ipc::read_message(*slot, spill, [&](capnp::MessageReader& r) { decode_job(r, job); });
        ring.release(*slot);
        return error;
    }
    std::string read_result(JobResult& result) {
        auto slot = ring.try_peek();
        if (!slot) return "no record";
        std::string error = ipc::read_message(
            *slot, spill, [&](capnp::MessageReader& r) { decode_result(r, result); });
        ring.release(*slot);
        return error;
    }
    void push_raw(const void* data, size_t size, uint16_t flags) {
        auto slot = ring.try_reserve(size);
        ASSERT_TRUE(slot);
        std::memcpy(slot->data, data, size);
        ring.commit(*slot, flags);
    }

    void* mem;
    ipc::Ring ring;
    ipc::RunDirectory dir;
    ipc::SpillDirectory spill;
};

TEST_F(Fixture, JobRoundTripsEveryKind) {
    JobSpec argv_job;
    argv_job.id = 42;
    argv_job.attempt = 2;
    argv_job.argv = {"gzip", "-9", "file with spaces\n"};
    argv_job.env = {{"A", "1"}, {"B", ""}};
    argv_job.cwd = "/tmp";
    argv_job.timeout_ms = 1500;
    JobSpec shell_job;
    shell_job.kind = JobSpec::Kind::shell;
    shell_job.shell_line = "echo 'hi' | tr a-z A-Z";
    JobSpec task_job;
    task_job.kind = JobSpec::Kind::task;
    task_job.task_name = "echo";
    task_job.payload = std::string("\0binary\xff", 8);
    for (const JobSpec* job : {&argv_job, &shell_job, &task_job}) {
        capnp::MallocMessageBuilder message;
        build_job(*job, message);
        ipc::SpillDirectory spill_writer(dir.path());
        ASSERT_EQ(ipc::try_push_message(ring, message, spill_writer, nullptr),
                  ipc::PushOutcome::pushed);
        JobSpec got;
        ASSERT_EQ(read_job(got), "");
        EXPECT_EQ(got.id, job->id);
        EXPECT_EQ(got.attempt, job->attempt);
        EXPECT_EQ(got.kind, job->kind);
        EXPECT_EQ(got.argv, job->argv);
        EXPECT_EQ(got.shell_line, job->shell_line);
        EXPECT_EQ(got.task_name, job->task_name);
        EXPECT_EQ(got.payload, job->payload);
        EXPECT_EQ(got.env, job->env);
        EXPECT_EQ(got.cwd, job->cwd);
        EXPECT_EQ(got.timeout_ms, job->timeout_ms);
    }
}

TEST_F(Fixture, ResultRoundTrips) {
    JobResult result;
    result.id = 7;
    result.attempt = 3;
    result.worker_slot = 1;
    result.status = JobStatus::signaled;
    result.exit_code = 0;
    result.signal = 9;
    result.start_ns = 1'700'000'000'000'000'000;
    result.end_ns = result.start_ns + 5;
    result.user_cpu_us = 11;
    result.sys_cpu_us = 12;
    result.max_rss_kb = 1234;
    result.out = "stdout\n";
    result.err = "stderr\n";
    result.error_text = "why";
    capnp::MallocMessageBuilder message;
    build_result(result, message);
    ASSERT_EQ(ipc::try_push_message(ring, message, spill, nullptr), ipc::PushOutcome::pushed);
    JobResult got;
    ASSERT_EQ(read_result(got), "");
    EXPECT_EQ(got.id, 7u);
    EXPECT_EQ(got.attempt, 3u);
    EXPECT_EQ(got.worker_slot, 1u);
    EXPECT_EQ(got.status, JobStatus::signaled);
    EXPECT_EQ(got.signal, 9);
    EXPECT_EQ(got.start_ns, result.start_ns);
    EXPECT_EQ(got.end_ns, result.end_ns);
    EXPECT_EQ(got.user_cpu_us, 11);
    EXPECT_EQ(got.sys_cpu_us, 12);
    EXPECT_EQ(got.max_rss_kb, 1234);
    EXPECT_EQ(got.out, "stdout\n");
    EXPECT_EQ(got.err, "stderr\n");
    EXPECT_EQ(got.error_text, "why");
}

// Jobs of every shape, built in place in a record of exactly max_message_words: the bound
// holds (the message fits in one piece) and the job reads back whole.
TEST_F(Fixture, JobBuiltInPlaceFitsItsBoundForEveryShape) {
    for (size_t length : {0, 1, 7, 8, 9, 15, 16, 17, 100, 1000}) {
        for (auto kind : {JobSpec::Kind::argv, JobSpec::Kind::shell, JobSpec::Kind::task}) {
            JobSpec job;
            job.id = length + 1;
            job.kind = kind;
            std::string text(length, 'a');
            job.argv.assign(length % 5 + 1, text);
            job.shell_line = text;
            job.task_name = text;
            job.payload = text;
            job.cwd = text;
            job.tag = text;
            for (size_t i = 0; i < length % 4; ++i) job.env.emplace_back(text, text);
            auto slot = ring.try_reserve(ipc::in_place_record_bytes(max_message_words(job)));
            ASSERT_TRUE(slot);
            ASSERT_TRUE(ipc::build_in_record(
                ring, *slot, [&](capnp::MessageBuilder& m) { build_job(job, m); }, true))
                << "length " << length;
            JobSpec got;
            ASSERT_EQ(read_job(got), "");
            EXPECT_EQ(got.id, job.id);
            EXPECT_EQ(got.env, job.env);
            EXPECT_EQ(got.cwd, job.cwd);
            EXPECT_EQ(got.tag, job.tag);
        }
    }
}

TEST_F(Fixture, ResultBuiltInPlaceFitsItsBound) {
    for (size_t length : {0, 1, 7, 8, 9, 100, 1000}) {
        JobResult result;
        result.id = 9;
        result.out = result.err = result.error_text = std::string(length, 'z');
        auto slot = ring.try_reserve(ipc::in_place_record_bytes(max_message_words(result)));
        ASSERT_TRUE(slot);
        ASSERT_TRUE(ipc::build_in_record(
            ring, *slot, [&](capnp::MessageBuilder& m) { build_result(result, m); }, true));
        JobResult got;
        ASSERT_EQ(read_result(got), "");
        EXPECT_EQ(got.out, result.out);
        EXPECT_EQ(got.error_text, result.error_text);
    }
}

// A record too small for its message is committed as skipped, never as a torn message.
TEST_F(Fixture, MessageOutgrowingItsRecordIsCommittedAsSkipped) {
    JobSpec job;
    job.kind = JobSpec::Kind::shell;
    job.shell_line = std::string(500, 'x');
    auto slot = ring.try_reserve(ipc::in_place_record_bytes(8));
    ASSERT_TRUE(slot);
    EXPECT_FALSE(ipc::build_in_record(
        ring, *slot, [&](capnp::MessageBuilder& m) { build_job(job, m); }, true));
    auto read = ring.try_peek();
    ASSERT_TRUE(read);
    EXPECT_EQ(read->flags, ipc::kSkippedRecord);
}

TEST_F(Fixture, MessageLargerThanRingTravelsThroughSpillFile) {
    JobResult result;
    result.id = 1;
    result.out = std::string(100'000, 'x');  // the ring holds 8 KiB
    capnp::MallocMessageBuilder message;
    build_result(result, message);
    ASSERT_EQ(ipc::try_push_message(ring, message, spill, nullptr), ipc::PushOutcome::pushed);
    EXPECT_EQ(ring.try_peek()->flags, ipc::kSpilledMessage);
    JobResult got;
    ASSERT_EQ(read_result(got), "");
    EXPECT_EQ(got.out, result.out);
    EXPECT_TRUE(std::filesystem::is_empty(dir.path())) << "spill file not removed after reading";
}

TEST_F(Fixture, GarbageRecordIsDecodeErrorNotCrash) {
    uint64_t garbage[8];
    for (int i = 0; i < 8; ++i) garbage[i] = 0x0123456789abcdefULL * (i + 1);
    push_raw(garbage, sizeof garbage, ipc::kInlineMessage);
    JobResult got;
    EXPECT_NE(read_result(got), "");
}

TEST_F(Fixture, TruncatedRecordIsDecodeError) {
    JobResult result;
    result.out = "some output";
    capnp::MallocMessageBuilder message;
    build_result(result, message);
    auto words = capnp::messageToFlatArray(message);
    push_raw(words.begin(), words.size() * 8 - 16, ipc::kInlineMessage);
    JobResult got;
    EXPECT_NE(read_result(got), "");
}

TEST_F(Fixture, PointerOutOfBoundsIsDecodeError) {
    // A valid segment table whose root pointer points far outside the segment.
    uint64_t words[3] = {0, 0, 0};
    uint32_t table[2] = {0, 2};
    std::memcpy(&words[0], table, 8);
    words[1] = (uint64_t{1} << 32) | (uint64_t{1000} << 2);  // struct pointer, offset 1000
    push_raw(words, sizeof words, ipc::kInlineMessage);
    JobResult got;
    EXPECT_NE(read_result(got), "");
}

TEST_F(Fixture, UnalignedAndUnknownFlagsAreDecodeErrors) {
    push_raw("abc", 3, ipc::kInlineMessage);
    JobResult got;
    EXPECT_NE(read_result(got), "");
    uint64_t zero = 0;
    push_raw(&zero, 8, 99);
    EXPECT_NE(read_result(got), "");
}

TEST_F(Fixture, SpillPathOutsideRunDirectoryIsRefused) {
    std::string path = "/etc/passwd";
    push_raw(path.data(), path.size(), ipc::kSpilledMessage);
    JobResult got;
    std::string error = read_result(got);
    EXPECT_NE(error.find("outside"), std::string::npos) << error;
    std::string sneaky = dir.path() + "/../spill.1";
    push_raw(sneaky.data(), sneaky.size(), ipc::kSpilledMessage);
    EXPECT_NE(read_result(got), "");
}

}  // namespace
}  // namespace ringrun
