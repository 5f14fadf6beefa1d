// Results as a directory tree or as JSON Lines.
#include "runner/records/results_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "ipc/system_call.hpp"
#include "runner/core/exit_codes.hpp"

namespace ringrun {
namespace {

namespace fs = std::filesystem;

// Length of the UTF-8 sequence starting at s[i], or 0 if it is not one.
size_t utf8_length(std::string_view s, size_t i) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return 0;
    for (size_t k = 1; k < n; ++k)
        if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return 0;
    return n;
}

void write_file(const fs::path& path, std::string_view text) {
    int fd = sys::checked("open", path.string(), [&] {
        return ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    });
    sys::write_all(fd, text.data(), text.size(), path.string());
    ::close(fd);
}

// The output either in memory or in the worker's file: a file is linked (or copied
// across file systems) to path; the printer deletes the original later.
void save_output(const fs::path& path, const std::string& text, const std::string& file) {
    if (file.empty()) {
        write_file(path, text);
        return;
    }
    fs::remove(path);
    if (::link(file.c_str(), path.c_str()) == 0) return;
    fs::copy_file(file, path, fs::copy_options::overwrite_existing);
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

std::string metadata_json(uint64_t seq, const std::vector<std::string>& inputs, const JobResult& r,
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
    std::error_code ec;
    if (jsonl_) {
        jsonl_fd_ = ::open(target.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (jsonl_fd_ < 0)
            throw UsageError("cannot write --results '" + target + "': " + std::strerror(errno));
        return;
    }
    pattern_ = ReplacementText(target);
    if (pattern_.has_replacement()) return;
    fs::create_directories(target, ec);
    if (ec) throw UsageError("cannot create --results '" + target + "': " + ec.message());
}

ResultsWriter::~ResultsWriter() {
    if (jsonl_fd_ >= 0) ::close(jsonl_fd_);
}

std::string ResultsWriter::job_directory(uint64_t seq, uint32_t slot,
                                         const std::vector<std::string>& inputs) const {
    if (pattern_.has_replacement()) {
        std::string dir;
        pattern_.expand(seq, slot, inputs, false, dir);
        return dir;
    }
    std::string dir = target_;
    for (size_t i = 0; i < inputs.size(); ++i)
        dir += "/" + std::to_string(i + 1) + "/" + path_component(inputs[i]);
    return dir;
}

void ResultsWriter::job_finished(uint64_t seq, uint32_t slot,
                                 const std::vector<std::string>& inputs, const JobResult& r,
                                 const std::string& command_line) {
    if (jsonl_) {
        line_ = metadata_json(seq, inputs, r, command_line);
        auto output = [&](const char* name, const std::string& text, const std::string& file) {
            if (file.empty()) {
                line_ += ",\"" + std::string(name) + "\":" + json_string(text);
                return;
            }
            fs::path dir = target_ + ".d";
            fs::create_directories(dir);
            fs::path path = dir / (std::to_string(seq) + "." + name);
            save_output(path, text, file);
            line_ += ",\"" + std::string(name) + "_path\":" + json_string(path.string());
        };
        output("stdout", r.out, r.out_file);
        output("stderr", r.err, r.err_file);
        line_ += "}\n";
        sys::write_all(jsonl_fd_, line_.data(), line_.size(), target_);
        return;
    }
    fs::path dir = job_directory(seq, slot, inputs);
    fs::create_directories(dir);
    save_output(dir / "stdout", r.out, r.out_file);
    save_output(dir / "stderr", r.err, r.err_file);
    write_file(dir / "seq", std::to_string(seq));
    write_file(dir / "result.json", metadata_json(seq, inputs, r, command_line) + "}\n");
}

}  // namespace ringrun
