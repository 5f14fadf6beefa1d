// Chaos: 20,000 short command jobs on -j4 while a random worker is SIGKILLed every few
// milliseconds. Every job must be recorded exactly once, the output complete, the
// supervisor must exit 0, and nothing may deadlock (the watchdog turns a hang into a
// failure). scripts/chaos.sh runs this test in a loop as a soak.
// Environment: RINGRUN_CHAOS_JOBS (default 20000), RINGRUN_CHAOS_BASELINE=1 also runs
// the same jobs without kills and prints the throughput ratio.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/test_support.hpp"

namespace ringrun {
namespace {

size_t env_number(const char* name, size_t fallback) {
    const char* text = std::getenv(name);
    return text && *text ? std::strtoul(text, nullptr, 10) : fallback;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

struct ChaosRun {
    int wait_status = -1;
    size_t kills = 0;
    double seconds = 0;
    std::string out, err;
};

// Runs ringrun over inputs; when asked to, kills a random worker every 3 ms, but never
// before the run has printed a few more results since the last kill: on a slow machine
// (forks of several ms) a fixed pace would kill replacements faster than they start,
// and the test would time the machine instead of ringrun.
// command: ringrun's arguments before "::::" (its -j, retries and command).
ChaosRun run_with_kills(const std::string& dir, const std::string& inputs, bool kill_workers,
                        std::vector<std::string> command = {
                            "-j4", "--retries", "1000", "--max-restarts", "0", "--stats", "echo"}) {
    const std::string out_path = dir + "/out", err_path = dir + "/err";
    const auto started = std::chrono::steady_clock::now();
    testing::ChildGuard ringrun([&] {
        int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(out, 1);
        dup2(err, 2);
        std::vector<char*> argv = {const_cast<char*>(RINGRUN_BINARY)};
        command.push_back("::::");
        command.push_back(inputs);
        for (std::string& word : command) argv.push_back(word.data());
        argv.push_back(nullptr);
        execv(RINGRUN_BINARY, argv.data());
        return 127;
    });
    ChaosRun run;
    std::mt19937 random(12345);
    constexpr off_t kOutputBetweenKills = 64;  // bytes of output: a dozen results
    off_t output_at_last_kill = -kOutputBetweenKills;
    for (;;) {
        int status = 0;
        if (waitpid(ringrun.pid(), &status, WNOHANG) == ringrun.pid()) {
            run.wait_status = status;
            break;
        }
        struct stat out_stat {};
        const off_t output = stat(out_path.c_str(), &out_stat) == 0 ? out_stat.st_size : 0;
        if (kill_workers && output - output_at_last_kill >= kOutputBetweenKills) {
            std::vector<pid_t> workers;
            for (pid_t child : testing::children_of(ringrun.pid()))
                if (testing::command_line_of(child).rfind("ringrun: worker", 0) == 0)
                    workers.push_back(child);
            if (!workers.empty()) {
                kill(workers[random() % workers.size()], SIGKILL);
                ++run.kills;
                output_at_last_kill = output;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(kill_workers ? 3 : 1));
    }
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    run.out = read_file(out_path);
    run.err = read_file(err_path);
    return run;
}

TEST(Chaos, RandomWorkerKillsLoseNoJobAndDuplicateNone) {
    const size_t jobs = env_number("RINGRUN_CHAOS_JOBS", 20000);
    const std::string dir =
        std::filesystem::temp_directory_path() / ("ringrun-chaos-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    const std::string inputs = dir + "/inputs";
    {
        std::ofstream in(inputs);
        for (size_t i = 1; i <= jobs; ++i) in << i << "\n";
    }
    ChaosRun chaos = run_with_kills(dir, inputs, true);
    ASSERT_TRUE(WIFEXITED(chaos.wait_status)) << chaos.err;
    EXPECT_EQ(WEXITSTATUS(chaos.wait_status), 0) << chaos.err.substr(0, 2000);
    // Every job exactly once: each number 1..jobs appears once and nothing else does.
    std::vector<int> seen(jobs + 1, 0);
    size_t lines = 0, strays = 0;
    for (const auto& line : testing::lines_of(chaos.out)) {
        ++lines;
        size_t n = std::strtoul(line.c_str(), nullptr, 10);
        if (n >= 1 && n <= jobs && std::to_string(n) == line)
            ++seen[n];
        else
            ++strays;
    }
    size_t missing = 0, duplicated = 0;
    for (size_t i = 1; i <= jobs; ++i) {
        missing += seen[i] == 0;
        duplicated += seen[i] > 1;
    }
    EXPECT_EQ(lines, jobs);
    EXPECT_EQ(missing, 0u);
    EXPECT_EQ(duplicated, 0u);
    EXPECT_EQ(strays, 0u);
    EXPECT_GE(chaos.kills, 100u) << "the run ended before 100 kills";

    // The figures the soak script and the closing note read.
    std::string stats;
    for (const auto& line : testing::lines_of(chaos.err))
        if (line.rfind("ringrun: stats:", 0) == 0) stats += "  " + line + "\n";
    std::printf("chaos: kills=%zu jobs=%zu seconds=%.2f jobs_per_second=%.0f\n%s", chaos.kills,
                jobs, chaos.seconds, static_cast<double>(jobs) / chaos.seconds, stats.c_str());
    if (env_number("RINGRUN_CHAOS_BASELINE", 0)) {
        ChaosRun calm = run_with_kills(dir, inputs, false);
        EXPECT_EQ(testing::lines_of(calm.out).size(), jobs);
        std::printf("chaos: baseline seconds=%.2f jobs_per_second=%.0f ratio_with_kills=%.2f\n",
                    calm.seconds, static_cast<double>(jobs) / calm.seconds,
                    calm.seconds / chaos.seconds);
    }
    std::filesystem::remove_all(dir);
}

// The same storm with a poison job among the others: job 777 kills its worker every time.
// It alone fails (lost, after its attempts); every other job is printed exactly once.
TEST(Chaos, APoisonJobAmongRandomWorkerKillsFailsAloneAndEveryOtherJobSucceeds) {
    const size_t jobs = env_number("RINGRUN_CHAOS_JOBS", 20000);
    constexpr size_t kPoison = 777;
    const std::string dir = std::filesystem::temp_directory_path() /
                            ("ringrun-chaos-poison-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    const std::string inputs = dir + "/inputs";
    {
        std::ofstream in(inputs);
        for (size_t i = 1; i <= jobs; ++i) in << i << "\n";
    }
    ChaosRun chaos = run_with_kills(
        dir, inputs, true,
        {"-j4", "--retries", "6", "--max-restarts", "0", "--stats",
         "if [ {} = " + std::to_string(kPoison) + " ]; then kill -9 $PPID; sleep 1; fi; echo {}"});
    ASSERT_TRUE(WIFEXITED(chaos.wait_status)) << chaos.err;
    EXPECT_EQ(WEXITSTATUS(chaos.wait_status), 1) << chaos.err.substr(0, 2000);
    std::vector<int> seen(jobs + 1, 0);
    size_t strays = 0;
    for (const auto& line : testing::lines_of(chaos.out)) {
        size_t n = std::strtoul(line.c_str(), nullptr, 10);
        if (n >= 1 && n <= jobs && std::to_string(n) == line)
            ++seen[n];
        else
            ++strays;
    }
    size_t missing = 0, duplicated = 0;
    for (size_t i = 1; i <= jobs; ++i) {
        if (i == kPoison) continue;
        missing += seen[i] == 0;
        duplicated += seen[i] > 1;
    }
    EXPECT_EQ(seen[kPoison], 0);
    EXPECT_EQ(missing, 0u);
    EXPECT_EQ(duplicated, 0u);
    EXPECT_EQ(strays, 0u);
    EXPECT_NE(chaos.err.find("ringrun: job " + std::to_string(kPoison) + " "), std::string::npos)
        << "the poison job is reported with its cause";
    EXPECT_GE(chaos.kills, 100u) << "the run ended before 100 kills";
    std::printf("chaos with a poison job: kills=%zu jobs=%zu seconds=%.2f\n", chaos.kills, jobs,
                chaos.seconds);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ringrun
