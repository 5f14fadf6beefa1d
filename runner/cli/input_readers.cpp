// Argument lists, line streams, column splitting and argument batches.
#include "runner/cli/input_readers.hpp"

#include <unistd.h>

#include <algorithm>
#include <random>
#include <stdexcept>

// GCC 12 with -fsanitize=address warns that libstdc++'s own regex compiler may use an
// uninitialised std::function (GCC bug 105562, a false positive, reported where the
// template is instantiated): silenced in this file, the only one that compiles a regex.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <regex>

#include "ipc/system_call.hpp"

namespace ringrun {

ArgumentProduct::ArgumentProduct(std::vector<InputList> lists, bool wrap_links)
    : lists_(std::move(lists)) {
    done_ = lists_.empty();
    for (size_t i = 0; i < lists_.size(); ++i) {
        if (groups_.empty() || !lists_[i].linked)
            groups_.push_back(Group{{}, wrap_links ? 0 : SIZE_MAX, 0});
        groups_.back().lists.push_back(i);
        size_t n = lists_[i].values.size();
        done_ |= n == 0;
        groups_.back().length =
            wrap_links ? std::max(groups_.back().length, n) : std::min(groups_.back().length, n);
    }
}

uint64_t ArgumentProduct::size() const {
    uint64_t n = groups_.empty() ? 0 : 1;
    for (const auto& g : groups_) n *= g.length;
    return n;
}

bool ArgumentProduct::next(std::vector<std::string>& inputs) {
    if (done_) return false;
    inputs.resize(lists_.size());
    for (const auto& g : groups_)
        for (size_t list : g.lists)
            inputs[list] = lists_[list].values[g.position % lists_[list].values.size()];
    // Odometer over the groups: the last varies fastest.
    size_t i = groups_.size();
    while (i > 0) {
        --i;
        if (++groups_[i].position < groups_[i].length) return true;
        groups_[i].position = 0;
    }
    done_ = true;
    return true;
}

LineStream::LineStream(int fd, char delimiter, bool owns_fd)
    : fd_(fd), delimiter_(delimiter), owns_fd_(owns_fd) {}

LineStream::~LineStream() {
    if (owns_fd_) ::close(fd_);
}

bool LineStream::next(std::vector<std::string>& inputs) {
    size_t end = buffer_.find(delimiter_, offset_);
    if (end == std::string::npos) {
        if (!eof_ || offset_ >= buffer_.size()) return false;
        end = buffer_.size();  // a last record without a delimiter
    }
    inputs.resize(1);
    inputs[0].assign(buffer_, offset_, end - offset_);
    offset_ = std::min(end + 1, buffer_.size());
    return true;
}

void LineStream::fill() {
    if (eof_) return;
    if (offset_ > 0 && offset_ * 2 >= buffer_.size()) {
        buffer_.erase(0, offset_);
        offset_ = 0;
    }
    constexpr size_t kChunk = 64 * 1024;
    size_t old = buffer_.size();
    buffer_.resize(old + kChunk);
    ssize_t n =
        sys::checked("read", "input", [&] { return ::read(fd_, buffer_.data() + old, kChunk); });
    buffer_.resize(old + static_cast<size_t>(n));
    if (n == 0) eof_ = true;
}

bool LineStream::next_blocking(std::string& record) {
    std::vector<std::string> one;
    while (!next(one)) {
        if (exhausted()) return false;
        fill();
    }
    record = std::move(one[0]);
    return true;
}

struct ColumnSplit::Regex {
    std::regex regex;
};

ColumnSplit::~ColumnSplit() = default;

ColumnSplit::ColumnSplit(std::unique_ptr<InputSource> inner, const std::string& separator)
    : inner_(std::move(inner)) {
    static constexpr std::string_view kRegexSyntax = "\\^$.|?*+()[]{}";
    if (separator.find_first_of(kRegexSyntax) == std::string::npos)
        literal_ = separator;
    else
        try {
            regex_ = std::make_unique<Regex>(Regex{std::regex(separator, std::regex::ECMAScript)});
        } catch (const std::regex_error& e) {
            throw std::invalid_argument(e.what());
        }
}

void ColumnSplit::split(const std::string& value, std::vector<std::string>& columns) const {
    if (!literal_.empty()) {
        size_t start = 0;
        for (;;) {
            size_t at = value.find(literal_, start);
            columns.push_back(value.substr(start, at - start));
            if (at == std::string::npos) break;
            start = at + literal_.size();
        }
        return;
    }
    size_t start = 0;
    for (auto it = std::sregex_iterator(value.begin(), value.end(), regex_->regex);
         it != std::sregex_iterator(); ++it) {
        if (it->length(0) == 0) continue;
        columns.push_back(value.substr(start, static_cast<size_t>(it->position(0)) - start));
        start = static_cast<size_t>(it->position(0) + it->length(0));
    }
    columns.push_back(value.substr(start));
}

bool ColumnSplit::next(std::vector<std::string>& inputs) {
    if (!inner_->next(values_)) return false;
    inputs.clear();
    for (const auto& v : values_) split(v, inputs);
    return true;
}

ArgumentBatch::ArgumentBatch(std::unique_ptr<InputSource> inner, size_t per_job, size_t max_chars)
    : inner_(std::move(inner)), per_job_(per_job), max_chars_(max_chars) {}

bool ArgumentBatch::next(std::vector<std::string>& inputs) {
    bool full = false;
    auto gather = [&](std::vector<std::string>& record) {
        size_t chars = 0;
        for (const auto& v : record) chars += v.size() + 1;
        if (max_chars_ > 0 && !gathered_.empty() && gathered_chars_ + chars > max_chars_) {
            carried_ = std::move(record);  // starts the next job
            full = true;
            return;
        }
        gathered_chars_ += chars;
        for (auto& v : record) gathered_.push_back(std::move(v));
    };
    if (!carried_.empty()) {
        std::vector<std::string> first = std::move(carried_);
        carried_.clear();
        gather(first);
    }
    while (!full && gathered_.size() < per_job_ && inner_->next(record_)) gather(record_);
    if (gathered_.empty()) return false;
    // More may come to fill the job.
    if (!full && gathered_.size() < per_job_ && !inner_->exhausted()) return false;
    inputs = std::move(gathered_);
    gathered_.clear();
    gathered_chars_ = 0;
    return true;
}

ShuffledInputs::ShuffledInputs(std::unique_ptr<InputSource> inner) {
    for (std::vector<std::string> inputs; inner->next(inputs);) jobs_.push_back(std::move(inputs));
    std::mt19937_64 random(std::random_device{}());
    std::shuffle(jobs_.begin(), jobs_.end(), random);
}

bool ShuffledInputs::next(std::vector<std::string>& inputs) {
    if (next_ == jobs_.size()) return false;
    inputs = std::move(jobs_[next_++]);
    return true;
}

std::vector<std::string> read_records(int fd, char delimiter, const std::string& what) {
    std::string all;
    char buf[65536];
    for (;;) {
        ssize_t n = sys::checked("read", what, [&] { return ::read(fd, buf, sizeof buf); });
        if (n == 0) break;
        all.append(buf, static_cast<size_t>(n));
    }
    std::vector<std::string> records;
    size_t start = 0;
    while (start < all.size()) {
        size_t end = all.find(delimiter, start);
        if (end == std::string::npos) end = all.size();
        records.push_back(all.substr(start, end - start));
        start = end + 1;
    }
    return records;
}

}  // namespace ringrun
