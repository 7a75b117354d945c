// SPDX-License-Identifier: BSL-1.0
// src/core/: the decisions without sockets, on a manual clock (a time_point we advance).

#include "core/endpoints.hpp"
#include "core/flow.hpp"
#include "core/resume.hpp"
#include "core/retry.hpp"
#include "core/salvage.hpp"
#include "core/wait_queue.hpp"

#include <boost/asio/error.hpp>
#include "manual_clock.hpp"

#include <boost/test/unit_test.hpp>

using namespace runninghub;
using namespace runninghub::detail;
using namespace std::chrono_literals;

namespace {
error_code code(errc e) { return make_error_code(e); }
} // namespace

BOOST_AUTO_TEST_SUITE(core)

BOOST_AUTO_TEST_CASE(a_submit_is_repeated_only_when_it_certainly_created_no_task) {
    auto refused = make_error_code(boost::asio::error::connection_refused);
    // Not completely written: nothing reached the service.
    BOOST_TEST(may_repeat(call_kind::submit, refused, false));
    BOOST_TEST(may_repeat(call_kind::submit, code(errc::connect_timeout), false));
    // Written: only a back-pressure answer proves there is no task.
    BOOST_TEST(!may_repeat(call_kind::submit, code(errc::submit_outcome_unknown), true));
    BOOST_TEST(!may_repeat(call_kind::submit, code(errc::read_timeout), true));
    BOOST_TEST(!may_repeat(call_kind::submit, code(errc::http_server_error), true));
    BOOST_TEST(may_repeat(call_kind::submit, code(errc::task_queue_maxed), true));
    // Only "the account is full" proves a received submit created nothing (issue 11):
    // a busy answer may come after the task was created.
    BOOST_TEST(may_repeat(call_kind::submit, code(errc::task_instance_maxed), true));
    BOOST_TEST(may_repeat(call_kind::submit, code(errc::apikey_task_is_running), true));
    BOOST_TEST(!may_repeat(call_kind::submit, code(errc::http_too_many_requests), true));
    BOOST_TEST(!may_repeat(call_kind::submit, code(errc::rate_limit_exceeded), true));
    BOOST_TEST(!may_repeat(call_kind::submit, code(errc::system_busy), true));
    BOOST_TEST(may_repeat(call_kind::submit, code(errc::rate_limit_exceeded), false));  // never sent
    // Queries repeat transient faults whether written or not; never a final answer.
    BOOST_TEST(may_repeat(call_kind::read, code(errc::read_timeout), true));
    BOOST_TEST(!may_repeat(call_kind::read, code(errc::invalid_api_key), false));
    BOOST_TEST(!may_repeat(call_kind::read, make_error_code(boost::asio::error::operation_aborted), false));
    // A generic write repeats only what was not sent.
    BOOST_TEST(may_repeat(call_kind::write, refused, false));
    BOOST_TEST(!may_repeat(call_kind::write, code(errc::read_timeout), true));
    BOOST_TEST(!may_repeat(call_kind::read, error_code{}, false));
}

BOOST_AUTO_TEST_CASE(the_retry_decider_honours_attempts_retry_after_time_and_budget) {
    retry_policy p{3, 100ms, 1s, 5s, 10s};
    retry_decider d(2, 0.5);
    attempt_facts f{code(errc::read_timeout), 1, t0, t0, duration(-1)};
    auto first = d.next(p, f, 0.5);
    BOOST_TEST_REQUIRE(first.has_value());
    BOOST_TEST(*first == duration(50ms));  // full jitter: u * base
    BOOST_TEST(d.stats().timeout == 1u);
    // Retry-After wins over the backoff, capped by max_retry_after.
    f.attempt = 2;
    f.retry_after = 30s;
    f.ec = code(errc::task_queue_maxed);
    auto second = d.next(p, f, 0.5);
    BOOST_TEST_REQUIRE(second.has_value());
    BOOST_TEST(*second == duration(5s));
    BOOST_TEST(d.stats().backpressure == 1u);
    // The attempts are spent.
    f.attempt = 3;
    BOOST_TEST(!d.next(p, f, 0.5));
    // The overall time: no repeat would start after max_elapsed.
    f.attempt = 1;
    f.retry_after = duration(-1);
    f.now = t0 + 10s;
    BOOST_TEST(!d.next(p, f, 0.5));
    // The budget: two tokens were spent, so the third repeat is refused and counted.
    f.now = t0;
    BOOST_TEST(!d.next(p, f, 0.5));
    BOOST_TEST(d.stats().budget_exhausted == 1u);
    d.on_success();
    d.on_success();
    BOOST_TEST(d.next(p, f, 0.5).has_value());
    // A download's resume is not budgeted: it continues bytes already on their way.
    f.ec = code(errc::read_timeout);
    f.budgeted = false;
    BOOST_TEST(d.next(p, f, 0.5).has_value());
    BOOST_TEST(d.next(p, f, 0.5).has_value());
    BOOST_TEST(d.tokens() == 0.0);
    // decide() asks may_repeat first: a final answer never spends the budget.
    retry_decider e(10, 0);
    f.ec = code(errc::invalid_api_key);
    BOOST_TEST(!e.decide(call_kind::read, false, p, f, 0.5));
    BOOST_TEST(e.tokens() == 10.0);
}

// The submit window: test/unit/flow.cpp.

BOOST_AUTO_TEST_CASE(a_download_resumes_only_where_it_stopped) {
    resume_point at;
    std::string why;
    // First transfer: a complete answer.
    BOOST_TEST(range_headers(at).empty());
    BOOST_TEST((on_head(at, {200, 1000, "", "md5==", "\"e1\""}, why) == head_verdict::append));
    BOOST_TEST(*at.total == 1000u);
    at.offset = 400;
    BOOST_TEST(range_headers(at) == "Range: bytes=400-\r\nIf-Range: \"e1\"\r\n");
    BOOST_TEST(!check_more(at, 600, why));
    BOOST_TEST((check_more(at, 601, why) == errc::size_mismatch));
    // The continuation must start exactly at our offset, of the same file.
    BOOST_TEST((on_head(at, {206, 600, "bytes 400-999/1000", "", "\"e1\""}, why) == head_verdict::append));
    BOOST_TEST((on_head(at, {206, 600, "bytes 300-999/1000", "", "\"e1\""}, why) == head_verdict::mismatch));
    BOOST_TEST(why.find("does not continue at byte 400") != std::string::npos);
    BOOST_TEST((on_head(at, {206, 600, "bytes 400-999/1000", "", "\"e2\""}, why) == head_verdict::mismatch));
    // A server that ignores Range sends the whole file: start again.
    BOOST_TEST((on_head(at, {200, 1000, "", "", "\"e1\""}, why) == head_verdict::restart));
    BOOST_TEST(at.offset == 0u);
    // Weak validators are not sent as If-Range.
    at.offset = 10;
    at.etag = "W/\"x\"";
    BOOST_TEST(range_headers(at) == "Range: bytes=10-\r\n");
}

BOOST_AUTO_TEST_CASE(only_transport_faults_resume_a_download) {
    using enum after_failure;
    auto reset = make_error_code(boost::asio::error::connection_reset);
    BOOST_TEST((after_failed_transfer(reset, 0, 100, false) == resume));
    BOOST_TEST((after_failed_transfer(reset, 0, 100, true) == give_up));  // the file's or the sink's own error
    BOOST_TEST((after_failed_transfer(code(errc::size_mismatch), 200, 100, false) == give_up));
    BOOST_TEST((after_failed_transfer(code(errc::http_unexpected_status), 416, 100, false) == restart));
    BOOST_TEST((after_failed_transfer(code(errc::http_unexpected_status), 416, 0, false) == resume));
    BOOST_TEST((after_failed_transfer(code(errc::http_unexpected_status), 404, 100, false) == give_up));
    BOOST_TEST((after_failed_transfer(code(errc::http_server_error), 503, 100, false) == resume));
    BOOST_TEST(etag_md5("\"0123456789ABCDEF0123456789abcdef\"") == "0123456789abcdef0123456789abcdef");
    BOOST_TEST(etag_md5("\"0123456789abcdef0123456789abcdef-2\"").empty());  // multipart upload
    BOOST_TEST(etag_md5("W/\"0123456789abcdef0123456789abcdef\"").empty());
}

BOOST_AUTO_TEST_CASE(the_endpoint_table_says_how_to_call_each_endpoint) {
    for (int i = 0; i < static_cast<int>(endpoint_id::count); ++i) {
        auto& e = row(static_cast<endpoint_id>(i));
        std::string_view verb = e.method == http_method::get ? "GET " : e.method == http_method::post ? "POST " : "PUT ";
        BOOST_TEST(e.name.starts_with(verb), e.name);
        BOOST_TEST((e.path.empty() || e.name.substr(verb.size()).starts_with(e.path.substr(0, e.path.size() - 1))),
                   e.name);
        // Whatever may create a paid task is a submit; only storage hosts go without the key.
        bool creates = e.path.find("/run/") != std::string_view::npos || e.path.ends_with("/run") ||
                       e.path == "/task/openapi/create" ||
                       e.name == "POST /openapi/v2/{model}";
        BOOST_TEST((creates == (e.kind == call_kind::submit)), e.name);
        BOOST_TEST(((e.key == key_place::none) == e.path.empty()), e.name);
    }
    BOOST_TEST(body_key_member(row(endpoint_id::cancel)) == "apiKey");
    BOOST_TEST(body_key_member(row(endpoint_id::account)) == "apikey");
    BOOST_TEST(body_key_member(row(endpoint_id::query)).empty());
    BOOST_TEST(body_key_member(row(endpoint_id::app_details)).empty());  // in the query string instead
    BOOST_TEST((row(endpoint_id::queue_status).method == http_method::get));
    BOOST_TEST(query_escape("a b/c~d_e.f-g+h") == "a%20b%2Fc~d_e.f-g%2Bh");
}

// --- the wait queue, driven by hand
namespace {
poll_policy plain() {
    poll_policy p;
    p.first_delay = 1s;
    p.interval = 2s;
    p.cap = 10s;
    p.jitter = 0;
    p.learn = false;
    p.max_poll_errors = 2;
    return p;
}
} // namespace

// Issue 12: a batch may park 100,000 waits; the queue's part of each stays
// within 80 bytes (96 before: an own policy's pointer, a bool per flag), and an
// own poll policy (kept beside the queue) is still the one used.
BOOST_AUTO_TEST_CASE(a_wait_entry_is_compact_and_keeps_its_own_policy) {
    BOOST_TEST(sizeof(wait_entry) <= 80u);
    poll_policy client;
    client.first_delay = 10s;
    wait_queue q(client, 4);
    auto t0 = time_point{} + 1h;
    poll_policy own = client;
    own.first_delay = own.interval = own.cap = 1s;
    wait_entry a("a"), b("b");
    q.add(a, own, 1h, t0, t0, 0.5);
    q.add(b, std::nullopt, 1h, t0, t0, 0.5);
    BOOST_TEST((a.due < b.due));
    q.remove(a);
    q.remove(b);
    BOOST_TEST(q.empty());
}

BOOST_AUTO_TEST_CASE(waits_come_due_in_order_within_the_in_flight_cap) {
    auto p = plain();
    wait_queue q(p, 2);
    wait_entry a("a"), b("b"), c("c");
    q.add(a, std::nullopt, 1min, t0, t0, 0.5);
    q.add(b, std::nullopt, 1min, t0, t0 + 100ms, 0.5);
    q.add(c, std::nullopt, 1min, t0, t0 + 200ms, 0.5);
    BOOST_TEST((q.next_wakeup(t0) == t0 + 1s));
    BOOST_TEST(!q.pop_due(t0 + 999ms));
    auto now = t0 + 2s;
    auto first = q.pop_due(now), second = q.pop_due(now);
    BOOST_TEST_REQUIRE((first && second));
    BOOST_TEST(first->entry == &a);
    BOOST_TEST(second->entry == &b);
    BOOST_TEST(!q.pop_due(now));  // c is due, but two queries are in flight
    BOOST_TEST((q.next_wakeup(now) == time_point::max()));  // a completion pumps, not the timer
    q.returned(a);
    auto v = q.on_result(a, {}, task_status::running, duration(-1), now, 0.5);
    BOOST_TEST(!v.finish);
    BOOST_TEST((a.due == now + 2s));  // poll 1: the interval
    auto third = q.pop_due(now);
    BOOST_TEST_REQUIRE(third.has_value());
    BOOST_TEST(third->entry == &c);
}

BOOST_AUTO_TEST_CASE(a_query_answer_ends_the_wait_or_schedules_the_next_poll) {
    auto p = plain();
    wait_queue q(p, 8);
    wait_entry e("t");
    q.add(e, std::nullopt, 1min, t0, t0, 0.5);
    auto now = t0 + 1s;
    BOOST_TEST_REQUIRE(q.pop_due(now).has_value());
    q.returned(e);
    // A transient error polls on, slowed by Retry-After up to the cap; a third in a row ends it.
    auto v = q.on_result(e, code(errc::http_server_error), task_status::unknown, 30s, now, 0.5);
    BOOST_TEST(!v.finish);
    BOOST_TEST((e.due == now + 10s));
    BOOST_TEST_REQUIRE(q.pop_due(e.due).has_value());
    q.returned(e);
    BOOST_TEST(!q.on_result(e, code(errc::read_timeout), task_status::unknown, duration(-1), e.due, 0.5).finish);
    BOOST_TEST_REQUIRE(q.pop_due(e.due).has_value());
    q.returned(e);
    v = q.on_result(e, code(errc::read_timeout), task_status::unknown, duration(-1), e.due, 0.5);
    BOOST_TEST(v.finish);
    BOOST_TEST((v.ec == errc::read_timeout));
    // A final error ends it at once; FAILED and CANCEL end it with their codes.
    wait_entry f("f"), g("g"), h("h");
    for (auto* w : {&f, &g, &h}) {
        q.add(*w, std::nullopt, 1min, t0, t0, 0.5);
        BOOST_TEST_REQUIRE(q.pop_due(t0 + 1s).has_value());
        q.returned(*w);
    }
    BOOST_TEST((q.on_result(f, code(errc::invalid_api_key), {}, duration(-1), t0 + 1s, 0.5).ec == errc::invalid_api_key));
    BOOST_TEST((q.on_result(g, {}, task_status::failed, duration(-1), t0 + 1s, 0.5).ec == errc::task_failed));
    auto ok = q.on_result(h, {}, task_status::success, duration(-1), t0 + 1s, 0.5);
    BOOST_TEST((ok.finish && !ok.ec));
}

BOOST_AUTO_TEST_CASE(deadlines_expire_waits_and_events_make_them_due) {
    auto p = plain();
    wait_queue q(p, 8);
    wait_entry late("late");
    q.add(late, std::nullopt, 500ms, t0, t0, 0.5);
    BOOST_TEST((q.next_wakeup(t0) == t0 + 500ms));  // the deadline comes before the first poll
    auto item = q.pop_due(t0 + 500ms);
    BOOST_TEST_REQUIRE(item.has_value());
    BOOST_TEST(item->expired);
    q.remove(late);
    BOOST_TEST(late.done);
    // With webhooks: the safety interval, and an event makes the wait due now.
    q.set_safety_interval(60s);
    wait_entry w("w");
    q.add(w, std::nullopt, 1h, t0, t0, 0.5);
    BOOST_TEST((w.due == t0 + 60s));
    q.on_event("other", t0 + 5s);
    BOOST_TEST((w.due == t0 + 60s));
    q.on_event("w", t0 + 5s);
    BOOST_TEST((w.due == t0 + 5s));
    BOOST_TEST(w.event_seen);
    BOOST_TEST_REQUIRE(q.pop_due(t0 + 5s).has_value());
    q.returned(w);
    // After the event, the client's own pace (the service may lag behind its event).
    BOOST_TEST(!q.on_result(w, {}, task_status::running, duration(-1), t0 + 5s, 0.5).finish);
    BOOST_TEST((w.due == t0 + 7s));
    q.remove(w);
    BOOST_TEST(q.entries().empty());
}

BOOST_AUTO_TEST_CASE(waits_learn_how_long_tasks_take) {
    auto p = plain();
    p.learn = true;
    p.learn_after = 3;
    p.min_interval = 100ms;
    wait_queue q(p, 8);
    // Three tasks each seen running at 9 s and ended at 11 s: they took ~10 s.
    for (int i = 0; i < 3; ++i) {
        wait_entry e("e" + std::to_string(i));
        q.add(e, std::nullopt, 1h, t0, t0, 0.5);
        BOOST_TEST_REQUIRE(q.pop_due(t0 + 9s).has_value());
        q.returned(e);
        q.on_result(e, {}, task_status::running, duration(-1), t0 + 9s, 0.5);
        BOOST_TEST_REQUIRE(q.pop_due(e.due).has_value());
        q.returned(e);
        BOOST_TEST(q.on_result(e, {}, task_status::success, duration(-1), t0 + 11s, 0.5).finish);
        q.remove(e);
    }
    BOOST_TEST(q.durations().samples == 3u);
    BOOST_TEST(q.durations().mean_s == 10.0, boost::test_tools::tolerance(0.01));
    // A new wait sleeps through most of the usual run time instead of polling at 1 s.
    wait_entry n("n");
    q.add(n, std::nullopt, 1h, t0, t0, 0.5);
    BOOST_TEST((n.due > t0 + 4s));  // mean - 2 deviations: ~4.4 s
    q.remove(n);
}

BOOST_AUTO_TEST_CASE(salvage_task_id_from_unreadable_answers) {
    using runninghub::detail::salvage_task_id;
    BOOST_TEST(salvage_task_id(R"({"taskId":"1900000000000000001","status":"QUE)") == "1900000000000000001");
    BOOST_TEST(salvage_task_id(R"(<html>{"data": {"taskId" : 1900000000000000002, "x":1}})") == "1900000000000000002");
    BOOST_TEST(salvage_task_id(R"({"taskId":"19000000)").empty());  // cut inside the id
    BOOST_TEST(salvage_task_id(R"({"taskId":"","errorCode":"1007"})").empty());
    BOOST_TEST(salvage_task_id(R"({"taskId":"12x"})").empty());
    BOOST_TEST(salvage_task_id(R"({"taskId":"1","taskId":"2"})").empty());  // they disagree
    BOOST_TEST(salvage_task_id(R"({"taskId":"7","data":{"taskId":"7"}})") == "7");
    BOOST_TEST(salvage_task_id(std::string(100, '9')).empty());
    BOOST_TEST(salvage_task_id("\"taskId\":\"" + std::string(40, '1') + "\"").empty());
}

BOOST_AUTO_TEST_SUITE_END()
