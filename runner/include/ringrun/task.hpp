// ringrun's public task table: the functions a Pool's workers can call, registered by
// name in the user's program with RINGRUN_TASK. Worker processes are forked from that
// program (and worker threads live in it), so every worker sees the same table.
// Registration happens during static initialisation, before any Pool starts: a task
// registered after a pool's workers were forked is unknown to them.
#pragma once

#include <string>
#include <string_view>
#include <type_traits>

namespace ringrun {

// What a task gives back: its value (ok), or why it failed.
struct TaskOutcome {
    bool ok = true;
    std::string output;  // the value
    std::string error;   // why it failed, when !ok
};

using TaskFunction = TaskOutcome (*)(std::string_view payload);

// Adds function under name to the process-wide table. Returns true, so that it can
// initialise a static; throws std::invalid_argument for a name registered twice.
bool register_task(std::string_view name, TaskFunction function);

namespace detail {
// Adapts a task returning a string (its value), TaskOutcome, or nothing. A task that
// throws fails with the exception's message (the worker catches it).
template <auto Function>
TaskOutcome call_task(std::string_view payload) {
    using Returned = decltype(Function(payload));
    if constexpr (std::is_same_v<Returned, TaskOutcome>) {
        return Function(payload);
    } else if constexpr (std::is_void_v<Returned>) {
        Function(payload);
        return {};
    } else {
        return TaskOutcome{true, std::string(Function(payload)), {}};
    }
}
}  // namespace detail

}  // namespace ringrun

#define RINGRUN_TASK_CONCAT_(a, b) a##b
#define RINGRUN_TASK_NAME_(line) RINGRUN_TASK_CONCAT_(ringrun_task_registered_, line)

// Registers function (a function taking std::string_view and returning std::string,
// TaskOutcome or void) under name. At namespace scope in a .cpp file of the program.
#define RINGRUN_TASK_NAMED(name, function)                            \
    [[maybe_unused]] static const bool RINGRUN_TASK_NAME_(__LINE__) = \
        ::ringrun::register_task(name, &::ringrun::detail::call_task<&function>)

// Registers function under its own name: RINGRUN_TASK(resize_image);
#define RINGRUN_TASK(function) RINGRUN_TASK_NAMED(#function, function)
