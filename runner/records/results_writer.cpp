// Results as a directory tree or as JSON Lines.
#include "runner/records/results_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "ipc/system_call.hpp"
#include "runner/core/exit_codes.hpp"
#include "runner/records/record_file.hpp"

namespace ringrun {
namespace {

// Length of the UTF-8 sequence starting at s[i], or 0 if it is not one.
size_t utf8_length(std::string_view s, size_t i) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return 0;
    for (size_t k = 1; k < n; ++k)
        if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return 0;
    return n;
}

// A value as one path component: '/' cannot appear in one (GNU parallel writes \_).
std::string path_component(const std::string& value) {
    std::string out;
    for (char c : value) {
        if (c == '/')
            out += "\\_";
        else
            out += c;
    }
    if (out.empty() || out == "." || out == "..") out = "\\_" + out;
    return out.substr(0, 255);
}

std::string json_number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", v);
    return buf;
}

std::string metadata_json(uint64_t seq, std::span<const std::string> inputs, const JobResult& r,
                          const std::string& command_line) {
    std::string j = "{\"seq\":" + std::to_string(seq) + ",\"input\":[";
    for (size_t i = 0; i < inputs.size(); ++i) j += (i ? "," : "") + json_string(inputs[i]);
    j += "],\"command\":" + json_string(command_line);
    j += ",\"status\":\"" + std::string(status_name(r.status)) + "\"";
    j += ",\"exit\":" + std::to_string(r.exit_code) + ",\"signal\":" + std::to_string(r.signal);
    if (r.status != JobStatus::ok) {
        j += ",\"cause\":" + json_string(failure_cause(r));
        j += std::string(",\"core_dumped\":") + (r.core_dumped ? "true" : "false");
    }
    j += ",\"peak_rss_kb\":" + std::to_string(r.max_rss_kb);
    j += ",\"user_cpu\":" + json_number(static_cast<double>(r.user_cpu_us) / 1e6);
    j += ",\"sys_cpu\":" + json_number(static_cast<double>(r.sys_cpu_us) / 1e6);
    j += ",\"attempts\":" + std::to_string(r.attempt);
    j += ",\"start\":" + json_number(static_cast<double>(r.start_ns) / 1e9);
    j += ",\"runtime\":" + json_number(static_cast<double>(r.end_ns - r.start_ns) / 1e9);
    if (!r.error_text.empty()) j += ",\"error\":" + json_string(r.error_text);
    return j;
}

}  // namespace

std::string json_string(std::string_view s) {
    std::string out = "\"";
    for (size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        size_t n = utf8_length(s, i);
        if (n > 1) {
            out.append(s.substr(i, n));
            i += n;
            continue;
        }
        ++i;
        switch (c) {
            case '"':
                out += "\\\"";
                continue;
            case '\\':
                out += "\\\\";
                continue;
            case '\n':
                out += "\\n";
                continue;
            case '\t':
                out += "\\t";
                continue;
            case '\r':
                out += "\\r";
                continue;
            default:
                break;
        }
        if (c < 0x20 || n == 0) {
            char esc[8];
            std::snprintf(esc, sizeof esc, "\\u%04x", c);
            out += esc;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

ResultsWriter::ResultsWriter(const std::string& target) : target_(target) {
    jsonl_ = target.size() > 6 && target.compare(target.size() - 6, 6, ".jsonl") == 0;
    if (jsonl_) {
        jsonl_fd_ = open_record_file(target, RecordFileMode::fresh, "--results");
        return;
    }
    pattern_ = ReplacementText(target);
    // The part before the first replacement string is the user's own path; below it,
    // every directory is walked without following symlinks.
    const size_t brace = pattern_.has_replacement() ? target.find('{') : std::string::npos;
    const size_t slash = brace == std::string::npos ? target.size() : target.rfind('/', brace);
    top_path_ = slash == std::string::npos ? "" : target.substr(0, slash);
    top_.emplace(OwnedDirectory::open_top(top_path_, "--results"));
}

void ResultsWriter::set_computed_count(size_t n) {
    computed_count_ = n;
    pattern_.set_computed_count(n);
}

std::span<const std::string> ResultsWriter::real_inputs(
    const std::vector<std::string>& inputs) const {
    return std::span(inputs).first(inputs.size() - std::min(computed_count_, inputs.size()));
}

ResultsWriter::~ResultsWriter() {
    if (jsonl_fd_ >= 0) ::close(jsonl_fd_);
}

std::string ResultsWriter::job_directory(uint64_t seq, uint32_t slot,
                                         const std::vector<std::string>& inputs) const {
    std::string dir;
    if (pattern_.has_replacement()) {
        pattern_.expand(seq, slot, inputs, false, dir);
        // Past the user's own part (an input may have made the path absolute: it is
        // then taken below it all the same).
        return dir.compare(0, top_path_.size(), top_path_) == 0 ? dir.substr(top_path_.size())
                                                                : dir;
    }
    const auto real = real_inputs(inputs);
    for (size_t i = 0; i < real.size(); ++i)
        dir += "/" + std::to_string(i + 1) + "/" + path_component(real[i]);
    return dir;
}

void ResultsWriter::job_finished(uint64_t seq, uint32_t slot,
                                 const std::vector<std::string>& inputs, const JobResult& r,
                                 const std::string& command_line) {
    if (jsonl_) {
        line_ = metadata_json(seq, real_inputs(inputs), r, command_line);
        auto output = [&](const char* name, const std::string& text, const std::string& file) {
            if (file.empty()) {
                line_ += ",\"" + std::string(name) + "\":" + json_string(text);
                return;
            }
            if (!spill_top_)
                spill_top_.emplace(OwnedDirectory::open_top(target_ + ".d", "--results"));
            const std::string leaf = std::to_string(seq) + "." + name;
            spill_top_->link_file(leaf, file);
            line_ += ",\"" + std::string(name) +
                     "_path\":" + json_string(spill_top_->path() + "/" + leaf);
        };
        output("stdout", r.out, r.out_file);
        output("stderr", r.err, r.err_file);
        line_ += "}\n";
        write_row(jsonl_fd_, line_, target_);
        return;
    }
    const OwnedDirectory dir = top_->below(job_directory(seq, slot, inputs));
    auto save = [&](const char* name, const std::string& text, const std::string& file) {
        if (file.empty())
            dir.write_file(name, text);
        else
            dir.link_file(name, file);  // the printer deletes the worker's file later
    };
    save("stdout", r.out, r.out_file);
    save("stderr", r.err, r.err_file);
    dir.write_file("seq", std::to_string(seq));
    dir.write_file("result.json", metadata_json(seq, real_inputs(inputs), r, command_line) + "}\n");
}

}  // namespace ringrun
