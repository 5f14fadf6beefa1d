// Which kind of worker runs jobs: forked processes (a crash kills one worker, which is
// replaced) or threads of the running program (a crash kills the program).
#pragma once

namespace ringrun {

enum class Backend { processes, threads };

}  // namespace ringrun
