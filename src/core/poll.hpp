// SPDX-License-Identifier: BSL-1.0
#pragma once
// When to query a task next: the plain poll schedule and the schedule learned
// from the durations of earlier tasks. Pure arithmetic; `u` is a uniform
// random number in [0,1) so that tests choose the jitter.

#include <runninghub/options.hpp>

#include <algorithm>
#include <cstdint>

namespace runninghub::detail {

/// Delay before poll number `n` (0 = first).
duration poll_delay(const poll_policy& p, unsigned n, double u) noexcept;

/// Task durations seen by a client: mean and mean deviation, smoothed
/// (like TCP's RTT estimator), plain averages over the first samples so that
/// the first one (its deviation a guess) weighs no more than the others.
struct duration_estimate {
    double mean_s = 0, dev_s = 0;
    std::uint64_t samples = 0;
    void add(duration d) noexcept {
        double x = std::chrono::duration<double>(d).count();
        if (samples++ == 0) {
            mean_s = x;
            dev_s = x / 2;
            return;
        }
        double err = x - mean_s, n = static_cast<double>(samples);
        mean_s += err / std::min(n, 8.0);
        dev_s += ((err < 0 ? -err : err) - dev_s) / std::min(n, 4.0);
    }
};

/// The learned poll schedule: the delay before the next poll of a task that
/// has run for `elapsed`, or the plain poll_delay() when not enough is known.
duration learned_poll_delay(const poll_policy& p, const duration_estimate& e, duration elapsed, unsigned n,
                            double u) noexcept;

} // namespace runninghub::detail
