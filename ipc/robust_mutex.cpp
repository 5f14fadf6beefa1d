// Robust, process-shared pthread mutex. The only lock any worker ever holds.
// Must never return with the mutex in an unknown state: every path either holds it
// (possibly owner_died) or throws because the mutex is unrecoverable.
#include "ipc/robust_mutex.hpp"

#include <cerrno>

#include "ipc/futex_word.hpp"
#include "ipc/system_call.hpp"

namespace ringrun::ipc {
namespace {
constexpr int kSpinTries = 200;
}  // namespace

void RobustMutex::init() {
    pthread_mutexattr_t attr;
    sys::check_error_number("pthread_mutexattr_init", "ring", pthread_mutexattr_init(&attr));
    sys::check_error_number("pthread_mutexattr_setpshared", "PTHREAD_PROCESS_SHARED",
                            pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED));
    sys::check_error_number("pthread_mutexattr_setrobust", "PTHREAD_MUTEX_ROBUST",
                            pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST));
    int rc = pthread_mutex_init(&mutex_, &attr);
    pthread_mutexattr_destroy(&attr);
    sys::check_error_number("pthread_mutex_init", "ring", rc);
}

RobustMutex::LockOutcome RobustMutex::lock() {
    // Critical sections are a few index stores long, and glibc's robust mutexes never
    // spin: without this, every brush with the other side costs two futex system calls.
    for (int i = 0; i < kSpinTries; ++i) {
        int rc = pthread_mutex_trylock(&mutex_);
        if (rc == 0) return LockOutcome::acquired;
        if (rc == EOWNERDEAD) return LockOutcome::owner_died;
        if (rc != EBUSY) sys::check_error_number("pthread_mutex_trylock", "ring", rc);
        cpu_relax();
    }
    int rc = pthread_mutex_lock(&mutex_);
    if (rc == 0) return LockOutcome::acquired;
    if (rc == EOWNERDEAD) return LockOutcome::owner_died;
    // ENOTRECOVERABLE: someone unlocked after EOWNERDEAD without repairing. Our own code
    // never does that, so this is memory corruption.
    sys::check_error_number("pthread_mutex_lock", "ring", rc);
    return LockOutcome::acquired;
}

void RobustMutex::mark_consistent() {
    sys::check_error_number("pthread_mutex_consistent", "ring", pthread_mutex_consistent(&mutex_));
}

void RobustMutex::unlock() {
    pthread_mutex_unlock(&mutex_);
}

}  // namespace ringrun::ipc
