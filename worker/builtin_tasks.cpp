// The built-in in-process tasks: noop, echo (returns its payload), spin (busy for N µs),
// sleep (N ms) and crash (raises SIGSEGV). They exist to measure the runner itself and to
// show what a crash does on each backend. A payload that is not a number is a task failure,
// never an exception.
#include <signal.h>

#include <charconv>
#include <chrono>
#include <thread>

#include "worker/task_registry.hpp"

namespace ringrun {
namespace {

bool parse_count(std::string_view payload, long long& out) {
    while (!payload.empty() && (payload.back() == '\n' || payload.back() == ' '))
        payload.remove_suffix(1);
    if (payload.empty()) {
        out = 0;
        return true;
    }
    auto [end, ec] = std::from_chars(payload.data(), payload.data() + payload.size(), out);
    return ec == std::errc() && end == payload.data() + payload.size() && out >= 0;
}

TaskOutcome not_a_count(std::string_view task, std::string_view payload) {
    return {false,
            {},
            std::string(task) + ": payload '" + std::string(payload) +
                "' is not a non-negative integer"};
}

TaskOutcome noop(std::string_view) {
    return {};
}

TaskOutcome echo(std::string_view payload) {
    return {true, std::string(payload), {}};
}

TaskOutcome spin(std::string_view payload) {
    long long micros;
    if (!parse_count(payload, micros)) return not_a_count("spin", payload);
    auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(micros);
    while (std::chrono::steady_clock::now() < until) {
    }
    return {};
}

TaskOutcome sleep_task(std::string_view payload) {
    long long millis;
    if (!parse_count(payload, millis)) return not_a_count("sleep", payload);
    std::this_thread::sleep_for(std::chrono::milliseconds(millis));
    return {};
}

TaskOutcome crash(std::string_view) {
    signal(SIGSEGV, SIG_DFL);
    raise(SIGSEGV);
    return {false, {}, "crash: SIGSEGV did not end the process"};
}

}  // namespace

void register_builtin_tasks(TaskRegistry& registry) {
    registry.add("noop", noop);
    registry.add("echo", echo);
    registry.add("spin", spin);
    registry.add("sleep", sleep_task);
    registry.add("crash", crash);
}

}  // namespace ringrun
