// SPDX-License-Identifier: BSL-1.0
// cancel(), run_and_wait() under one deadline, and caller cancellation.
#include "common.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>

BOOST_AUTO_TEST_SUITE(deadlines)

BOOST_AUTO_TEST_CASE(cancel_a_task) {
    harness h(fast_emulator(30s));
    auto& [emu, io, c] = h;
    run_test(io, [&]() -> asio::awaitable<void> {
        rh::ai_app app(app_id);
        auto t = co_await c.run(app, some_inputs());
        auto [ec, ack] = co_await c.cancel(t.id, tuple_token);
        BOOST_TEST(!ec, ec.message());
        auto q = co_await c.query(t.id);
        BOOST_TEST(q.status == rh::task_status::cancel);
        auto [wec, w] = co_await c.wait(t.id, {}, tuple_token);
        BOOST_TEST(wec == rh::errc::task_cancelled);
        BOOST_TEST(w.status == rh::task_status::cancel);
        auto [uec, u] = co_await c.cancel("1234567890123456789", tuple_token);
        BOOST_TEST(uec == rh::errc::apikey_task_not_found);
        BOOST_TEST(u.diag.server_message == "APIKEY_TASK_NOT_FOUND");
        BOOST_TEST(u.diag.endpoint == "POST /task/openapi/cancel");
    });
    BOOST_TEST(emu.counters().tasks_cancelled == 1u);
}

BOOST_AUTO_TEST_CASE(run_and_wait_success_and_failure) {
    auto eo = fast_emulator();
    harness h(eo);
    auto& [emu, io, c] = h;
    run_test(io, [&]() -> asio::awaitable<void> {
        rh::ai_app app(app_id);
        auto r = co_await c.run_and_wait(app, some_inputs());
        BOOST_TEST(r.t.status == rh::task_status::success);
        BOOST_TEST(!r.cancel_requested);
        rh::workflow wf(workflow_id);
        auto w = co_await c.run_and_wait(wf, some_inputs());
        BOOST_TEST(w.t.status == rh::task_status::success);
    });
    auto eo2 = fast_emulator();
    eo2.failure_rate = 1;
    rh::emulator failing(eo2);
    rh::client c2(io.get_executor(), fast_client(failing));
    io.restart();
    run_test(io, [&]() -> asio::awaitable<void> {
        rh::ai_app app(app_id);
        auto [ec, r] = co_await c2.run_and_wait(app, some_inputs(), {}, {}, tuple_token);
        BOOST_TEST(ec == rh::errc::task_failed);
        BOOST_TEST(r.t.status == rh::task_status::failed);
        BOOST_TEST(!r.cancel_requested);
    });
}

BOOST_AUTO_TEST_CASE(deadline_cancels_the_task_at_the_service) {
    harness h(fast_emulator(30s));
    auto& [emu, io, c] = h;
    run_test(io, [&]() -> asio::awaitable<void> {
        rh::ai_app app(app_id);
        rh::run_and_wait_options o;
        o.timeout = 300ms;
        auto start = rh::clock::now();
        std::vector<std::string> accepted;  // the id is handed over before the wait
        o.on_accepted = [&](const rh::task& t) { accepted.push_back(t.id); };
        auto [ec, r] = co_await c.run_and_wait(app, some_inputs(), {}, o, tuple_token);
        BOOST_TEST(ec == rh::errc::deadline_exceeded);
        BOOST_TEST_MESSAGE("a 300 ms deadline ended after " << seconds_since(start) << " s");
        BOOST_TEST(!r.t.id.empty());
        BOOST_TEST(accepted == std::vector<std::string>{r.t.id});
        BOOST_TEST(r.cancel_requested);
        BOOST_TEST(r.cancel_confirmed);
        auto q = co_await c.query(r.t.id);
        BOOST_TEST(q.status == rh::task_status::cancel);

        o.cancel_on_abort = false;
        auto [ec2, r2] = co_await c.run_and_wait(app, some_inputs(), {}, o, tuple_token);
        BOOST_TEST(ec2 == rh::errc::deadline_exceeded);
        BOOST_TEST(!r2.cancel_requested);
    });
    BOOST_TEST(emu.counters().tasks_cancelled == 1u);
    BOOST_TEST(c.stats().waits_pending == 0u);
}

BOOST_AUTO_TEST_CASE(deadline_while_queued_for_the_account) {
    auto eo = fast_emulator();
    eo.run_time = 30s;
    rh::emulator emu(eo);
    asio::io_context io;
    auto opts = fast_client(emu);
    opts.throttle.max_in_flight_tasks = 1;
    rh::client c(io.get_executor(), opts);
    run_test(io, [&]() -> asio::awaitable<void> {
        rh::ai_app app(app_id);
        auto first = co_await c.run(app, some_inputs());  // holds the only slot
        rh::run_and_wait_options o;
        o.timeout = 200ms;
        auto [ec, r] = co_await c.run_and_wait(app, some_inputs(), {}, o, tuple_token);
        BOOST_TEST(ec == rh::errc::deadline_exceeded);
        BOOST_TEST(r.t.id.empty());  // never submitted
        BOOST_TEST(!r.cancel_requested);
        BOOST_TEST(c.stats().throttle.queued == 0u);
        co_await c.cancel(first.id);  // frees the slot
        BOOST_TEST(c.stats().throttle.in_flight == 0u);
    });
    BOOST_TEST(emu.counters().tasks_created == 1u);
}

BOOST_AUTO_TEST_CASE(caller_cancellation_cancels_the_task) {
    harness h(fast_emulator(30s));
    auto& [emu, io, c] = h;
    asio::cancellation_signal sig;
    rh::error_code result;
    rh::run_result got;
    rh::ai_app app(app_id);
    c.run_and_wait(app, some_inputs(), {}, {}, asio::bind_cancellation_slot(sig.slot(), [&](rh::error_code ec, rh::run_result r) {
                       result = ec;
                       got = std::move(r);
                   }));
    asio::steady_timer t(io, 300ms);
    t.async_wait([&](rh::error_code) { sig.emit(asio::cancellation_type::terminal); });
    auto start = rh::clock::now();
    io.run_for(10s);
    BOOST_TEST(io.stopped());  // nothing left pending
    BOOST_TEST(seconds_since(start) < 3.0);
    BOOST_TEST(result == asio::error::operation_aborted);
    BOOST_TEST(got.cancel_requested);
    BOOST_TEST(got.cancel_confirmed);
    BOOST_TEST(emu.counters().tasks_cancelled == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
