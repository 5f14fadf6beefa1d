// Sets the process title seen by ps and top ("ringrun: worker 3"), as nginx and PostgreSQL
// name their processes: the argv area (extended over the environment strings, which are
// first copied elsewhere) is overwritten. init must run once in main before anything
// reads environ; never call set from a thread of a multi-threaded process.
#pragma once

#include <string_view>

namespace ringrun {

void init_process_title(int argc, char** argv);
void set_process_title(std::string_view title);

}  // namespace ringrun
