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
    double t = secs(elapsed).count();
    double lo = e.mean_s - 2 * e.dev_s, hi = e.mean_s + 3 * e.dev_s;
    double floor = secs(std::min(p.min_interval, p.interval)).count();  // never sparser than the plain schedule
    double d;
    if (t < lo)
        d = lo - t;  // sleep through the usual run time
    else if (t < hi)
        d = std::clamp((hi - lo) / 4, floor, std::max(floor, secs(p.interval).count()));  // ~4 polls in the window
    else
        return poll_delay(p, std::max(n, 1u), u);  // an unusually long task: the plain schedule
    d = std::max(d, floor) * (1.0 + p.jitter * (2.0 * u - 1.0) / 2);
    return std::chrono::duration_cast<duration>(secs(d));
}

} // namespace runninghub::detail
