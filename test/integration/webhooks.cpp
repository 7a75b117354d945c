// SPDX-License-Identifier: BSL-1.0
// The webhook listener over sockets: hostile requests, and the emulator's
// callbacks completing waits (lost and duplicated ones included).
#include "common.hpp"

#include <runninghub/webhook.hpp>

#include "emulator/cert.hpp"

#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <iostream>
#include <numeric>
#include <vector>

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

const std::string secret = "s3cr3t-0123456789abcdef";

rh::webhook_options listener_options() {
    rh::webhook_options o;
    o.secret = secret;
    o.max_body = 4096;
    o.max_header_fields = 20;
    return o;
}

// One raw HTTP exchange with the listener; returns the status (0: no answer).
asio::awaitable<unsigned> send(unsigned short port, http::verb verb, std::string target, std::string body,
                               int extra_fields = 0) {
    beast::tcp_stream s(co_await asio::this_coro::executor);
    s.expires_after(5s);
    co_await s.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), asio::use_awaitable);
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::content_type, "application/json");
    for (int i = 0; i < extra_fields; ++i)
        req.insert("X-Filler-" + std::to_string(i), "1");
    req.body() = std::move(body);
    req.prepare_payload();
    co_await http::async_write(s, req, asio::use_awaitable);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    auto [ec, n] = co_await http::async_read(s, buf, res, tuple_token);
    co_return ec ? 0u : res.result_int();
}

struct batch_numbers {
    std::size_t ok = 0;
    double mean_seen_after_end_ms = 0;
    double median_seen_after_end_ms = 0;
    double queries_per_task = 0;
};

// n tasks, each: run, wait; "seen after end" = wait completion minus the
// task's end (accepted + queue + run time, as the emulator computes it).
// The listener (if any) is closed when the last task ends and `settled` says
// nothing more is on its way (at most 10 s), so that io runs out of work.
batch_numbers run_tasks(asio::io_context& io, rh::client& c, std::size_t n, rh::duration task_time,
                        rh::webhook_listener* l = nullptr, std::function<bool()> settled = {}) {
    batch_numbers b;
    std::vector<double> seen_ms;
    std::size_t finished = 0;
    for (std::size_t i = 0; i < n; ++i)
        asio::co_spawn(io, [&]() -> asio::awaitable<void> {
            rh::ai_app app(app_id);
            auto [ec, t] = co_await c.run(app, some_inputs(), {}, tuple_token);
            if (!ec) {
                auto ends = rh::clock::now() + task_time;
                auto [wec, done] = co_await c.wait(t.id, {}, tuple_token);
                if (!wec) {
                    ++b.ok;
                    seen_ms.push_back(std::chrono::duration<double, std::milli>(rh::clock::now() - ends).count());
                }
            }
            if (++finished == n && l) {
                for (int i = 0; i < 500 && settled && !settled(); ++i)
                    co_await sleep_for(20ms);
                l->close();
            }
        }, asio::detached);
    io.run_for(120s);
    if (b.ok) {
        std::sort(seen_ms.begin(), seen_ms.end());
        b.mean_seen_after_end_ms = std::accumulate(seen_ms.begin(), seen_ms.end(), 0.0) / double(b.ok);
        b.median_seen_after_end_ms = seen_ms[seen_ms.size() / 2];
    }
    b.queries_per_task = double(c.stats().queries) / double(n);
    return b;
}

} // namespace

BOOST_AUTO_TEST_SUITE(webhooks)

BOOST_AUTO_TEST_CASE(a_callback_reference_after_the_secret_comes_with_the_event) {
    // callback_url(ref): the event sent there carries ref (batch_options::webhook adopts
    // a task whose submit answer was lost by it); a reference that is not [0-9A-Za-z_-]
    // of 1..64 characters, or anything after it, is another path: 404.
    asio::io_context io;
    rh::webhook_listener l(io.get_executor(), listener_options());
    std::vector<std::pair<std::string, std::string>> seen;  // task id, ref
    l.subscribe([&](const rh::webhook_event& e) { seen.emplace_back(e.task_id, e.ref); });
    auto path = "/runninghub/webhook/" + secret;
    BOOST_TEST(l.callback_url("job-7") == l.callback_url() + "/job-7");
    BOOST_CHECK_THROW(l.callback_url("a/b"), rh::error);
    BOOST_CHECK_THROW(l.callback_url(""), rh::error);
    BOOST_CHECK_THROW(l.callback_url(std::string(65, 'x')), rh::error);
    run_test(io, [&]() -> asio::awaitable<void> {
        auto p = l.port();
        auto event = [](int id) { return R"({"taskId":")" + std::to_string(id) + R"(","status":"SUCCESS"})"; };
        BOOST_TEST(co_await send(p, http::verb::post, path + "/job-7", event(1)) == 200u);
        BOOST_TEST(co_await send(p, http::verb::post, path + "/job-8?x=1", event(2)) == 200u);
        BOOST_TEST(co_await send(p, http::verb::post, path, event(3)) == 200u);
        BOOST_TEST(co_await send(p, http::verb::post, path + "/", event(4)) == 404u);
        BOOST_TEST(co_await send(p, http::verb::post, path + "/a/b", event(5)) == 404u);
        BOOST_TEST(co_await send(p, http::verb::post, path + "/a.b", event(6)) == 404u);
        BOOST_TEST(co_await send(p, http::verb::post, path + "/" + std::string(65, 'x'), event(7)) == 404u);
        BOOST_TEST(co_await send(p, http::verb::post, path + "x/job", event(8)) == 404u);
        co_await sleep_for(20ms);
        l.close();
    });
    using seen_t = std::vector<std::pair<std::string, std::string>>;
    BOOST_TEST((seen == seen_t{{"1", "job-7"}, {"2", "job-8"}, {"3", ""}}));
    BOOST_TEST(l.stats().rejected_path == 5u);
}

BOOST_AUTO_TEST_CASE(hostile_requests_are_answered_and_counted) {
    asio::io_context io;
    rh::webhook_listener l(io.get_executor(), listener_options());
    std::vector<std::string> seen;
    l.subscribe([&](const rh::webhook_event& e) { seen.push_back(e.task_id); });
    auto path = "/runninghub/webhook/" + secret;
    run_test(io, [&]() -> asio::awaitable<void> {
        auto p = l.port();
        BOOST_TEST(co_await send(p, http::verb::post, "/runninghub/webhook/wrong-secret-0000000", "{}") == 404u);
        BOOST_TEST(co_await send(p, http::verb::post, "/", R"({"taskId":"1"})") == 404u);
        // The secret compared in constant time: cut short, or right but for its last character.
        BOOST_TEST(co_await send(p, http::verb::post, path.substr(0, path.size() - 1), "{}") == 404u);
        auto off_by_one = path;
        off_by_one.back() = off_by_one.back() == 'a' ? 'b' : 'a';
        BOOST_TEST(co_await send(p, http::verb::post, off_by_one, "{}") == 404u);
        BOOST_TEST(co_await send(p, http::verb::get, path, "") == 405u);
        BOOST_TEST(co_await send(p, http::verb::post, path, "{not json") == 400u);
        BOOST_TEST(co_await send(p, http::verb::post, path, R"({"event":"TASK_END"})") == 400u);
        BOOST_TEST(co_await send(p, http::verb::post, path, std::string(10000, 'x')) == 413u);
        BOOST_TEST(co_await send(p, http::verb::post, path, R"({"taskId":"5"})", 40) == 431u);
        auto event = R"({"event":"TASK_END","taskId":"42","eventData":"{\"code\":0,\"msg\":\"success\",\"data\":[]}"})";
        BOOST_TEST(co_await send(p, http::verb::post, path, event) == 200u);
        BOOST_TEST(co_await send(p, http::verb::post, path + "?retry=1", event) == 200u);  // a duplicate
        co_await sleep_for(20ms);
        l.close();
    });
    auto s = l.stats();
    BOOST_TEST(s.rejected_path == 4u);
    BOOST_TEST(s.rejected_method == 1u);
    BOOST_TEST(s.rejected_malformed == 2u);
    BOOST_TEST(s.rejected_oversized == 2u);
    BOOST_TEST(s.accepted == 1u);
    BOOST_TEST(s.duplicates == 1u);
    BOOST_TEST(seen == std::vector<std::string>{"42"});
}

BOOST_AUTO_TEST_CASE(bad_listener_options_rejected) {
    asio::io_context io;
    auto expect_bad = [&](rh::webhook_options o) {
        BOOST_CHECK_EXCEPTION(rh::webhook_listener(io.get_executor(), o), rh::error,
                              [](const rh::error& e) { return e.code() == rh::errc::invalid_options; });
    };
    auto o = listener_options();
    o.secret = "short";
    expect_bad(o);
    o = listener_options();
    o.path = "no-slash";
    expect_bad(o);
    o = listener_options();
    o.address = "not an address";
    expect_bad(o);
    o = listener_options();
    o.cert_pem = "garbage";
    o.key_pem = "garbage";
    expect_bad(o);
}

BOOST_AUTO_TEST_CASE(events_complete_waits_with_about_one_query) {
    for (auto shape : {rh::webhook_shape::legacy_string, rh::webhook_shape::object, rh::webhook_shape::wrapped,
                       rh::webhook_shape::flat}) {
        auto eo = fast_emulator();
        eo.run_time = 100ms;
        eo.failure_rate = 0.1;
        eo.webhook_format = shape;
        rh::emulator emu(eo);
        asio::io_context io;
        rh::webhook_listener l(io.get_executor(), listener_options());
        auto opts = fast_client(emu);
        rh::client c(io.get_executor(), opts);
        c.attach(l, {.safety_poll_interval = 30s});
        constexpr std::size_t n = 100;
        std::size_t ended = 0, finished = 0;
        for (std::size_t i = 0; i < n; ++i)
            asio::co_spawn(io, [&]() -> asio::awaitable<void> {
                rh::ai_app app(app_id);
                auto t = co_await c.run(app, some_inputs());
                auto [ec, done] = co_await c.wait(t.id, {}, tuple_token);
                if (!ec || ec == rh::errc::task_failed)
                    ++ended;
                if (++finished == n)
                    l.close();
            }, asio::detached);
        io.run_for(60s);
        auto s = c.stats();
        BOOST_TEST(ended == n);
        BOOST_TEST(s.queries == n);  // one query per task, right after its event
        BOOST_TEST(l.stats().accepted == n);
        BOOST_TEST(emu.counters().webhooks_delivered == n);
    }
}

BOOST_AUTO_TEST_CASE(events_carry_costs_and_failure_reasons) {
    // A v2 event (eventData as an object) and a legacy one (the outputs envelope as a
    // string): a success names its costs, a failure its code and ComfyUI's reason.
    for (auto shape : {rh::webhook_shape::object, rh::webhook_shape::legacy_string}) {
        auto eo = fast_emulator();
        eo.run_time = 50ms;
        eo.failure_rate = 0.5;
        eo.webhook_format = shape;
        rh::emulator emu(eo);
        asio::io_context io;
        rh::webhook_listener l(io.get_executor(), listener_options());
        std::vector<rh::webhook_event> events;
        l.subscribe([&](const rh::webhook_event& e) { events.push_back(e); });
        rh::client c(io.get_executor(), fast_client(emu));
        c.attach(l, {.safety_poll_interval = 30s});
        run_tasks(io, c, 20, 50ms, &l, [&] { return events.size() == 20; });
        BOOST_TEST_REQUIRE(events.size() == 20u);
        std::size_t ok = 0, failed = 0;
        for (auto& e : events) {
            if (e.status == rh::task_status::success) {
                ++ok;
                BOOST_TEST(e.error_code.empty());
                BOOST_TEST(e.failed_reason.empty());
                BOOST_TEST_REQUIRE(!e.results.empty());
                if (shape == rh::webhook_shape::object)
                    BOOST_TEST(e.usage.consume_coins.value_or("") == "10");
                BOOST_TEST(e.usage.task_cost_time.has_value());  // the legacy items' taskCostTime
            } else {
                ++failed;
                BOOST_TEST((e.status == rh::task_status::failed));
                BOOST_TEST(e.error_code == (shape == rh::webhook_shape::object ? "1000" : "805"));
                BOOST_TEST(e.failed_reason.node_id() == "9");
                BOOST_TEST(e.failed_reason.node_type() == "SaveImage");
                BOOST_TEST(e.failed_reason.exception_type() == "RuntimeError");
                BOOST_TEST(e.failed_reason.exception_message() == "emulated failure");
                BOOST_TEST(to_string(e.failed_reason) == "node 9 (SaveImage): RuntimeError: emulated failure");
            }
        }
        BOOST_TEST_MESSAGE("shape " << int(shape) << ": " << ok << " succeeded, " << failed << " failed");
        BOOST_TEST(ok > 0u);  // 20 tasks at 50% with the emulator's fixed seed: both kinds
        BOOST_TEST(failed > 0u);
    }
}

BOOST_AUTO_TEST_CASE(https_listener) {
    auto cert = rh::detail::make_certificate("127.0.0.1");
    auto eo = fast_emulator();
    eo.webhook_format = rh::webhook_shape::object;
    rh::emulator emu(eo);
    asio::io_context io;
    auto wo = listener_options();
    wo.cert_pem = cert.cert_pem;
    wo.key_pem = cert.key_pem;
    rh::webhook_listener l(io.get_executor(), wo);
    BOOST_TEST(l.callback_url().starts_with("https://127.0.0.1:"));
    rh::client c(io.get_executor(), fast_client(emu));
    c.attach(l, {.safety_poll_interval = 30s});
    auto b = run_tasks(io, c, 20, 50ms, &l);
    BOOST_TEST(b.ok == 20u);
    BOOST_TEST(b.queries_per_task == 1.0);
    BOOST_TEST(l.stats().accepted == 20u);
}

BOOST_AUTO_TEST_CASE(lost_and_duplicate_webhooks) {
    auto eo = fast_emulator();
    eo.run_time = 50ms;
    eo.webhook_loss_rate = 0.3;
    eo.webhook_duplicate_rate = 0.3;
    rh::emulator emu(eo);
    asio::io_context io;
    rh::webhook_listener l(io.get_executor(), listener_options());
    rh::client c(io.get_executor(), fast_client(emu));
    c.attach(l, {.safety_poll_interval = 300ms});
    // Duplicates come webhook_retry_delay after the first copy: keep listening until every copy was sent.
    auto b = run_tasks(io, c, 100, 50ms, &l, [&] {
        auto e = emu.counters();
        return e.webhooks_delivered + e.webhooks_given_up == 100 - e.webhooks_lost + e.webhooks_duplicated;
    });
    auto e = emu.counters();
    BOOST_TEST(b.ok == 100u);  // lost events: the safety polling finds those tasks
    BOOST_TEST(e.webhooks_lost > 0u);
    BOOST_TEST(e.webhooks_duplicated > 0u);
    BOOST_TEST(l.stats().duplicates == e.webhooks_duplicated);
    BOOST_TEST(l.stats().accepted == 100u - e.webhooks_lost);
}

BOOST_AUTO_TEST_CASE(polling_learns_task_durations) {
    // Tasks of 1.5 s with the default policy (3 s, then 5 s): after a few
    // tasks the client sleeps through their usual duration and polls densely
    // around its end.
    auto eo = fast_emulator();
    eo.run_time = 1500ms;
    rh::emulator emu(eo);
    auto opts = emu.make_client_options();
    batch_numbers plain, learned;
    {
        opts.poll.learn = false;
        asio::io_context io;
        rh::client c(io.get_executor(), opts);
        plain = run_tasks(io, c, 20, eo.run_time);
    }
    {
        opts.poll.learn = true;
        asio::io_context io;
        rh::client c(io.get_executor(), opts);
        run_tasks(io, c, 5, eo.run_time);  // what tasks take, learned on 5
        io.restart();
        auto before = c.stats().queries;
        learned = run_tasks(io, c, 20, eo.run_time);
        learned.queries_per_task = double(c.stats().queries - before) / 20;
    }
    std::cout << "learning: plain " << plain.queries_per_task << " queries/task, seen " << plain.mean_seen_after_end_ms
              << " ms after the end; learned " << learned.queries_per_task << " queries/task, seen "
              << learned.mean_seen_after_end_ms << " ms (median " << learned.median_seen_after_end_ms
              << ") after the end\n";
    BOOST_TEST(plain.ok == 20u);
    BOOST_TEST(learned.ok == 20u);
    BOOST_TEST(learned.queries_per_task <= 4.0);
    BOOST_TEST(learned.mean_seen_after_end_ms < plain.mean_seen_after_end_ms);
}

BOOST_AUTO_TEST_CASE(learned_polling_in_a_steady_batch) {
    // An account that runs 5 tasks at a time: 5 lanes of tasks of 1 s one
    // after the other, the default poll policy. Once a few have ended, each
    // wait sleeps through the usual time and sees the end a small share of
    // it late (the numbers are printed for the notes; the unit test
    // poll_learning holds the rule on a manual clock).
    auto eo = fast_emulator();
    eo.run_time = 1s;
    rh::emulator emu(eo);
    asio::io_context io;
    rh::client c(io.get_executor(), emu.make_client_options());
    std::vector<double> seen_ms;
    std::size_t ok = 0;
    std::uint64_t queries_at_half = 0;
    for (int lane = 0; lane < 5; ++lane)
        asio::co_spawn(io, [&]() -> asio::awaitable<void> {
            for (int i = 0; i < 8; ++i) {
                rh::ai_app app(app_id);
                auto [ec, t] = co_await c.run(app, some_inputs(), {}, tuple_token);
                if (ec)
                    continue;
                auto ends = rh::clock::now() + eo.run_time;
                auto [wec, done] = co_await c.wait(t.id, {}, tuple_token);
                if (!wec && ++ok == 20)
                    queries_at_half = c.stats().queries;  // the second half of the batch has learned
                if (!wec && i >= 4)
                    seen_ms.push_back(std::chrono::duration<double, std::milli>(rh::clock::now() - ends).count());
            }
        }, asio::detached);
    io.run_for(60s);
    BOOST_TEST(ok == 40u);
    BOOST_TEST_REQUIRE(seen_ms.size() == 20u);
    std::sort(seen_ms.begin(), seen_ms.end());
    std::cout << "steady batch (5 lanes, tasks of 1 s): seen " << seen_ms[10] << " ms (median) after the end, "
              << double(c.stats().queries - queries_at_half) / 20 << " queries/task\n";
    BOOST_TEST(seen_ms[10] < 1000.0);  // not the plain schedule's 3 s first poll: it learned
}

BOOST_AUTO_TEST_CASE(detection_delay_with_and_without_webhooks) {
    // The client's default poll policy (3 s first, then every 5 s) against
    // tasks of 4 s, with and without the listener: queries per task and the
    // mean delay between a task's end and its wait completing.
    auto eo = fast_emulator();
    eo.run_time = 4s;
    rh::emulator emu(eo);
    auto opts = emu.make_client_options();
    batch_numbers polled, hooked;
    {
        asio::io_context io;
        rh::client c(io.get_executor(), opts);
        polled = run_tasks(io, c, 50, eo.run_time);
    }
    {
        asio::io_context io;
        rh::webhook_listener l(io.get_executor(), listener_options());
        rh::client c(io.get_executor(), opts);
        c.attach(l);
        hooked = run_tasks(io, c, 50, eo.run_time, &l);
    }
    std::cout << "detection: polling " << polled.queries_per_task << " queries/task, seen "
              << polled.mean_seen_after_end_ms << " ms after the end; with webhooks " << hooked.queries_per_task
              << " queries/task, seen " << hooked.mean_seen_after_end_ms << " ms after the end\n";
    BOOST_TEST(polled.ok == 50u);
    BOOST_TEST(hooked.ok == 50u);
    BOOST_TEST(hooked.queries_per_task == 1.0);
    BOOST_TEST(hooked.mean_seen_after_end_ms < polled.mean_seen_after_end_ms);
}

BOOST_AUTO_TEST_SUITE_END()
