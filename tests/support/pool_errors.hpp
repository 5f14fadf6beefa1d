// What the library's tests share: the TaskError a task failed with, through a future
// or Pool::apply (a test failure if it did not fail). Header only: the library's tests
// link libringrun.so and nothing of ringrun's internals.
#pragma once

#include <gtest/gtest.h>

#include <future>
#include <optional>
#include <ringrun/pool.hpp>
#include <string>
#include <string_view>

namespace ringrun::testing {

inline std::optional<TaskError> error_of(std::future<std::string> f) {
    try {
        f.get();
    } catch (const TaskError& e) {
        return e;
    }
    ADD_FAILURE() << "no exception";
    return std::nullopt;
}

inline std::optional<TaskError> apply_error(Pool& pool, std::string_view task,
                                            std::string payload) {
    try {
        pool.apply(task, std::move(payload));
    } catch (const TaskError& e) {
        return e;
    }
    ADD_FAILURE() << "no exception";
    return std::nullopt;
}

}  // namespace ringrun::testing
