// SPDX-License-Identifier: BSL-1.0
// Webhook events as hints (core/recent_ids, core/wait_queue) on a manual
// clock: bounded memories, events before their wait, events a query
// contradicts, and waits going back to normal polling on detach.

#include "core/recent_ids.hpp"
#include "core/wait_queue.hpp"

#include <runninghub/webhook.hpp>

#include "manual_clock.hpp"

#include <boost/test/unit_test.hpp>

using namespace runninghub;
using namespace runninghub::detail;
using namespace std::chrono_literals;

namespace wait_events_test {
poll_policy plain() {
    poll_policy p;
    p.first_delay = 1s;
    p.interval = 2s;
    p.cap = 10s;
    p.jitter = 0;
    p.learn = false;
    return p;
}
double half() { return 0.5; }
} // namespace wait_events_test
using namespace wait_events_test;

BOOST_AUTO_TEST_SUITE(wait_events)

BOOST_AUTO_TEST_CASE(recent_ids_are_bounded_in_count_and_bytes) {
    recent_ids ids(3, 1000);
    BOOST_TEST(ids.remember("a", t0));
    BOOST_TEST(ids.remember("b", t0));
    BOOST_TEST(ids.remember("c", t0 + 1s));
    BOOST_TEST(!ids.remember("a", t0 + 1s));  // already there: moves to the newest place
    BOOST_TEST(ids.remember("d", t0 + 4s));   // over the count: the oldest (b, since a was refreshed) goes
    BOOST_TEST(ids.size() == 3u);
    BOOST_TEST(!ids.contains("b"));
    BOOST_TEST(ids.contains("a"));
    BOOST_TEST((ids.when("a") == t0 + 1s));
    BOOST_TEST(ids.bytes() == 3 * (1 + recent_ids::entry_overhead));
    BOOST_TEST(ids.forget("a"));
    BOOST_TEST(!ids.forget("a"));
    ids.forget_before(t0 + 4s);
    BOOST_TEST(ids.size() == 1u);  // d
    // Long ids: the byte bound holds whatever they are.
    recent_ids big(1000000, 10000);
    for (int i = 0; i < 1000; ++i)
        big.remember(std::to_string(i) + std::string(500, 'x'), t0);
    BOOST_TEST(big.bytes() <= 10000u);
    BOOST_TEST(big.size() == 10000u / (503 + recent_ids::entry_overhead));
    big.remember(std::string(20000, 'y'), t0);  // longer than the whole bound: not kept
    BOOST_TEST(big.bytes() <= 10000u);
}

BOOST_AUTO_TEST_CASE(an_event_before_its_wait_makes_the_wait_query_at_once) {
    auto p = plain();
    wait_queue q(p, 8);
    q.set_safety_interval(60s);
    q.on_event("early", t0);
    wait_entry w("early"), other("other");
    q.add(w, std::nullopt, 1h, t0, t0 + 2s, 0.5);
    q.add(other, std::nullopt, 1h, t0, t0 + 2s, 0.5);
    BOOST_TEST((w.due == t0 + 2s));          // not the 60 s safety poll
    BOOST_TEST((other.due == t0 + 62s));
    auto item = q.pop_due(t0 + 2s);
    BOOST_TEST_REQUIRE(item.has_value());
    BOOST_TEST(item->entry == &w);
    q.returned(w);
    auto v = q.on_result(w, {}, task_status::success, duration(-1), t0 + 2s, 0.5);
    BOOST_TEST((v.finish && !v.ec && !v.contradicted));
    q.remove(w);
    // The memory is bounded in time: a wait long after the event polls at the safety interval.
    q.on_event("stale", t0);
    wait_entry s("stale");
    q.add(s, std::nullopt, 1h, t0, t0 + 31min, 0.5);
    BOOST_TEST((s.due == t0 + 31min + 60s));
    q.remove(s);
    q.remove(other);
}

BOOST_AUTO_TEST_CASE(an_event_the_query_contradicts_is_forgotten) {
    auto p = plain();
    wait_queue q(p, 8);
    q.set_safety_interval(60s);
    wait_entry w("w");
    q.add(w, std::nullopt, 1h, t0, t0, 0.5);
    q.on_event("w", t0 + 1s);  // forged: the task runs on
    BOOST_TEST_REQUIRE(q.pop_due(t0 + 1s).has_value());
    q.returned(w);
    auto v = q.on_result(w, {}, task_status::running, duration(-1), t0 + 1s, 0.5);
    BOOST_TEST(!v.finish);
    BOOST_TEST(v.contradicted);  // the shell tells the listener to forget it
    BOOST_TEST(!q.events().contains("w"));
    BOOST_TEST((w.due == t0 + 3s));  // the client's pace from now on
    // The genuine event still triggers a query at once, and this one confirms it.
    q.on_event("w", t0 + 2s);
    BOOST_TEST((w.due == t0 + 2s));
    BOOST_TEST_REQUIRE(q.pop_due(t0 + 2s).has_value());
    q.returned(w);
    v = q.on_result(w, {}, task_status::success, duration(-1), t0 + 2s, 0.5);
    BOOST_TEST((v.finish && !v.contradicted));
    q.remove(w);
    // A forged event before the wait: its first query contradicts it, and a new wait is not fooled again.
    q.on_event("x", t0);
    wait_entry x("x");
    q.add(x, std::nullopt, 1h, t0, t0, 0.5);
    BOOST_TEST_REQUIRE(q.pop_due(t0).has_value());
    q.returned(x);
    BOOST_TEST(q.on_result(x, {}, task_status::queued, duration(-1), t0, 0.5).contradicted);
    wait_entry x2("x");
    q.add(x2, std::nullopt, 1h, t0, t0 + 1s, 0.5);
    BOOST_TEST((x2.due == t0 + 61s));
    q.remove(x);
    q.remove(x2);
}

BOOST_AUTO_TEST_CASE(an_event_during_a_query_is_confirmed_by_the_next_one) {
    auto p = plain();
    wait_queue q(p, 8);
    q.set_safety_interval(60s);
    wait_entry w("w");
    q.add(w, std::nullopt, 1h, t0, t0, 0.5);
    BOOST_TEST_REQUIRE(q.pop_due(t0 + 60s).has_value());  // the safety poll, out
    q.on_event("w", t0 + 60s + 100ms);                   // the event, while it is out
    q.returned(w);
    auto v = q.on_result(w, {}, task_status::running, duration(-1), t0 + 60s + 200ms, 0.5);
    BOOST_TEST(!v.contradicted);  // that query was sent before the event
    BOOST_TEST((w.due == t0 + 60s + 200ms));  // ask again now
    BOOST_TEST_REQUIRE(q.pop_due(w.due).has_value());
    q.returned(w);
    BOOST_TEST(q.on_result(w, {}, task_status::success, duration(-1), w.due, 0.5).finish);
    q.remove(w);
}

BOOST_AUTO_TEST_CASE(detach_puts_waits_back_on_normal_polling) {
    auto p = plain();
    wait_queue q(p, 8);
    q.set_safety_interval(60s);
    wait_entry a("a"), b("b"), own("own");
    q.add(a, std::nullopt, 1h, t0 - 50s, t0 - 50s, 0.5);
    q.add(b, std::nullopt, 1h, t0, t0, 0.5);
    auto mine = p;
    mine.first_delay = 90s;
    q.add(own, mine, 1h, t0, t0, 0.5);  // its own policy: the user's, kept
    BOOST_TEST((b.due == t0 + 60s));
    auto out = q.pop_due(t0 + 10s);
    BOOST_TEST_REQUIRE((out && out->entry == &a));  // a: in flight at the detach
    q.on_event("zzz", t0 + 10s);
    q.detach_events(t0 + 10s, half);
    BOOST_TEST(q.events().size() == 0u);
    BOOST_TEST((b.due == t0 + 10s + 1s));  // the client's first delay, not the safety poll
    BOOST_TEST((own.due == t0 + 90s));
    q.returned(a);
    q.on_result(a, {}, task_status::running, duration(-1), t0 + 10s, 0.5);
    BOOST_TEST((a.due == t0 + 12s));  // the client's interval
    // Events no longer reach them, and new waits poll normally.
    q.on_event("b", t0 + 10500ms);
    BOOST_TEST((b.due == t0 + 11s));
    BOOST_TEST(!b.event_seen);
    BOOST_TEST(q.events().size() == 0u);
    wait_entry c("c");
    q.add(c, std::nullopt, 1h, t0, t0 + 20s, 0.5);
    BOOST_TEST((c.due == t0 + 21s));
    for (auto* e : {&a, &b, &own, &c})
        q.remove(*e);
}

BOOST_AUTO_TEST_CASE(webhook_task_ids_are_bounded) {
    std::string why;
    auto id = std::string(max_webhook_task_id, '7');
    BOOST_TEST(parse_webhook_event(R"({"taskId":")" + id + R"("})").has_value());
    BOOST_TEST(!parse_webhook_event(R"({"taskId":")" + id + R"(7"})", &why));
    BOOST_TEST(why == "taskId longer than 128 characters");
    BOOST_TEST(!parse_webhook_event(R"({"taskId":")" + std::string(1 << 20, '1') + R"("})", &why));
}

BOOST_AUTO_TEST_SUITE_END()
