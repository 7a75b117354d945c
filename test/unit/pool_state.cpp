// SPDX-License-Identifier: BSL-1.0
// The pool's bookkeeping with a manual clock and ints for connections and
// waiters: no sockets.
#include "core/pool_state.hpp"

#include <boost/asio/error.hpp>
#include <boost/test/unit_test.hpp>

BOOST_TEST_DONT_PRINT_LOG_VALUE(runninghub::detail::close_cause)

using namespace runninghub;
using namespace runninghub::detail;
using namespace std::chrono_literals;

namespace {

using state = pool_state<int, int>;
using action = state::acquire_action;

pool_options limits(std::size_t max, duration idle = 20s, std::size_t max_requests = 0) {
    pool_options o;
    o.max_connections = max;
    o.idle_timeout = idle;
    o.max_requests_per_connection = max_requests;
    return o;
}

// A pool and a clock that only moves when told.
struct fixture {
    explicit fixture(pool_options o = limits(2)) : st(o, stats) {}
    pool_stats stats;
    state st;
    time_point now = time_point{} + 1h;

    // Takes a slot, as if to open the connection named by the argument.
    void open(int) { BOOST_TEST_REQUIRE((st.acquire(now, false).action == action::open)); }
    // Gives c back kept-alive; it must be parked.
    void park(int c, std::size_t served = 1) {
        auto r = st.release(c, exchange_end::keep_alive, served, now);
        BOOST_TEST_REQUIRE(!r.to_close);
        BOOST_TEST_REQUIRE(!r.granted);
    }
};

bool is(const state::acquire_result& a, action want) { return a.action == want; }

} // namespace

BOOST_AUTO_TEST_SUITE(pool_state_tests)

BOOST_AUTO_TEST_CASE(reuse_is_lifo) {
    fixture f;
    f.open(1);
    f.open(2);
    f.park(1);
    f.now += 10ms;
    f.park(2);
    auto a = f.st.acquire(f.now, false);
    BOOST_TEST(is(a, action::reuse));
    BOOST_TEST(*a.conn == 2);  // the most recently used
    auto b = f.st.acquire(f.now, false);
    BOOST_TEST(is(b, action::reuse));
    BOOST_TEST(*b.conn == 1);
    BOOST_TEST(f.st.open() == 2u);
    BOOST_TEST(f.st.idle() == 0u);
}

BOOST_AUTO_TEST_CASE(opens_up_to_max_then_waits) {
    fixture f(limits(3));
    for (int i = 0; i < 3; ++i)
        BOOST_TEST(is(f.st.acquire(f.now, false), action::open));
    BOOST_TEST(f.st.open() == 3u);
    BOOST_TEST(is(f.st.acquire(f.now, false), action::wait));
    BOOST_TEST(f.st.open() == 3u);
}

BOOST_AUTO_TEST_CASE(waiters_are_granted_in_arrival_order) {
    fixture f(limits(1));
    f.open(1);
    for (int w : {10, 11, 12}) {
        BOOST_TEST(is(f.st.acquire(f.now, false), action::wait));
        f.st.wait(w);
    }
    BOOST_TEST(f.stats.waiters_now == 3u);
    BOOST_TEST(f.stats.waiters_peak == 3u);
    for (int w : {10, 11, 12}) {
        auto r = f.st.release(1, exchange_end::keep_alive, 1, f.now);
        BOOST_TEST(!r.to_close);
        BOOST_TEST_REQUIRE(r.granted.has_value());
        BOOST_TEST(r.granted->waiter == w);
        BOOST_TEST(*r.granted->handed == 1);
    }
    BOOST_TEST(f.stats.waiters_now == 0u);
    BOOST_TEST(f.stats.waiters_peak == 3u);
    BOOST_TEST(f.st.open() == 1u);
}

BOOST_AUTO_TEST_CASE(a_waiter_that_gives_up_leaves_the_queue) {
    fixture f(limits(1));
    f.open(1);
    f.st.wait(10);
    f.st.wait(11);
    f.st.cancel_wait(10);
    BOOST_TEST(f.stats.waiters_now == 1u);
    f.st.cancel_wait(10);  // not queued any more: no change
    BOOST_TEST(f.stats.waiters_now == 1u);
    auto r = f.st.release(1, exchange_end::keep_alive, 1, f.now);
    BOOST_TEST_REQUIRE(r.granted.has_value());
    BOOST_TEST(r.granted->waiter == 11);
}

BOOST_AUTO_TEST_CASE(an_unusable_connection_grants_its_slot) {
    for (auto end : {exchange_end::peer_closes, exchange_end::failed, exchange_end::timed_out}) {
        fixture f(limits(1));
        f.open(1);
        f.st.wait(10);
        auto r = f.st.release(1, end, 1, f.now);
        BOOST_TEST_REQUIRE(r.to_close.has_value());
        BOOST_TEST(*r.to_close == 1);
        BOOST_TEST_REQUIRE(r.granted.has_value());
        BOOST_TEST(r.granted->waiter == 10);
        BOOST_TEST(!r.granted->handed);  // a slot: the waiter opens its own
        BOOST_TEST(f.st.open() == 1u);
    }
    // Without waiters the pool shrinks.
    fixture f(limits(1));
    f.open(1);
    auto r = f.st.release(1, exchange_end::failed, 1, f.now);
    BOOST_TEST(r.to_close.has_value());
    BOOST_TEST(!r.granted);
    BOOST_TEST(f.st.open() == 0u);
}

BOOST_AUTO_TEST_CASE(a_failed_open_gives_its_slot_to_a_waiter) {
    fixture f(limits(1));
    f.open(1);
    f.st.wait(10);
    auto w = f.st.release_slot();
    BOOST_TEST_REQUIRE(w.has_value());
    BOOST_TEST(*w == 10);
    BOOST_TEST(f.st.open() == 1u);
    BOOST_TEST(!f.st.release_slot());
    BOOST_TEST(f.st.open() == 0u);
    BOOST_TEST(f.stats.closed_error == 0u);  // nothing was open: nothing counted
}

BOOST_AUTO_TEST_CASE(idle_connections_expire_lazily) {
    fixture f(limits(4, 20s));
    f.open(1);
    f.open(2);
    f.park(1);
    f.now += 5s;
    f.park(2);
    f.now += 15s;  // 1 has been idle 20 s, 2 for 15 s
    auto gone = f.st.expire(f.now);
    BOOST_TEST(gone == std::vector<int>{1});
    BOOST_TEST(f.st.open() == 1u);
    BOOST_TEST(f.st.idle() == 1u);
    BOOST_TEST(f.stats.closed_idle == 1u);
    BOOST_TEST(f.st.expire(f.now).empty());
    f.now += 5s;
    BOOST_TEST(f.st.expire(f.now) == std::vector<int>{2});
    BOOST_TEST(f.st.open() == 0u);
    BOOST_TEST(f.stats.closed_idle == 2u);
}

BOOST_AUTO_TEST_CASE(idle_connections_are_trimmed_once_after_a_while) {
    fixture f(limits(3));
    std::vector<int> trimmed;
    auto trim = [&](int c) { trimmed.push_back(c); };
    f.open(1);
    f.open(2);
    f.open(3);
    f.park(1);
    f.now += 400ms;
    f.park(2);
    f.st.trim_idle(f.now, 1s, trim);
    BOOST_TEST(trimmed.empty());  // in use a moment ago: keeps its buffers
    f.now += 700ms;               // 1 idle 1.1 s, 2 idle 0.7 s
    f.st.trim_idle(f.now, 1s, trim);
    BOOST_TEST(trimmed == std::vector<int>{1});
    f.st.trim_idle(f.now, 1s, trim);
    BOOST_TEST(trimmed == std::vector<int>{1});  // once while it stays idle
    // Reuse takes the warmest (2, untrimmed); 1 is lent, parked again and trimmed again later.
    BOOST_TEST(*f.st.acquire(f.now, false).conn == 2);
    BOOST_TEST(*f.st.acquire(f.now, false).conn == 1);
    f.park(1);
    f.park(3);
    f.now += 1s;
    f.st.trim_idle(f.now, 1s, trim);
    BOOST_TEST((trimmed == std::vector<int>{1, 1, 3}));
    // Expiry removes the trimmed prefix; a later parked connection is trimmed in its turn.
    f.now += 20s;
    BOOST_TEST(f.st.expire(f.now).size() == 2u);
    f.park(2);
    f.now += 1s;
    f.st.trim_idle(f.now, 1s, trim);
    BOOST_TEST((trimmed == std::vector<int>{1, 1, 3, 2}));
}

BOOST_AUTO_TEST_CASE(idle_timeout_zero_never_expires) {
    fixture f(limits(1, 0s));
    f.open(1);
    f.park(1);
    f.now += 24h;
    BOOST_TEST(f.st.expire(f.now).empty());
    auto a = f.st.acquire(f.now, false);
    BOOST_TEST(is(a, action::reuse));
}

BOOST_AUTO_TEST_CASE(acquire_closes_an_expired_connection_it_meets) {
    fixture f(limits(1, 1s));
    f.open(1);
    f.park(1);
    f.now += 1s;  // the caller did not expire() first
    auto a = f.st.acquire(f.now, false);
    BOOST_TEST(is(a, action::close));
    BOOST_TEST(a.cause == close_cause::idle);
    BOOST_TEST(f.stats.closed_idle == 1u);
    BOOST_TEST(is(f.st.acquire(f.now, false), action::open));
}

BOOST_AUTO_TEST_CASE(max_requests_per_connection) {
    fixture f(limits(1, 20s, 3));
    f.open(1);
    f.park(1, 2);
    BOOST_TEST(is(f.st.acquire(f.now, false), action::reuse));
    auto r = f.st.release(1, exchange_end::keep_alive, 3, f.now);
    BOOST_TEST(r.to_close.has_value());
    BOOST_TEST(r.cause == close_cause::max_requests);
    BOOST_TEST(f.stats.closed_max_requests == 1u);
    BOOST_TEST(f.st.open() == 0u);
    // A worn connection that the peer closes anyway counts as closed by the peer.
    f.open(2);
    f.st.release(2, exchange_end::peer_closes, 3, f.now);
    BOOST_TEST(f.stats.closed_by_peer == 1u);
    BOOST_TEST(f.stats.closed_max_requests == 1u);
}

BOOST_AUTO_TEST_CASE(a_connection_found_closed_at_reuse_is_closed_by_peer) {
    fixture f;
    f.open(1);
    f.park(1);
    f.now += 1ms;  // any idle time: the caller checks every reuse (issue 11 item 2)
    auto a = f.st.acquire(f.now, false);
    BOOST_TEST(is(a, action::reuse));
    // The check found it closed: the caller gives it back as closed by the peer.
    auto r = f.st.release(*a.conn, exchange_end::peer_closes, 1, f.now);
    BOOST_TEST(r.to_close.has_value());
    BOOST_TEST(r.cause == close_cause::by_peer);
    BOOST_TEST(f.stats.closed_by_peer == 1u);
    BOOST_TEST(f.st.open() == 0u);
}

BOOST_AUTO_TEST_CASE(force_fresh_closes_idle_connections) {
    fixture f(limits(2));
    f.open(1);
    f.open(2);
    f.park(1);
    f.park(2);
    auto a = f.st.acquire(f.now, true);
    BOOST_TEST(is(a, action::close));
    BOOST_TEST(a.cause == close_cause::by_peer);
    a = f.st.acquire(f.now, true);
    BOOST_TEST(is(a, action::close));
    BOOST_TEST(is(f.st.acquire(f.now, true), action::open));
    BOOST_TEST(f.stats.closed_by_peer == 2u);
    BOOST_TEST(f.st.open() == 1u);
}

BOOST_AUTO_TEST_CASE(shutdown_closes_idle_and_stops_granting) {
    fixture f(limits(2));
    f.open(1);
    f.open(2);
    f.park(1);
    f.st.wait(10);
    auto idle = f.st.shutdown();
    BOOST_TEST(idle == std::vector<int>{1});
    BOOST_TEST(f.st.shut());
    BOOST_TEST(f.st.open() == 1u);
    BOOST_TEST(f.st.waiters().size() == 1u);  // woken by the caller, leaves by itself
    // A connection given back now is closed, not parked nor granted.
    auto r = f.st.release(2, exchange_end::keep_alive, 1, f.now);
    BOOST_TEST(r.to_close.has_value());
    BOOST_TEST(r.cause == close_cause::shutdown);
    BOOST_TEST(!r.granted);
    BOOST_TEST(f.st.open() == 0u);
    f.st.cancel_wait(10);
    BOOST_TEST(f.stats.waiters_now == 0u);
    // Shutdown closes count as nothing.
    BOOST_TEST(f.stats.closed_by_peer + f.stats.closed_error + f.stats.closed_idle + f.stats.closed_timeout +
                   f.stats.closed_max_requests ==
               0u);
}

BOOST_AUTO_TEST_CASE(stats_count_every_close_by_cause) {
    pool_stats shared;
    state a(limits(4), shared), b(limits(4), shared);  // two origins, one set of counters
    time_point now{};
    for (auto* st : {&a, &b})
        for (int i = 0; i < 4; ++i)
            st->acquire(now, false);
    a.release(1, exchange_end::failed, 1, now);
    a.release(2, exchange_end::timed_out, 1, now);
    b.release(3, exchange_end::peer_closes, 1, now);
    b.release(4, exchange_end::keep_alive, 1, now);
    a.wait(1);
    b.wait(2);
    BOOST_TEST(shared.closed_error == 1u);
    BOOST_TEST(shared.closed_timeout == 1u);
    BOOST_TEST(shared.closed_by_peer == 1u);
    BOOST_TEST(shared.waiters_now == 2u);
    BOOST_TEST(shared.waiters_peak == 2u);  // the client's peak, across origins
    BOOST_TEST(a.open() + b.open() == 5u);  // 8 opened, 3 closed
    BOOST_TEST(a.idle() + b.idle() == 1u);
}

BOOST_AUTO_TEST_CASE(stale_repeat_rule) {
    time_point now = time_point{} + 1h, deadline = now + 1s;
    failed_exchange base;
    base.ec = boost::asio::error::connection_reset;
    base.reused = true;
    BOOST_TEST(repeat_on_fresh_connection(base, now, deadline));
    struct row {
        const char* what;
        void (*change)(failed_exchange&);
        bool repeat;
    };
    const row rows[] = {
        {"a fresh connection", [](failed_exchange& f) { f.reused = false; }, false},
        {"response bytes came", [](failed_exchange& f) { f.got_response_bytes = true; }, false},
        {"already repeated", [](failed_exchange& f) { f.attempt = 1; }, false},
        {"read timeout", [](failed_exchange& f) { f.ec = make_error_code(errc::read_timeout); }, false},
        {"write timeout", [](failed_exchange& f) { f.ec = make_error_code(errc::write_timeout); }, false},
        {"the source's error", [](failed_exchange& f) { f.ec = make_error_code(errc::file_error); }, false},
        {"cancelled", [](failed_exchange& f) { f.ec = boost::asio::error::operation_aborted; }, false},
        {"written, not idempotent", [](failed_exchange& f) { f.request_written = true; }, false},
        {"written, idempotent",
         [](failed_exchange& f) {
             f.request_written = true;
             f.idempotent = true;
         },
         true},
        {"eof", [](failed_exchange& f) { f.ec = boost::asio::error::eof; }, true},
        {"broken pipe", [](failed_exchange& f) { f.ec = boost::asio::error::broken_pipe; }, true},
    };
    for (auto& r : rows) {
        failed_exchange f = base;
        r.change(f);
        BOOST_TEST(repeat_on_fresh_connection(f, now, deadline) == r.repeat, r.what);
    }
    BOOST_TEST(!repeat_on_fresh_connection(base, deadline, deadline));  // no time left
}

BOOST_AUTO_TEST_SUITE_END()
