// Writing and reading GNU parallel's joblog format.
#include "runner/records/joblog.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "ipc/system_call.hpp"
#include "runner/core/exit_codes.hpp"
#include "runner/records/record_file.hpp"

namespace ringrun {
namespace {

constexpr const char* kHeader =
    "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n";

}  // namespace

JoblogWriter::JoblogWriter(const std::string& path, bool append) : path_(path) {
    if (path == "-") {
        fd_ = STDOUT_FILENO;
    } else {
        fd_ = open_record_file(path, append ? RecordFileMode::append : RecordFileMode::fresh,
                               "--joblog");
        owns_fd_ = true;
    }
    // An appended log gets its header only if it is new (as GNU parallel).
    if (!append || lseek(fd_, 0, SEEK_END) == 0)
        sys::write_all(fd_, kHeader, std::strlen(kHeader), path_);
}

JoblogWriter::~JoblogWriter() {
    if (owns_fd_) ::close(fd_);
}

int joblog_exit_value(const JobResult& r) {
    if (r.status == JobStatus::timeout || r.status == JobStatus::lost) return -1;
    return r.exit_code;
}

void JoblogWriter::job_finished(uint64_t seq, const JobResult& r, const std::string& command) {
    char numbers[160];
    const double start = static_cast<double>(r.start_ns) / 1e9;
    const double runtime = static_cast<double>(r.end_ns - r.start_ns) / 1e9;
    std::snprintf(numbers, sizeof numbers, "%llu\t:\t%.3f\t%10.3f\t0\t%llu\t%d\t%d\t",
                  static_cast<unsigned long long>(seq), start, runtime,
                  static_cast<unsigned long long>(r.out_bytes), joblog_exit_value(r), r.signal);
    line_ = numbers;
    for (char c : command) line_ += c == '\n' ? '\0' : c;  // as GNU parallel writes it
    line_ += '\n';
    write_row(fd_, line_, path_);
}

std::map<uint64_t, LoggedJob> read_joblog(const std::string& path) {
    std::map<uint64_t, LoggedJob> jobs;
    std::ifstream in(path, std::ios::binary);
    if (!in) return jobs;
    std::string line;
    size_t number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (number == 1 && line.rfind("Seq\t", 0) == 0) continue;
        // Seq Host Starttime JobRuntime Send Receive Exitval Signal Command
        size_t fields[8];
        size_t at = 0;
        bool ok = true;
        for (size_t& f : fields) {
            at = line.find('\t', at);
            if (at == std::string::npos) {
                ok = false;
                break;
            }
            f = at++;
        }
        char* end = nullptr;
        unsigned long long seq = ok ? std::strtoull(line.c_str(), &end, 10) : 0;
        if (!ok || seq == 0 || end != line.c_str() + fields[0]) {
            if (in.eof()) break;  // a last line cut short by a kill: not a finished job
            throw UsageError(path + ":" + std::to_string(number) + ": not a joblog line");
        }
        long exitval = std::strtol(line.c_str() + fields[5] + 1, nullptr, 10);
        long signal = std::strtol(line.c_str() + fields[6] + 1, nullptr, 10);
        LoggedJob& job = jobs[seq];
        job.succeeded |= exitval == 0 && signal == 0;
        job.command = line.substr(fields[7] + 1);
        for (char& c : job.command)
            if (c == '\0') c = '\n';
    }
    return jobs;
}

}  // namespace ringrun
