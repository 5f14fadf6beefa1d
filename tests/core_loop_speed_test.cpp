// core_loop_ns(): a figure for each of the caller's first two CPUs, one where it may run
// on one, and the caller's own CPUs untouched either way. The figures themselves are the
// machine's, not checked against a bound (speed is shown by bench/, not by tests).
#include "runner/bench/core_loop_speed.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/support/test_support.hpp"

namespace {

using ringrun::testing::allowed_cpus;

TEST(CoreLoopSpeed, TimesTheLoopOnEachOfTheFirstTwoCpusWithoutPinningTheCaller) {
    cpu_set_t before = allowed_cpus();
    const std::vector<double> ns = ringrun::core_loop_ns();
    EXPECT_EQ(ns.size(), static_cast<size_t>(std::min(CPU_COUNT(&before), 2)));
    for (double figure : ns) EXPECT_GT(figure, 0.0);
    cpu_set_t after = allowed_cpus();
    EXPECT_TRUE(CPU_EQUAL(&before, &after));
}

TEST(CoreLoopSpeed, GivesOneFigureToACallerConfinedToOneCpu) {
    std::vector<double> ns;
    {
        ringrun::testing::OneCpuConfinement confined;
        ns = ringrun::core_loop_ns();
    }
    ASSERT_EQ(ns.size(), 1u);
    EXPECT_GT(ns[0], 0.0);
}

}  // namespace
