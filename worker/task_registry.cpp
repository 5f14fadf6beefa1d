// Registry storage and the process-wide instance.
#include "worker/task_registry.hpp"

#include <stdexcept>

namespace ringrun {

void register_builtin_tasks(TaskRegistry& registry);  // builtin_tasks.cpp

void TaskRegistry::add(std::string name, TaskFunction function) {
    if (!tasks_.emplace(name, function).second)
        throw std::invalid_argument("task '" + name + "' is registered twice");
}

TaskFunction TaskRegistry::find(std::string_view name) const {
    auto it = tasks_.find(name);
    return it == tasks_.end() ? nullptr : it->second;
}

bool register_task(std::string_view name, TaskFunction function) {
    task_registry().add(std::string(name), function);
    return true;
}

TaskRegistry& task_registry() {
    static TaskRegistry registry = [] {
        TaskRegistry r;
        register_builtin_tasks(r);
        return r;
    }();
    return registry;
}

}  // namespace ringrun
