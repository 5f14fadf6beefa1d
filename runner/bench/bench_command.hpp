// `ringrun bench`: the processes-versus-threads contrast, measured on this machine. A
// matrix of backend × workload runs through ringrun::Pool, each cell in a child process
// of its own (so that its memory is its own, and a crash on threads takes only the
// child down), and prints a table, or JSON with --json.
// Must never let one cell's failure stop the others.
#pragma once

namespace ringrun {

// True if argv names the bench subcommand.
bool is_bench_command(int argc, char** argv);
// Runs it; returns the exit code (2 for a bad command line).
int run_bench_command(int argc, char** argv);

}  // namespace ringrun
