// Grouped output: one job at a time, stdout then stderr, tagged if asked.
#include "runner/records/output_sink.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "ipc/system_call.hpp"

namespace ringrun {
namespace {

// Writes text with tag before every line (text may end without a newline).
void write_tagged(int fd, std::string_view text, const std::string& tag, bool& at_line_start,
                  std::string& scratch) {
    if (tag.empty()) {
        sys::write_all(fd, text.data(), text.size(), "output");
        if (!text.empty()) at_line_start = text.back() == '\n';
        return;
    }
    scratch.clear();
    size_t start = 0;
    while (start < text.size()) {
        if (at_line_start) scratch += tag;
        size_t nl = text.find('\n', start);
        size_t stop = nl == std::string_view::npos ? text.size() : nl + 1;
        scratch.append(text.substr(start, stop - start));
        at_line_start = nl != std::string_view::npos;
        start = stop;
    }
    sys::write_all(fd, scratch.data(), scratch.size(), "output");
}

}  // namespace

void OutputPrinter::write_stream(int fd, const std::string& text, const std::string& file,
                                 const std::string& tag, bool end_with_newline) {
    bool at_line_start = true;
    std::string scratch;
    if (!file.empty()) {
        int in = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
        if (in >= 0) {
            std::string chunk(1 << 16, '\0');
            char last_byte = '\n';
            for (;;) {
                ssize_t n =
                    sys::retry_eintr([&] { return ::read(in, chunk.data(), chunk.size()); });
                if (n <= 0) break;
                write_tagged(fd, std::string_view(chunk.data(), static_cast<size_t>(n)), tag,
                             at_line_start, scratch);
                last_byte = chunk[static_cast<size_t>(n) - 1];
            }
            ::close(in);
            if (end_with_newline && last_byte != '\n') sys::write_all(fd, "\n", 1, "output");
        }
        return;
    }
    write_tagged(fd, text, tag, at_line_start, scratch);
    if (end_with_newline && !text.empty() && text.back() != '\n')
        sys::write_all(fd, "\n", 1, "output");
}

bool OutputPrinter::print(Held& held) {
    JobResult& r = held.result;
    if (!closed_ && !held.skipped) {
        try {
            // Commands wrote their own output in the other modes; a task's is a value.
            if (!held.command_line.empty())
                write_stream(options_.out_fd, held.command_line, {}, held.tag, true);
            if (options_.mode == OutputMode::grouped || options_.values_are_task_output) {
                if (options_.print_stdout)
                    write_stream(options_.out_fd, r.out, r.out_file, held.tag,
                                 options_.values_are_task_output);
                write_stream(options_.err_fd, r.err, r.err_file, held.tag, false);
            }
            if (!held.note.empty())
                sys::write_all(options_.err_fd, held.note.data(), held.note.size(), "stderr");
        } catch (const sys::SystemError& e) {
            if (e.error_number() != EPIPE) throw;
            closed_ = true;
        }
    }
    remove_output_files(r);
    return !closed_;
}

bool OutputPrinter::job_finished(uint64_t seq, uint32_t slot,
                                 const std::vector<std::string>& inputs, JobResult& result,
                                 const std::string& note) {
    Held held;
    if (options_.tag) {
        options_.tag->expand(seq, slot, inputs, false, held.tag);
        held.tag += '\t';
    }
    held.note = note;
    if (options_.verbose) held.command_line = options_.verbose->command_line(seq, slot, inputs);
    if (!options_.keep_order) {
        held.result = std::move(result);
        return print(held);
    }
    held_bytes_ += result.out.size() + result.err.size();
    held.result = std::move(result);
    held_.emplace(seq, std::move(held));
    while (print_next_in_order()) {
    }
    return !closed_;
}

bool OutputPrinter::job_skipped(uint64_t seq) {
    if (!options_.keep_order) return !closed_;
    Held held;
    held.skipped = true;
    held_.emplace(seq, std::move(held));
    while (print_next_in_order()) {
    }
    return !closed_;
}

bool OutputPrinter::print_next_in_order() {
    auto it = held_.find(next_in_order_);
    if (it == held_.end()) return false;
    held_bytes_ -= it->second.result.out.size() + it->second.result.err.size();
    print(it->second);
    held_.erase(it);
    ++next_in_order_;
    return true;
}

bool OutputPrinter::flush_all() {
    for (auto& [seq, held] : held_) print(held);
    held_.clear();
    held_bytes_ = 0;
    return !closed_;
}

}  // namespace ringrun
