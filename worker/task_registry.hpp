// The table of in-process tasks a worker can call by name. Workers are forked from the
// supervisor (or are its threads), so they all see the same table. Registration happens
// before any worker starts; lookups never lock or allocate.
#pragma once

#include <ringrun/task.hpp>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ringrun {

class TaskRegistry {
  public:
    // Throws std::invalid_argument for a name registered twice.
    void add(std::string name, TaskFunction function);
    TaskFunction find(std::string_view name) const;

  private:
    struct Hash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    std::unordered_map<std::string, TaskFunction, Hash, std::equal_to<>> tasks_;
};

// The process-wide registry, with the built-in tasks (noop, echo, spin, sleep, crash).
TaskRegistry& task_registry();

}  // namespace ringrun
