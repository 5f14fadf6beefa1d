// Parsing and evaluation of --halt.
#include "runner/cli/halt_policy.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "runner/cli/cli_options.hpp"

namespace ringrun {

HaltPolicy HaltPolicy::parse(const std::string& text) {
    auto bad = [&] {
        return UsageError(
            "--halt expects now|soon,fail|success|done=N|N% (or 0, 1, 2, -1, "
            "-2), not '" +
            text + "'");
    };
    HaltPolicy p;
    // GNU parallel's older numeric forms.
    if (text == "0" || text == "never") return p;
    if (text == "1") return parse("soon,fail=1");
    if (text == "2") return parse("now,fail=1");
    if (text == "-1") return parse("soon,success=1");
    if (text == "-2") return parse("now,success=1");
    if (!text.empty() && text.back() == '%' && text.find(',') == std::string::npos)
        return parse("soon,fail=" + text);
    size_t comma = text.find(',');
    size_t equals = text.find('=');
    if (comma == std::string::npos || equals == std::string::npos || equals < comma) throw bad();
    std::string when = text.substr(0, comma);
    std::string why = text.substr(comma + 1, equals - comma - 1);
    std::string value = text.substr(equals + 1);
    if (when == "now")
        p.when_ = When::now;
    else if (when == "soon")
        p.when_ = When::soon;
    else
        throw bad();
    if (why == "fail")
        p.why_ = Why::fail;
    else if (why == "success")
        p.why_ = Why::success;
    else if (why == "done")
        p.why_ = Why::done;
    else
        throw bad();
    if (!value.empty() && value.back() == '%') {
        p.percent_ = true;
        value.pop_back();
    }
    char* end = nullptr;
    p.threshold_ = std::strtod(value.c_str(), &end);
    if (value.empty() || end != value.c_str() + value.size() || !(p.threshold_ > 0) ||
        (p.percent_ && p.threshold_ > 100))
        throw bad();
    return p;
}

bool HaltPolicy::triggered(uint64_t failed, uint64_t succeeded, uint64_t total) const {
    if (when_ == When::never) return false;
    const uint64_t counted = why_ == Why::fail      ? failed
                             : why_ == Why::success ? succeeded
                                                    : failed + succeeded;
    if (!percent_) return static_cast<double>(counted) >= threshold_;
    // A percentage of every job in the run; while the total is unknown, of those done
    // (after at least three, so that one early failure is not 100%).
    const uint64_t done = failed + succeeded;
    const uint64_t base = total > 0 ? total : (done >= 3 ? done : 0);
    return base > 0 &&
           100.0 * static_cast<double>(counted) / static_cast<double>(base) >= threshold_;
}

int HaltPolicy::exit_code(int last_failed_exit, uint64_t failed, uint64_t done,
                          uint64_t total) const {
    if (why_ == Why::success) return 0;
    if (why_ == Why::fail && !percent_ && threshold_ == 1) return last_failed_exit;
    // The percentage of the run's jobs that failed (as GNU parallel: of all of them, once
    // their number is known).
    if (const uint64_t base = total > 0 ? total : done; percent_ && base > 0)
        return static_cast<int>(
            std::lround(100.0 * static_cast<double>(failed) / static_cast<double>(base)));
    return static_cast<int>(std::min<uint64_t>(failed, 101));
}

const char* HaltPolicy::verb() const {
    return why_ == Why::fail ? "failed" : why_ == Why::success ? "succeeded" : "finished";
}

}  // namespace ringrun
