// Process title by argv overwrite plus PR_SET_NAME for the kernel's comm field.
#include "worker/process_title.hpp"

#include <sys/prctl.h>

#include <cstdlib>
#include <cstring>
#include <string>

extern char** environ;

namespace ringrun {
namespace {
char* title_area = nullptr;
size_t title_capacity = 0;
}  // namespace

void init_process_title(int argc, char** argv) {
    if (argc <= 0 || !argv || !argv[0]) return;
    char* begin = argv[0];
    char* end = argv[0] + std::strlen(argv[0]) + 1;
    for (int i = 1; i < argc; ++i)
        if (argv[i] == end) end = argv[i] + std::strlen(argv[i]) + 1;
    size_t env_count = 0;
    while (environ[env_count]) ++env_count;
    bool env_contiguous = true;
    for (size_t i = 0; i < env_count && env_contiguous; ++i) {
        if (environ[i] == end)
            end = environ[i] + std::strlen(environ[i]) + 1;
        else
            env_contiguous = false;
    }
    if (env_contiguous && env_count > 0) {
        // The environment strings follow argv: move them so the title can use their space.
        char** copy = static_cast<char**>(std::malloc((env_count + 1) * sizeof(char*)));
        if (!copy) return;
        for (size_t i = 0; i < env_count; ++i) copy[i] = strdup(environ[i]);
        copy[env_count] = nullptr;
        environ = copy;
        // Kept for the life of the process: setenv may replace environ later, and the
        // strings must stay valid (and reachable, for leak checkers) all the same. Volatile,
        // so the store is not optimised away.
        [[maybe_unused]] static char** volatile moved_environment = nullptr;
        moved_environment = copy;
    } else {
        end = argv[argc - 1] + std::strlen(argv[argc - 1]) + 1;
    }
    title_area = begin;
    title_capacity = static_cast<size_t>(end - begin);
}

void set_process_title(std::string_view title) {
    std::string comm(title.substr(0, 15));
    prctl(PR_SET_NAME, comm.c_str(), 0, 0, 0);
    if (!title_area || title_capacity < 2) return;
    size_t n = std::min(title.size(), title_capacity - 1);
    std::memcpy(title_area, title.data(), n);
    std::memset(title_area + n, 0, title_capacity - n);
}

}  // namespace ringrun
