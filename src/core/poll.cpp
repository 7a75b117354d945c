// SPDX-License-Identifier: BSL-1.0
#include "core/poll.hpp"

#include <algorithm>
#include <cmath>

namespace runninghub::detail {

duration poll_delay(const poll_policy& p, unsigned n, double u) noexcept {
    double base = n == 0 ? static_cast<double>(p.first_delay.count())
                         : std::min(static_cast<double>(p.cap.count()),
                                    static_cast<double>(p.interval.count()) * std::pow(p.growth, n - 1));
    double spread = base * p.jitter * (2.0 * u - 1.0);
    return duration(static_cast<duration::rep>(std::max(0.0, base + spread)));
}

duration learned_poll_delay(const poll_policy& p, const duration_estimate& e, duration elapsed, unsigned n,
                            double u) noexcept {
    if (!p.learn || e.samples < p.learn_after)
        return poll_delay(p, n, u);
    using secs = std::chrono::duration<double>;
    // The usual end lies in [lo, hi]; even identical tasks are given a spread
    // of 2.5% (the estimate is of a bracket, and the service varies).
    double t = secs(elapsed).count();
    double spread = std::max(e.dev_s, 0.025 * e.mean_s);
    double lo = e.mean_s - 2 * spread, hi = e.mean_s + 3 * spread;
    double floor = secs(std::min(p.min_interval, p.interval)).count(), cap = secs(p.cap).count();
    double d;
    if (t < lo)
        d = std::max(lo - t, floor);  // sleep through the usual run time
    else if (t < hi)
        d = std::clamp((hi - lo) / 4, floor, std::max(floor, cap));  // ~4 polls across the window
    else
        d = std::clamp(t / 10, floor, std::max(floor, cap));  // unusually long: seen within ~10% of its time
    d *= 1.0 + p.jitter * (2.0 * u - 1.0) / 2;
    return std::chrono::duration_cast<duration>(secs(d));
}

} // namespace runninghub::detail
