// SPDX-License-Identifier: BSL-1.0
// Polling that learns (core/poll, core/wait_queue) on a manual clock: tasks
// of a known length, one wait each, queries answered at once. What a slot of
// the account is worth: the end must be seen soon (median <= 10% of the run
// time) and cheaply (<= 4 queries per task once durations are learned).

#include "core/wait_queue.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <random>

using namespace runninghub;
using namespace runninghub::detail;
using namespace std::chrono_literals;

namespace {

struct learning_result {
    double median_delay_share = 0;  // median (seen - end) / run time
    double max_delay_share = 0;
    double queries_per_task = 0;
};

// `tasks` waits one after the other (the first `learn` not counted): each task
// runs `run * (1 + spread * (2u - 1))`; a poll at or after its end sees SUCCESS.
learning_result simulate(duration run, double spread, int learn, int tasks, std::uint32_t seed = 7) {
    poll_policy p;  // the client's defaults: 3 s, then 5 s, learning after 5 tasks
    wait_queue q(p, 8);
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    time_point now = time_point{} + 1h;
    std::vector<double> shares;
    unsigned queries = 0;
    for (int i = 0; i < tasks; ++i) {
        auto length = std::chrono::duration_cast<duration>(run * (1 + spread * (2 * uniform(rng) - 1)));
        const time_point started = now, end = started + length;
        wait_entry e("t");
        q.add(e, std::nullopt, 1h, started, now, uniform(rng));
        unsigned polls = 0;
        for (;;) {
            auto due = q.pop_due(e.due);
            BOOST_TEST_REQUIRE(due.has_value());
            BOOST_TEST_REQUIRE(!due->expired);
            now = e.due;
            ++polls;
            q.returned(e);
            auto v = q.on_result(e, {}, now >= end ? task_status::success : task_status::running, duration(-1), now,
                                 uniform(rng));
            if (v.finish)
                break;
        }
        if (i >= learn) {
            queries += polls;
            shares.push_back(std::chrono::duration<double>(now - end) / std::chrono::duration<double>(length));
        }
    }
    std::sort(shares.begin(), shares.end());
    learning_result r;
    r.median_delay_share = shares[shares.size() / 2];
    r.max_delay_share = shares.back();
    r.queries_per_task = double(queries) / double(shares.size());
    return r;
}

void check(duration run, double spread) {
    auto r = simulate(run, spread, 10, 60);
    BOOST_TEST_MESSAGE("run " << std::chrono::duration<double>(run).count() << " s +-" << spread * 100
                              << "%: median delay " << r.median_delay_share * 100 << "% of the run, max "
                              << r.max_delay_share * 100 << "%, " << r.queries_per_task << " queries per task");
    BOOST_TEST(r.median_delay_share <= 0.10);
    BOOST_TEST(r.queries_per_task <= 4.0);
}

} // namespace

BOOST_AUTO_TEST_SUITE(poll_learning)

BOOST_AUTO_TEST_CASE(tasks_of_the_same_length) {
    check(4s, 0.0);  // the emulator's tasks: the estimate's deviation goes to zero
    check(2s, 0.0);
    check(90s, 0.0);
}

BOOST_AUTO_TEST_CASE(tasks_of_varying_length) {
    check(4s, 0.1);
    check(1500ms, 0.2);
    check(60s, 0.3);
}

BOOST_AUTO_TEST_CASE(an_unusually_long_task_is_still_seen_soon) {
    // Learned on 4 s tasks, then one of 12 s: polls past the usual end grow
    // with the time the task has run, so the delay stays a share of it.
    poll_policy p;
    wait_queue q(p, 8);
    time_point now = time_point{} + 1h;
    auto run_one = [&](duration length) {
        wait_entry e("t");
        const time_point end = now + length;
        q.add(e, std::nullopt, 1h, now, now, 0.5);
        unsigned polls = 0;
        for (;;) {
            now = e.due;
            BOOST_TEST_REQUIRE(q.pop_due(now).has_value());
            ++polls;
            q.returned(e);
            if (q.on_result(e, {}, now >= end ? task_status::success : task_status::running, duration(-1), now, 0.5)
                    .finish)
                return std::pair{now - end, polls};
        }
    };
    for (int i = 0; i < 10; ++i)
        run_one(4s);
    auto [late, polls] = run_one(12s);
    BOOST_TEST_MESSAGE("12 s task after 4 s ones: seen " << std::chrono::duration<double>(late).count() << " s late, "
                                                         << polls << " queries");
    BOOST_TEST((late <= 1200ms));
    BOOST_TEST(polls <= 20u);
}

BOOST_AUTO_TEST_SUITE_END()
