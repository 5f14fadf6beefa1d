// The built-in tasks and the task registry, called the way a worker calls them.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include "tests/support/test_support.hpp"
#include "worker/task_registry.hpp"
#include "worker/worker_loop.hpp"

namespace ringrun {
namespace {

JobResult run(const std::string& task, const std::string& payload) {
    JobSpec job;
    job.id = 5;
    job.kind = JobSpec::Kind::task;
    job.task_name = task;
    job.payload = payload;
    WorkerContext context;
    context.tasks = &task_registry();
    return execute_job(job, context);
}

TEST(Tasks, NoopSucceedsSilently) {
    JobResult r = run("noop", "anything");
    EXPECT_EQ(r.status, JobStatus::ok);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.id, 5u);
}

TEST(Tasks, EchoReturnsPayload) {
    EXPECT_EQ(run("echo", std::string("a\0b", 3)).out, std::string("a\0b", 3));
}

TEST(Tasks, SpinAndSleepTakeANumber) {
    EXPECT_EQ(run("spin", "10").status, JobStatus::ok);
    EXPECT_EQ(run("sleep", "1").status, JobStatus::ok);
    JobResult bad = run("spin", "ten");
    EXPECT_EQ(bad.status, JobStatus::failed);
    EXPECT_NE(bad.err.find("ten"), std::string::npos);
}

TEST(Tasks, UnknownTaskIsAnError) {
    JobResult r = run("no-such-task", "");
    EXPECT_EQ(r.status, JobStatus::error);
    EXPECT_NE(r.error_text.find("no-such-task"), std::string::npos);
}

TEST(Tasks, CrashRaisesSegfault) {
    testing::ChildGuard child([] {
        run("crash", "");
        return 0;
    });
    int status = child.wait_exit(std::chrono::seconds(30));
    ASSERT_NE(status, -1);
    EXPECT_TRUE(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0));
}

TEST(TaskRegistry, RefusesDuplicateNames) {
    TaskRegistry registry;
    registry.add("x", [](std::string_view) { return TaskOutcome{}; });
    EXPECT_THROW(registry.add("x", [](std::string_view) { return TaskOutcome{}; }),
                 std::invalid_argument);
    EXPECT_NE(registry.find("x"), nullptr);
    EXPECT_EQ(registry.find("y"), nullptr);
}

}  // namespace
}  // namespace ringrun
