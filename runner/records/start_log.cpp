// The start log is a record file (runner/records/record_file.hpp): no symlink followed,
// rows whole or cut back.
#include "runner/records/start_log.hpp"

#include <unistd.h>

#include <charconv>

#include "runner/records/record_file.hpp"

namespace ringrun {

StartLog::StartLog(const std::string& joblog_path, bool append) : path_(joblog_path + ".started") {
    fd_ = open_record_file(path_, append ? RecordFileMode::append : RecordFileMode::fresh,
                           "the start log");
    if (!append) return;
    const std::string text = read_record_file(fd_);
    const char* at = text.data();
    const char* end = at + text.size();
    while (at < end) {
        uint64_t seq = 0;
        auto [next, ec] = std::from_chars(at, end, seq);
        if (ec == std::errc()) earlier_.push_back(seq);
        while (next < end && *next != '\n') ++next;
        at = next + 1;
    }
}

StartLog::~StartLog() {
    if (fd_ >= 0) ::close(fd_);
}

void StartLog::job_handed_out(uint64_t seq) {
    row_ = std::to_string(seq);
    row_ += '\n';
    write_row(fd_, row_, path_);
}

std::vector<uint64_t> StartLog::unfinished(const std::map<uint64_t, LoggedJob>& finished) const {
    std::vector<uint64_t> seqs;
    for (uint64_t seq : earlier_)
        if (!finished.count(seq) && (seqs.empty() || seqs.back() != seq)) seqs.push_back(seq);
    return seqs;
}

std::string seq_list(const std::vector<uint64_t>& seqs) {
    std::string text;
    const size_t shown = std::min<size_t>(seqs.size(), 10);
    for (size_t i = 0; i < shown; ++i) text += (i ? ", " : "") + std::to_string(seqs[i]);
    if (seqs.size() > shown) text += " and " + std::to_string(seqs.size() - shown) + " more";
    return text;
}

}  // namespace ringrun
