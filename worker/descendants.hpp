// A process worker's hold on everything its commands start: it is their subreaper
// (PR_SET_CHILD_SUBREAPER), so a daemon that forks and setsids out of its command's
// process group comes back to the worker when its parent exits, instead of to init.
// The worker reaps those that end between jobs and kills all that are left when it
// exits, so nothing a job started outlives the run. What still escapes: a descendant
// of a worker that is SIGKILLed itself (the orphan reaper then kills those that kept
// the run's mark in their environment), and one that is handed to another service
// (systemd-run, at, a container runtime).
// Must never be used in a process whose other children it does not own (the threads
// backend's supervisor, a library user's program).
#pragma once

namespace ringrun {

// Makes this process the subreaper of its descendants.
void adopt_descendants();
// Reaps descendants that have exited, without waiting for any.
void reap_exited_descendants();
// SIGKILLs every descendant (and the groups they lead), round after round as orphans
// come back, and reaps them.
void kill_descendants();

}  // namespace ringrun
