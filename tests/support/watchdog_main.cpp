// main() for every test binary: GoogleTest plus a watchdog that turns a deadlocked test
// into a failure (the process aborts with the test's name) instead of a hung CI run.
// RINGRUN_TEST_WATCHDOG_SECONDS overrides the limit (default 120 s per test).
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

namespace {

class Watchdog : public ::testing::EmptyTestEventListener {
  public:
    explicit Watchdog(std::chrono::seconds limit) : limit_(limit), thread_([this] { watch(); }) {}
    ~Watchdog() override {
        {
            std::lock_guard lock(mutex_);
            quit_ = true;
        }
        changed_.notify_all();
        thread_.join();
    }
    void OnTestStart(const ::testing::TestInfo& info) override {
        std::lock_guard lock(mutex_);
        current_ = std::string(info.test_suite_name()) + "." + info.name();
        deadline_ = std::chrono::steady_clock::now() + limit_;
        armed_ = true;
        changed_.notify_all();
    }
    void OnTestEnd(const ::testing::TestInfo&) override {
        std::lock_guard lock(mutex_);
        armed_ = false;
        changed_.notify_all();
    }

  private:
    void watch() {
        std::unique_lock lock(mutex_);
        while (!quit_) {
            if (!armed_) {
                changed_.wait(lock);
                continue;
            }
            if (changed_.wait_until(lock, deadline_) == std::cv_status::timeout && armed_ &&
                std::chrono::steady_clock::now() >= deadline_) {
                std::fprintf(stderr, "\nwatchdog: %s did not finish within %lld s: deadlock?\n",
                             current_.c_str(), static_cast<long long>(limit_.count()));
                std::fflush(stderr);
                std::abort();
            }
        }
    }
    std::chrono::seconds limit_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::string current_;
    std::chrono::steady_clock::time_point deadline_;
    bool armed_ = false;
    bool quit_ = false;
    std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    long seconds = 120;
    if (const char* s = std::getenv("RINGRUN_TEST_WATCHDOG_SECONDS")) seconds = std::atol(s);
    ::testing::UnitTest::GetInstance()->listeners().Append(
        new Watchdog(std::chrono::seconds(seconds)));
    return RUN_ALL_TESTS();
}
