/* The machine's limit for running a command, as DESIGN.md's anchor row defines it:
   posix_spawn + waitpid in a loop, nothing else. bench/compare.sh runs two of these at
   once and compares ringrun with them. Not a part of ringrun; never used by the runner.
   Usage: spawn_loop COUNT PROGRAM [ARG...] */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

extern char** environ;

int main(int argc, char** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: spawn_loop COUNT PROGRAM [ARG...]\n");
        return 2;
    }
    long count = strtol(argv[1], NULL, 10);
    for (long i = 0; i < count; ++i) {
        pid_t pid;
        if (posix_spawnp(&pid, argv[2], NULL, NULL, argv + 2, environ) != 0) return 1;
        int status;
        if (waitpid(pid, &status, 0) < 0) return 1;
    }
    return 0;
}
