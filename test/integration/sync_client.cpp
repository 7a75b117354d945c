// SPDX-License-Identifier: BSL-1.0
// runninghub::sync_client: blocking calls from plain threads, no event loop of
// the caller's, against the emulator.
#include "common.hpp"

#include <runninghub/sync_client.hpp>

#include <boost/asio/post.hpp>

#include <atomic>
#include <future>
#include <thread>

BOOST_AUTO_TEST_SUITE(sync_client)

BOOST_AUTO_TEST_CASE(blocking_calls_from_several_threads) {
    rh::emulator emu(fast_emulator(100ms));
    rh::sync_client sc(fast_client(emu));
    auto t = sc.run(rh::ai_app(app_id), some_inputs());
    BOOST_TEST(!t.id.empty());
    try {  // an exception still names the task (no paid task lost to it)
        rh::wait_options quick;
        quick.timeout = 1ms;
        sc.wait(t.id, quick);
        BOOST_FAIL("a 1 ms wait for a 100 ms task succeeded");
    } catch (const rh::error& e) {
        BOOST_TEST((e.code() == rh::errc::wait_timeout));
        BOOST_TEST(e.task_id() == t.id);
        BOOST_TEST(std::string(e.what()).find(t.id) != std::string::npos, e.what());
    }
    auto done = sc.wait(t.id);
    BOOST_TEST((done.status == rh::task_status::success));
    BOOST_TEST(!done.results.empty());

    std::atomic<int> ok = 0;
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i)
        threads.emplace_back([&] {
            for (int j = 0; j < 5; ++j)
                if (sc.run_and_wait(rh::ai_app(app_id), some_inputs()).t.status == rh::task_status::success)
                    ++ok;
        });
    for (auto& th : threads)
        th.join();
    BOOST_TEST(ok == 20);
    BOOST_TEST(emu.counters().tasks_created == 21u);
    BOOST_TEST(sc.stats().submits_accepted == 21u);
}

BOOST_AUTO_TEST_CASE(errors_throw_with_diagnostics_or_come_back_as_codes) {
    rh::emulator emu(fast_emulator());
    rh::sync_client sc(fast_client(emu));
    const std::string unknown = "1800000000000000001";
    try {
        sc.query(unknown);
        BOOST_FAIL("a query of an unknown task succeeded");
    } catch (const rh::error& e) {
        BOOST_TEST((e.code() == rh::errc::task_not_found_or_expired));
        BOOST_TEST(e.diag().server_code == "1004");
        BOOST_TEST(!e.diag().endpoint.empty());
    }
    rh::error_code ec;
    auto t = sc.call([&](rh::client& c, auto token) { return c.query(unknown, token); }, ec);
    BOOST_TEST((ec == rh::errc::task_not_found_or_expired));
    BOOST_TEST(t.diag.server_code == "1004");
    // A call's own overrides, checked before anything is sent.
    auto sent = emu.counters().total_requests();
    rh::call_overrides smuggling;
    smuggling.headers = {{"X-Evil", "a\r\nHost: elsewhere"}};
    BOOST_CHECK_EXCEPTION(sc.query(unknown, smuggling), rh::error,
                          [](const rh::error& e) { return e.code() == rh::errc::invalid_options; });
    BOOST_CHECK_EXCEPTION(sc.cancel(unknown, smuggling), rh::error,
                          [](const rh::error& e) { return e.code() == rh::errc::invalid_options; });
    BOOST_TEST(emu.counters().total_requests() == sent);
    // Any operation, blocking: the account.
    auto account = sc.call([](rh::client& c, auto token) { return c.account(token); });
    BOOST_TEST(!account.remain_coins.empty());
}

BOOST_AUTO_TEST_CASE(a_call_from_its_own_thread_is_refused_not_deadlocked) {
    rh::emulator emu(fast_emulator());
    rh::sync_client sc(fast_client(emu));
    std::promise<std::string> refused;
    boost::asio::post(sc.async().get_executor(), [&] {
        rh::error_code ec;
        sc.call([](rh::client& c, auto token) { return c.query("1800000000000000001", token); }, ec);
        std::string what = ec == rh::errc::invalid_options ? "invalid_options" : "call(fn, ec): " + ec.message();
        try {
            sc.query("1800000000000000001");
            what += ", no error";
        } catch (const rh::error& e) {
            what += e.code() == rh::errc::invalid_options ? ", invalid_options" : std::string(", ") + e.what();
        }
        what += sc.stats().queries == 0 ? ", stats" : ", stats counted a query";  // read there directly
        refused.set_value(what);
    });
    auto answer = refused.get_future();
    BOOST_TEST_REQUIRE((answer.wait_for(std::chrono::seconds(30)) == std::future_status::ready),
                       "a blocking call from the facade's own thread deadlocked");
    BOOST_TEST(answer.get() == "invalid_options, invalid_options, stats");
    auto o = fast_client(emu);
    o.single_threaded = true;
    BOOST_CHECK_THROW(rh::sync_client{o}, rh::error);
}

BOOST_AUTO_TEST_SUITE_END()
