// Option value parsers.
#include "runner/cli/option_values.hpp"

#include <signal.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <string_view>
#include <utility>

#include "runner/cli/cli_options.hpp"

namespace ringrun {
namespace {

bool parse_double(const std::string& text, double& value) {
    if (text.empty()) return false;
    char* end = nullptr;
    value = std::strtod(text.c_str(), &end);
    return end == text.c_str() + text.size() && std::isfinite(value);
}

int signal_number(const std::string& name) {
    int n = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), n);
    if (ec == std::errc() && end == name.data() + name.size() && n > 0 && n < NSIG) return n;
    std::string bare = name.rfind("SIG", 0) == 0 ? name.substr(3) : name;
    for (int sig = 1; sig < NSIG; ++sig) {
        const char* abbrev = sigabbrev_np(sig);
        if (abbrev && bare == abbrev) return sig;
    }
    return 0;
}

}  // namespace

size_t parse_job_count(const std::string& text, size_t cores, size_t max_workers,
                       size_t as_many_as_possible) {
    auto bad = [&] {
        return UsageError("-j expects N, N%, +N, -N or 0 (workers), not '" + text + "'");
    };
    double value = 0;
    double jobs = 0;
    if (!text.empty() && text.back() == '%') {
        if (!parse_double(text.substr(0, text.size() - 1), value) || value <= 0) throw bad();
        jobs = std::floor(static_cast<double>(cores) * value / 100.0);
    } else if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
        if (!parse_double(text.substr(1), value) || value != std::floor(value)) throw bad();
        jobs = static_cast<double>(cores) + (text[0] == '+' ? value : -value);
    } else {
        if (!parse_double(text, value) || value < 0 || value != std::floor(value)) throw bad();
        jobs = value == 0 ? static_cast<double>(as_many_as_possible) : value;
    }
    if (jobs > static_cast<double>(max_workers))
        throw UsageError("-j " + text + " asks for more than " + std::to_string(max_workers) +
                         " workers");
    return jobs < 1 ? 1 : static_cast<size_t>(jobs);
}

uint64_t parse_size(const std::string& option, const std::string& text) {
    double value = 0;
    std::string number = text;
    double unit = 1;
    if (!number.empty()) {
        const char* units = "kmgtp";
        const char* at =
            std::strchr(units, std::tolower(static_cast<unsigned char>(number.back())));
        if (at && *at) {
            unit = std::pow(1024.0, static_cast<double>(at - units + 1));
            number.pop_back();
        }
    }
    if (!parse_double(number, value) || value < 0)
        throw UsageError(option + " expects a size such as 500M or 2G, not '" + text + "'");
    return static_cast<uint64_t>(value * unit);
}

uint8_t parse_causes(const std::string& option, const std::string& text) {
    uint8_t bits = 0;
    size_t from = 0;
    for (;;) {
        const size_t comma = std::min(text.find(',', from), text.size());
        const std::string name = text.substr(from, comma - from);
        const uint8_t bit = cause_bit_named(name);
        if (bit == 0)
            throw UsageError(option + ": '" + name + "' is not a cause (" + cause_names() + ")");
        bits |= bit;
        if (comma == text.size()) return bits;
        from = comma + 1;
    }
}

bool parse_duration_seconds(const std::string& text, double& seconds) {
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || !std::isfinite(value) || value < 0) return false;
    static constexpr std::pair<std::string_view, double> kUnits[] = {
        {"", 1}, {"s", 1}, {"ms", 0.001}, {"m", 60}, {"h", 3600}, {"d", 86400}};
    for (const auto& [unit, scale] : kUnits) {
        if (unit == end) {
            seconds = value * scale;
            return seconds <= kLongestDurationSeconds;  // beyond, milliseconds overflow
        }
    }
    return false;
}

double parse_seconds(const std::string& option, const std::string& text) {
    double seconds = 0;
    if (!parse_duration_seconds(text, seconds))
        throw UsageError(option + " expects seconds (such as 2.5 or 10m, at most 1e9), not '" +
                         text + "'");
    return seconds;
}

double parse_percent(const std::string& option, const std::string& text) {
    double value = 0;
    if (text.empty() || text.back() != '%' ||
        !parse_double(text.substr(0, text.size() - 1), value) || value <= 0)
        throw UsageError(option + " expects a percentage above 0 such as 200%, not '" + text + "'");
    return value;
}

char parse_delimiter(const std::string& text) {
    if (text.size() == 1) return text[0];
    if (text.size() == 2 && text[0] == '\\') {
        switch (text[1]) {
            case 'n':
                return '\n';
            case 't':
                return '\t';
            case 'r':
                return '\r';
            case '0':
                return '\0';
            case '\\':
                return '\\';
            default:
                break;
        }
    }
    throw UsageError("-d expects one character or an escape such as '\\t', not '" + text + "'");
}

std::vector<TermStep> parse_termseq(const std::string& text) {
    std::vector<TermStep> steps;
    std::vector<std::string> items;
    size_t start = 0;
    for (;;) {
        size_t comma = text.find(',', start);
        items.push_back(text.substr(start, comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    for (size_t i = 0; i < items.size(); i += 2) {
        int sig = signal_number(items[i]);
        double ms = 0;
        if (sig == 0 || (i + 1 < items.size() && (!parse_double(items[i + 1], ms) || ms < 0)))
            throw UsageError(
                "--termseq expects SIGNAL,MS,SIGNAL,MS,... such as "
                "TERM,200,KILL,25, not '" +
                text + "'");
        steps.push_back({sig, std::chrono::milliseconds(static_cast<int64_t>(ms))});
    }
    return steps;
}

}  // namespace ringrun
