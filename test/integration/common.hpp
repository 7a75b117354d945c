// SPDX-License-Identifier: BSL-1.0
#pragma once
// Shared helpers of the integration tests: everything over loopback sockets
// against the emulator.

#include "../print.hpp"

#include <runninghub/client.hpp>
#include <runninghub/emulator.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <functional>
#include <map>

namespace rh = runninghub;
namespace asio = boost::asio;
using namespace std::chrono_literals;

inline const std::string app_id = "1877265245566922753";
inline const std::string workflow_id = "1904136902449209346";
constexpr auto tuple_token = asio::as_tuple(asio::use_awaitable);

inline rh::emulator_options fast_emulator(rh::duration run_time = std::chrono::milliseconds(50)) {
    rh::emulator_options eo;
    eo.run_time = run_time;
    return eo;
}

inline rh::client_options fast_client(const rh::emulator& e) {
    auto o = e.make_client_options();
    o.poll.first_delay = 20ms;
    o.poll.interval = 20ms;
    o.poll.cap = 100ms;
    o.retry.query.base_delay = 5ms;
    o.retry.submit.base_delay = 5ms;
    o.retry.query.max_delay = 50ms;
    o.retry.submit.max_delay = 50ms;
    o.timeout.request = 20s;
    return o;
}

inline std::vector<rh::node_input> some_inputs() { return {{"9", "text", "a cat in a hat"}}; }

/// Runs a coroutine to its end on io (bounded in time) and rethrows its exception.
template <class F>
void run_test(asio::io_context& io, F&& f, std::chrono::seconds limit = 120s) {
    std::exception_ptr err;
    bool done = false;
    asio::co_spawn(io, std::forward<F>(f), [&](std::exception_ptr e) {
        err = e;
        done = true;
    });
    io.run_for(limit);
    BOOST_REQUIRE_MESSAGE(done, "the test coroutine did not finish in time");
    if (err)
        std::rethrow_exception(err);
}

inline asio::awaitable<void> sleep_for(rh::duration d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::use_awaitable);
}

/// Emits a terminal cancellation on `stop` after `delay` (a stop in the middle of a run).
inline void stop_after(asio::io_context& io, asio::cancellation_signal& stop, rh::duration delay) {
    asio::co_spawn(io, [&stop, delay]() -> asio::awaitable<void> {
        co_await sleep_for(delay);
        stop.emit(asio::cancellation_type::terminal);
    }, asio::detached);
}

inline double seconds_since(rh::time_point t) {
    return std::chrono::duration<double>(rh::clock::now() - t).count();
}

inline std::uint64_t requests_to(const rh::emulator& e, const std::string& endpoint) {
    auto c = e.counters();
    auto it = c.requests.find(endpoint);
    return it == c.requests.end() ? 0 : it->second;
}

/// An emulator, an io_context and a client of it (fast test settings).
struct harness {
    explicit harness(rh::emulator_options eo = fast_emulator()) : emu(std::move(eo)), c(io.get_executor(), fast_client(emu)) {}
    /// `tweak` adjusts the client's options before the client is made.
    template <class Tweak>
    harness(rh::emulator_options eo, Tweak tweak)
        : emu(std::move(eo)), c(io.get_executor(), [&] {
              auto o = fast_client(emu);
              tweak(o);
              return o;
          }()) {}
    rh::emulator emu;
    asio::io_context io;
    rh::client c;
};
