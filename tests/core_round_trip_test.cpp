// core_round_trip_ns(): a figure where the caller may run on two CPUs, none where it
// may run on one, and the caller's own CPUs untouched either way. The figure itself is
// the machine's, not checked against a bound (speed is shown by bench/, not by tests).
// Run alone (RUN_SERIAL): a test beside it would take the CPUs it bounces between.
#include "runner/bench/core_round_trip.hpp"

#include <gtest/gtest.h>

#include "tests/support/test_support.hpp"

namespace {

using ringrun::testing::allowed_cpus;

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
    std::optional<double> ns;
    {
        ringrun::testing::OneCpuConfinement confined;
        ns = ringrun::core_round_trip_ns();
    }
    EXPECT_FALSE(ns.has_value()) << *ns;
}

}  // namespace
