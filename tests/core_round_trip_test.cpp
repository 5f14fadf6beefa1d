// core_round_trip_ns(): a figure where the caller may run on two CPUs, none where it
// may run on one, and the caller's own CPUs untouched either way. The figure itself is
// the machine's, not checked against a bound (speed is shown by bench/, not by tests).
// Run alone (RUN_SERIAL): a test beside it would take the CPUs it bounces between.
#include "runner/core_round_trip.hpp"

#include <gtest/gtest.h>
#include <sched.h>

namespace {

cpu_set_t allowed_cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    EXPECT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
    return set;
}

TEST(CoreRoundTrip, BouncesAWordBetweenTwoCpusWithoutPinningTheCaller) {
    cpu_set_t before = allowed_cpus();
    if (CPU_COUNT(&before) < 2) {  // a one-CPU machine: no two CPUs to bounce between
        EXPECT_FALSE(ringrun::core_round_trip_ns().has_value());
        return;
    }
    // The host may keep a CPU from us for a second now and then: a few tries.
    std::optional<double> ns;
    for (int attempt = 0; attempt < 5 && !ns; ++attempt) ns = ringrun::core_round_trip_ns();
    ASSERT_TRUE(ns.has_value());
    EXPECT_GT(*ns, 0.0);
    cpu_set_t after = allowed_cpus();
    EXPECT_TRUE(CPU_EQUAL(&before, &after));
}

TEST(CoreRoundTrip, GivesNoFigureToACallerConfinedToOneCpu) {
    cpu_set_t before = allowed_cpus();
    int first = 0;
    while (first < CPU_SETSIZE && !CPU_ISSET(first, &before)) ++first;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
    const std::optional<double> ns = ringrun::core_round_trip_ns();
    ASSERT_EQ(sched_setaffinity(0, sizeof before, &before), 0);
    EXPECT_FALSE(ns.has_value()) << *ns;
}

}  // namespace
