# The one definition of what crosses a ring: a Job travels supervisor -> worker,
# a Result travels worker -> supervisor. Nothing else is ever written into a ring.
# A task's Job and Result whose fields are all in worker/task_record.hpp's compact
# layout travel in that layout instead (a subset of these fields, cheaper per task).
# Fields are only ever added (never renumbered), so old and new builds interoperate.
@0xf7ee3fb192b0673a;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("ringrun::schema");

struct EnvVar {
  name @0 :Text;
  value @1 :Text;
}

struct Job {
  id @0 :UInt64;          # sequence number, 1-based, unique in a run
  attempt @1 :UInt32;     # 1 for the first try
  what :union {
    argv @2 :List(Text);  # run directly, no shell
    shell @3 :Text;       # run as /bin/sh -c LINE
    task :group {         # call a registered in-process task
      name @4 :Text;
      payload @5 :Data;
    }
  }
  env @6 :List(EnvVar);   # additions to the worker's environment
  cwd @7 :Text;           # empty: the supervisor's working directory
  timeoutMs @8 :UInt64;   # 0: no timeout
  tag @9 :Text;           # --line-buffer: prefix of each output line the worker prints
  memoryLimit @10 :UInt64; # bytes of address space (RLIMIT_AS); 0: none
}

enum Status {
  ok @0;        # exit code 0 / task returned
  failed @1;    # non-zero exit code / task reported failure
  signaled @2;  # killed by a signal
  timeout @3;   # overran its timeout and was killed
  lost @4;      # its worker died before reporting it
  error @5;     # could not be started (no such command, bad cwd, unknown task)
  cancelled @6; # never started: the run stopped starting jobs before its turn came
  memoryLimit @7;  # ran out of its memory limit (the job's memoryLimit)
}

struct Result {
  id @0 :UInt64;
  attempt @1 :UInt32;
  workerSlot @2 :UInt32;
  status @3 :Status;
  exitCode @4 :Int32;
  signal @5 :Int32;
  startNs @6 :Int64;      # CLOCK_REALTIME, nanoseconds since the epoch
  endNs @7 :Int64;
  userCpuUs @8 :Int64;
  sysCpuUs @9 :Int64;
  maxRssKb @10 :Int64;
  stdout @11 :Data;
  stderr @12 :Data;
  errorText @13 :Text;    # why status is error, in one line
  stdoutFile @14 :Text;   # output that outgrew the inline limit: the file holding all of
  stderrFile @15 :Text;   # it (the supervisor prints, moves or deletes it)
  stdoutBytes @16 :UInt64;  # bytes the command wrote on stdout, in whatever mode
  coreDumped @17 :Bool;     # signaled: it left a core dump
}

struct JsonLine {
  # One line of `ringrun --jsonl`, decoded with Cap'n Proto's JSON codec (unknown fields
  # rejected). In the line, "cmd" is a command line (a string, run by /bin/sh) or an argv
  # (a list, run directly): the reader renames it to shell or argv; "env" is an object
  # {"NAME": "value"}, which the reader turns into the EnvVar list.
  id @0 :Text;            # the caller's name for the job: shown in messages, --tag
  shell @1 :Text;
  argv @2 :List(Text);
  task @3 :Text;          # an in-process task instead of a command
  payload @4 :Text;
  env @5 :List(EnvVar);
  cwd @6 :Text;
  timeout @7 :Float64;    # seconds; 0: the run's --timeout
  retries @8 :UInt32;     # attempts in all; 0: the run's --retries
}
