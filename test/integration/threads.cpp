// SPDX-License-Identifier: BSL-1.0
// Several threads run one io_context; tasks start from all of them.
// Run under ThreadSanitizer in CI (.ci/run).
#include "common.hpp"

#include <runninghub/webhook.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <thread>

BOOST_AUTO_TEST_SUITE(threads)

BOOST_AUTO_TEST_CASE(four_threads_thousands_of_tasks) {
    auto eo = fast_emulator();
    eo.run_time = 20ms;
    eo.failure_rate = 0.05;
    rh::emulator emu(eo);
    asio::io_context io(4);
    auto opts = fast_client(emu);
    opts.throttle.max_in_flight_tasks = 64;
    rh::client c(io.get_executor(), opts);
    rh::webhook_options wo;
    wo.secret = "thread-test-secret-0123456789";
    rh::webhook_listener listener(io.get_executor(), wo);
    c.attach(listener, {.safety_poll_interval = 2s});

    constexpr int n = 2000;
    std::atomic<int> ok{0}, failed{0}, cancelled{0}, other{0}, finished{0};
    for (int i = 0; i < n; ++i) {
        // Each task on its own strand: the coroutines run on all four threads.
        asio::co_spawn(asio::make_strand(io), [&, i]() -> asio::awaitable<void> {
            rh::ai_app app(app_id);
            auto [ec, t] = co_await c.run(app, some_inputs(), {}, tuple_token);
            if (!ec) {
                if (i % 10 == 0) {
                    // Cancel some waits from the waiting coroutine's own executor.
                    asio::cancellation_signal sig;
                    asio::steady_timer timer(co_await asio::this_coro::executor, 1ms);
                    timer.async_wait([&](rh::error_code) { sig.emit(asio::cancellation_type::terminal); });
                    std::tie(ec, t) = co_await c.wait(
                        t.id, {}, asio::bind_cancellation_slot(sig.slot(), tuple_token));
                    timer.cancel();
                } else {
                    std::tie(ec, t) = co_await c.wait(t.id, {}, tuple_token);
                }
            }
            if (!ec)
                ++ok;
            else if (ec == rh::errc::task_failed)
                ++failed;
            else if (ec == asio::error::operation_aborted)
                ++cancelled;
            else
                ++other;
            if (++finished == n)
                listener.close();
        }, asio::detached);
    }
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] { io.run_for(60s); });
    for (auto& t : threads)
        t.join();
    auto s = c.stats();
    BOOST_TEST_MESSAGE("threads: " << ok << " ok, " << failed << " failed, " << cancelled << " cancelled");
    BOOST_TEST_MESSAGE("finished " << finished << " ok " << ok << " failed " << failed << " cancelled " << cancelled << " other " << other << " pending waits " << s.waits_pending << " in flight " << s.tasks_in_flight << " queued " << s.throttle.queued << " accepted " << s.submits_accepted);
    BOOST_TEST(finished.load() == n);
    BOOST_TEST(other.load() == 0);
    BOOST_TEST(ok + failed + cancelled == n);
    BOOST_TEST(s.submits_accepted == unsigned(n));
    BOOST_TEST(s.waits_pending == 0u);
    BOOST_TEST(emu.counters().tasks_created == unsigned(n));
}

BOOST_AUTO_TEST_SUITE_END()
