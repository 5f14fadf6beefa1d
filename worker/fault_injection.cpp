// Reads the fault plan and kills the worker the way the OOM killer would: SIGKILL, no
// clean-up of any kind.
#include "worker/fault_injection.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace ringrun {

FaultPlan parse_fault_plan(std::string_view text) {
    static constexpr std::pair<std::string_view, FaultPoint> kPoints[] = {
        {"holding-ring-lock", FaultPoint::holding_ring_lock},
        {"reserved-not-committed", FaultPoint::reserved_not_committed},
        {"half-written", FaultPoint::half_written},
        {"after-pop", FaultPoint::after_pop},
        {"mid-job", FaultPoint::mid_job},
        {"wrong-id", FaultPoint::wrong_id},
        {"garbage-record", FaultPoint::garbage_record},
    };
    size_t colon = text.find(':');
    if (colon == std::string_view::npos) return {};
    std::string every_text(text.substr(colon + 1));
    char* end = nullptr;
    unsigned long long every = std::strtoull(every_text.c_str(), &end, 10);
    if (every_text.empty() || *end != '\0' || every == 0) return {};
    for (const auto& [name, point] : kPoints)
        if (text.substr(0, colon) == name) return {point, every};
    return {};
}

void stall_first_start_if_asked() {
    const char* file = std::getenv("RINGRUN_TEST_STUCK_START");
    if (!file || !*file) return;
    const int fd = ::open(file, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0) return;  // another worker was the first
    ::close(fd);
    for (;;) ::pause();
}

FaultPlan fault_plan_from_environment() {
    const char* text = std::getenv("RINGRUN_TEST_FAULT");
    if (!text || !*text) return {};
    FaultPlan plan = parse_fault_plan(text);
    if (plan.point == FaultPoint::none) {
        std::string line =
            std::string("ringrun: ignoring RINGRUN_TEST_FAULT='") + text +
            "' (expected POINT:K, POINT one of holding-ring-lock, "
            "reserved-not-committed, half-written, after-pop, mid-job, wrong-id, garbage-record)\n";
        (void)!::write(2, line.data(), line.size());
    }
    return plan;
}

void die_by_fault() {
    raise(SIGKILL);
    _exit(137);  // not reached
}

}  // namespace ringrun
