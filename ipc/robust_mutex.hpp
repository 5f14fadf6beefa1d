// A pthread mutex that is both PTHREAD_PROCESS_SHARED and PTHREAD_MUTEX_ROBUST, placed
// in shared memory. If its owner dies holding it, the next locker is told so (OwnerDied)
// and must repair the data it guards before calling mark_consistent().
// It must never be a plain process-shared mutex: a SIGKILLed owner would hang everyone.
#pragma once

#include <pthread.h>

namespace ringrun::ipc {

class RobustMutex {
  public:
    enum class LockOutcome { acquired, owner_died };

    // Initialises the mutex in place (once, by the creator of the memory).
    void init();

    // Blocks until held. owner_died: the previous owner died holding it; the caller
    // now holds it, must repair the guarded state and then call mark_consistent().
    LockOutcome lock();
    void mark_consistent();
    void unlock();

  private:
    pthread_mutex_t mutex_;
};

}  // namespace ringrun::ipc
