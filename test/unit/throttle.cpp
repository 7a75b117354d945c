// SPDX-License-Identifier: BSL-1.0
#include "core/flow.hpp"

#include <runninghub/stats.hpp>

#include <boost/test/unit_test.hpp>

using namespace runninghub;
using namespace runninghub::detail;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(throttle)

BOOST_AUTO_TEST_CASE(rate_limiter_allows_a_burst_then_spaces_requests) {
    rate_limiter off(0, 10);
    BOOST_TEST(!off.enabled());
    BOOST_TEST(off.reserve(time_point{}).count() == 0);

    rate_limiter r(10, 3);  // 100 ms apart after 3 at once
    time_point t0 = time_point{} + 1h;
    BOOST_TEST(r.reserve(t0).count() == 0);
    BOOST_TEST(r.reserve(t0).count() == 0);
    BOOST_TEST(r.reserve(t0).count() == 0);
    BOOST_TEST(r.reserve(t0) == duration(100ms));
    BOOST_TEST(r.reserve(t0) == duration(200ms));
    // After a quiet second the burst is available again.
    auto later = t0 + 2s;
    BOOST_TEST(r.reserve(later).count() == 0);
    BOOST_TEST(r.reserve(later).count() == 0);
    BOOST_TEST(r.reserve(later).count() == 0);
    BOOST_TEST(r.reserve(later) == duration(100ms));
}

BOOST_AUTO_TEST_CASE(retry_budget_spends_and_refills) {
    retry_budget b(2, 0.5);
    BOOST_TEST(b.try_spend());
    BOOST_TEST(b.try_spend());
    BOOST_TEST(!b.try_spend());
    b.on_success();
    BOOST_TEST(!b.try_spend());
    b.on_success();
    BOOST_TEST(b.try_spend());
    for (int i = 0; i < 100; ++i)
        b.on_success();
    BOOST_TEST(b.tokens() == 2.0);  // capped
}

BOOST_AUTO_TEST_CASE(latency_histogram_quantiles) {
    latency_histogram h;
    BOOST_TEST(h.quantile(0.5).count() == 0);
    for (int i = 0; i < 90; ++i)
        h.record(1ms);
    for (int i = 0; i < 10; ++i)
        h.record(100ms);
    BOOST_TEST(h.count == 100u);
    BOOST_TEST(h.quantile(0.5) == std::chrono::microseconds(1000));     // bucket (500 µs, 1 ms]
    BOOST_TEST(h.quantile(0.99) == std::chrono::microseconds(100000));  // capped at the max seen
    BOOST_TEST(h.mean() == std::chrono::microseconds(10900));
    h.record(std::chrono::hours(100));
    BOOST_TEST(h.counts[latency_histogram::buckets - 1] == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
