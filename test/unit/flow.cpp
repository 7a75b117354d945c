// SPDX-License-Identifier: BSL-1.0
// core/flow's submit window: discovering the account's limit on a manual clock.

#include "core/flow.hpp"

#include "manual_clock.hpp"

#include <boost/test/unit_test.hpp>

#include <vector>

using namespace runninghub;
using namespace runninghub::detail;
using namespace std::chrono_literals;

namespace {
const duration no_retry_after(-1);

/// Takes every slot the window allows now.
std::vector<window_ticket> fill(submit_window& w, time_point now) {
    std::vector<window_ticket> out;
    while (w.may_send(now))
        out.push_back(w.take(now));
    return out;
}
} // namespace

BOOST_AUTO_TEST_SUITE(flow)

BOOST_AUTO_TEST_CASE(account_full_answers_are_the_concurrency_codes) {
    for (auto e : {errc::task_queue_maxed, errc::task_instance_maxed, errc::apikey_task_is_running,
                   errc::personal_queue_count_limit, errc::concurrency_full})
        BOOST_TEST(is_account_full(make_error_code(e)));
    for (auto e : {errc::rate_limit_exceeded, errc::system_busy, errc::http_too_many_requests, errc::invalid_api_key})
        BOOST_TEST(!is_account_full(make_error_code(e)));
    BOOST_TEST(!is_account_full(error_code{}));
}

BOOST_AUTO_TEST_CASE(slow_start_then_the_limit_is_found_and_held) {
    submit_window w({});
    BOOST_TEST(w.limit() == 2u);
    BOOST_TEST(w.discovering());
    // The account runs 5: accepted submits grow the window by one each.
    std::size_t running = 0;
    std::vector<window_ticket> out = fill(w, t0);
    BOOST_TEST(out.size() == 2u);
    window_ticket full{};
    bool seen_full = false;
    while (!seen_full) {
        auto t = out.front();
        out.erase(out.begin());
        if (running < 5) {
            w.on_accepted(t, t0);
            ++running;
        } else {
            w.on_backpressure(t, t0, no_retry_after, 0.5);
            full = t;
            seen_full = true;
        }
        for (auto& n : fill(w, t0))
            out.push_back(n);
    }
    // Halved, but never below the 5 tasks the service runs for us: the limit.
    BOOST_TEST(w.window() == 5.0);
    BOOST_TEST(w.limit() == 5u);
    BOOST_TEST(!w.discovering());
    BOOST_TEST(w.blocked());
    BOOST_TEST(w.shrinks() == 1u);
    // Submissions sent before the answer get "full" too: one episode, counted once.
    for (auto& t : out)
        w.on_backpressure(t, t0, no_retry_after, 0.5);
    BOOST_TEST(w.shrinks() == 1u);
    BOOST_TEST(w.backpressure_answers() == 1u + out.size());
    BOOST_TEST(!w.may_send(t0));
    // A task of ours ends: its slot is the account's room, used at once.
    w.on_task_end(t0);
    BOOST_TEST(!w.blocked());
    BOOST_TEST(w.may_send(t0));
    auto t = w.take(t0);
    BOOST_TEST(!t.probe);
    BOOST_TEST(!w.may_send(t0));
    w.on_accepted(t, t0);
    BOOST_TEST(w.window() == 5.2);  // additive now: +1/window
}

BOOST_AUTO_TEST_CASE(a_full_window_with_nothing_ending_probes_after_a_growing_jittered_delay) {
    window_params p;
    p.probe_delay = 2s;
    p.max_probe_delay = 30s;
    submit_window w(p);
    auto a = w.take(t0);
    w.on_backpressure(a, t0, no_retry_after, 0.0);  // someone else holds the key
    BOOST_TEST(w.window() == 1.0);
    BOOST_TEST(!w.may_send(t0));
    BOOST_TEST((w.probe_at() == t0 + 1s));  // 2 s, jittered down to half
    BOOST_TEST(!w.may_send(t0 + 999ms));
    BOOST_TEST(w.may_send(t0 + 1s));
    auto probe = w.take(t0 + 1s);
    BOOST_TEST(probe.probe);
    BOOST_TEST(w.probes() == 1u);
    BOOST_TEST(!w.may_send(t0 + 10s));  // one probe at a time
    BOOST_TEST(!w.probe_at().has_value());
    // Still full: the next probe waits twice as long, up to the cap.
    w.on_backpressure(probe, t0 + 1s, no_retry_after, 0.999);
    auto next = *w.probe_at() - (t0 + 1s);
    BOOST_TEST((next > 3900ms && next < 4s));
    time_point now = t0 + 1s;
    for (int i = 0; i < 10; ++i) {
        now = *w.probe_at();
        auto t = w.take(now);
        w.on_backpressure(t, now, no_retry_after, 0.999);
    }
    BOOST_TEST((*w.probe_at() - now <= duration(30s)));
    BOOST_TEST((*w.probe_at() - now > duration(29s)));
    // The service's Retry-After wins over the backoff.
    auto t = w.take(*w.probe_at());
    w.on_backpressure(t, now, 7s, 0.5);
    BOOST_TEST((*w.probe_at() == now + 7s));
    // Room at last: the probe is accepted, the block and the backoff end.
    now += 7s;
    t = w.take(now);
    w.on_accepted(t, now);
    BOOST_TEST(!w.blocked());
    BOOST_TEST(w.tasks() == 1u);
    // The backoff starts over after an accepted submit.
    t = w.take(now);
    w.on_backpressure(t, now, no_retry_after, 0.0);
    BOOST_TEST((*w.probe_at() == now + 1s));
}

BOOST_AUTO_TEST_CASE(the_probe_delay_is_bounded_both_ways) {
    window_params p;
    BOOST_TEST((probe_delay(p, 1, 0s, 0.5) == duration(100ms)));  // Retry-After: 0 is not a busy loop
    BOOST_TEST((probe_delay(p, 1, 1h, 0.5) == duration(p.max_retry_after)));
    BOOST_TEST((probe_delay(p, 1, no_retry_after, 0.0) == duration(1s)));
    BOOST_TEST((probe_delay(p, 40, no_retry_after, 0.0) == duration(15s)));
}

BOOST_AUTO_TEST_CASE(a_probe_may_exceed_a_window_held_by_tasks_that_ended_unseen) {
    submit_window w({});
    for (int i = 0; i < 2; ++i)
        w.on_accepted(w.take(t0), t0);  // two tasks nobody waits for
    auto t = w.take(t0);
    w.on_backpressure(t, t0, no_retry_after, 0.0);
    BOOST_TEST(w.window() == 2.0);
    BOOST_TEST(w.in_flight() == 2u);
    auto when = *w.probe_at();
    BOOST_TEST(w.may_send(when));  // the window is full, yet a probe goes
    auto probe = w.take(when);
    w.on_accepted(probe, when);  // they had ended: the window follows the proven room
    BOOST_TEST(w.tasks() == 3u);
    BOOST_TEST(w.window() >= 3.0);
    // A probe that fails otherwise (a transport error) lets the next one go.
    auto q = w.take(when);
    w.on_backpressure(q, when, no_retry_after, 0.0);
    auto p2 = w.take(*w.probe_at());
    BOOST_TEST(p2.probe);
    BOOST_TEST(!w.may_send(*w.probe_at() + 1h));
    w.give_back(p2, when);
    BOOST_TEST(w.may_send(when + 1h));
}

BOOST_AUTO_TEST_CASE(a_full_window_where_nothing_moves_probes_once_the_probe_delay_passed) {
    submit_window w({});
    w.seed(2);
    for (auto& t : fill(w, t0))
        w.on_accepted(t, t0);  // two tasks, nobody waits for them
    BOOST_TEST(!w.blocked());
    BOOST_TEST(!w.may_send(t0 + 1s));
    BOOST_TEST((w.probe_at() == t0 + 2s));
    auto probe = w.take(t0 + 2s);
    BOOST_TEST(probe.probe);
    BOOST_TEST(!w.may_send(t0 + 1h));  // one at a time
    w.on_accepted(probe, t0 + 2s);
    BOOST_TEST(w.tasks() == 3u);
    BOOST_TEST(w.limit() == 3u);
    // A task end moves the window: the next probe waits again.
    w.on_task_end(t0 + 3s);
    BOOST_TEST(w.may_send(t0 + 3s));
    w.take(t0 + 3s);
    BOOST_TEST(!w.may_send(t0 + 4s));
    BOOST_TEST(w.may_send(t0 + 5s));
}

BOOST_AUTO_TEST_CASE(the_probe_backoff_starts_over_only_when_a_probe_finds_room) {
    submit_window w({});
    w.on_accepted(w.take(t0), t0);
    w.on_backpressure(w.take(t0), t0, no_retry_after, 0.0);
    BOOST_TEST((*w.probe_at() == t0 + 1s));  // level 1: 2 s, jittered to half
    w.on_task_end(t0);                      // our task ended: room, not a probe
    w.on_accepted(w.take(t0), t0);
    w.on_backpressure(w.take(t0), t0, no_retry_after, 0.0);
    BOOST_TEST((*w.probe_at() == t0 + 2s));  // level 2: the backoff went on
}

BOOST_AUTO_TEST_CASE(the_user_cap_bounds_every_growth) {
    window_params p;
    p.cap = 3;
    submit_window w(p);
    for (int i = 0; i < 10; ++i)
        w.on_accepted(w.take(t0), t0);
    BOOST_TEST(w.window() == 3.0);
    w.seed(50);
    BOOST_TEST(w.window() == 3.0);
    BOOST_TEST(!w.may_send(t0 + 1h));  // even a probe stays under the cap
    BOOST_TEST(!w.probe_at().has_value());  // and no probe is due: a due one nobody may send is a busy timer
    window_params one;
    one.cap = 1;
    BOOST_TEST(submit_window(one).limit() == 1u);
}

BOOST_AUTO_TEST_CASE(the_seed_sets_the_window_until_backpressure_teaches_more) {
    submit_window w({});
    w.seed(7);
    BOOST_TEST(w.limit() == 7u);
    BOOST_TEST(!w.discovering());
    BOOST_TEST(w.seeded() == 7u);
    auto out = fill(w, t0);
    BOOST_TEST(out.size() == 7u);
    w.on_accepted(out[0], t0);
    BOOST_TEST(w.window() == 7.0 + 1.0 / 7.0);  // additive above the seed
    w.on_backpressure(out[1], t0, no_retry_after, 0.5);
    BOOST_TEST(w.window() == (7.0 + 1.0 / 7.0) / 2);
    w.seed(40);  // too late: the answers of the service win
    BOOST_TEST(w.window() < 4.0);
    submit_window unknown({});
    unknown.seed(0);  // concurrentLimit 0: nothing learned
    BOOST_TEST(unknown.limit() == 2u);
    BOOST_TEST(unknown.discovering());
}

BOOST_AUTO_TEST_SUITE_END()
