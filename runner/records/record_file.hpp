// Opening the files a run keeps its records in (the joblog, --results FILE.jsonl, a job
// file's state) where another local user may have planted something: a new file is
// made under a temporary name with O_EXCL|O_NOFOLLOW and renamed into place, so a planted
// symlink is replaced, never written through; an existing file is appended to only if it
// is a regular file of this user, reached without a symlink, and a torn last row (a full
// disk, a killed run) is cut off first.
// Must never follow a symlink at the file's own name, nor write into another user's file.
#pragma once

#include <string>
#include <string_view>

namespace ringrun {

enum class RecordFileMode {
    fresh,   // start empty (whatever was there is replaced)
    append,  // keep what is there, whole rows only
};

// An open file descriptor for path (O_WRONLY, O_APPEND when appending), or UsageError
// naming what (e.g. "--joblog") and why.
int open_record_file(const std::string& path, RecordFileMode mode, const std::string& what);

// Writes one row (a joblog line, a JSON line, a state line) to fd, whole or not at all:
// if the disk fills up part way, the part written is cut off again before SystemError is
// thrown (ENOSPC, which stops the run: docs/exit-codes.md).
void write_row(int fd, std::string_view row, const std::string& what);

// What a file opened for appending holds (whole rows only, once opened); "" if it was
// opened write-only.
std::string read_record_file(int fd);

}  // namespace ringrun
