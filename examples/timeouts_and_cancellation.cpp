// SPDX-License-Identifier: BSL-1.0
// Deadlines and cancellation: a wait that times out, a wait cancelled through
// its cancellation slot, and run_and_wait's one deadline that also cancels the
// task at the service. A timed-out or cancelled wait leaves the task running
// (and billed) at the service: cancel it, or wait again later.
#include "service.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <iostream>

namespace asio = boost::asio;
namespace rh = runninghub;
using namespace std::chrono_literals;
constexpr auto tuple = asio::as_tuple(asio::use_awaitable);  // (error_code, value): no exception

asio::awaitable<int> demo(rh::client& client) {
    rh::ai_app app("1877265245566922753");
    int failures = 0;

    // 1. A wait with a timeout: errc::wait_timeout, with the last state seen.
    std::vector<rh::node_input> in1{{"9", "text", "a slow render"}};
    rh::task t = co_await client.run(app, std::move(in1));
    rh::wait_options brief;
    brief.timeout = 300ms;
    auto [ec, seen] = co_await client.wait(t.id, brief, tuple);
    std::cout << "wait with a 300 ms timeout: " << ec.message() << ", last seen " << rh::to_string(seen.status) << "\n";
    failures += ec != rh::errc::wait_timeout;
    auto [cec, cancelled] = co_await client.cancel(t.id, tuple);  // the service stops it (and its billing)
    std::cout << "cancel: " << (cec ? cec.message() : "accepted") << "\n";

    // 2. Per-operation cancellation: any operation stops when its slot is signalled.
    std::vector<rh::node_input> in2{{"9", "text", "another slow render"}};
    t = co_await client.run(app, std::move(in2));
    asio::cancellation_signal stop;
    asio::steady_timer timer(co_await asio::this_coro::executor, 200ms);
    timer.async_wait([&](auto) { stop.emit(asio::cancellation_type::terminal); });
    std::tie(ec, seen) = co_await client.wait(t.id, {}, asio::bind_cancellation_slot(stop.slot(), tuple));
    std::cout << "wait cancelled after 200 ms: " << ec.message() << "\n";
    failures += ec != asio::error::operation_aborted;
    co_await client.cancel(t.id, tuple);

    // 3. run_and_wait: one deadline over the queue, the submit and the wait; on it
    //    the accepted task is cancelled at the service, and the result says so.
    rh::run_and_wait_options one_second;
    one_second.timeout = 1s;
    std::vector<rh::node_input> in3{{"9", "text", "a render that must be quick"}};
    auto [rec, r] = co_await client.run_and_wait(app, std::move(in3), {}, one_second, tuple);
    std::cout << "run_and_wait with a 1 s deadline: " << (rec ? rec.message() : "SUCCESS") << ", task "
              << r.t.id << (r.cancel_confirmed ? ", cancelled at the service" : "") << "\n";
    failures += rec && rec != rh::errc::deadline_exceeded;
    co_return failures;
}

int main() {
    rh::emulator_options slow;
    slow.run_time = 3s;  // the emulator's tasks outlast the deadlines above
    examples::service svc(slow);
    asio::io_context io;
    rh::client client(io.get_executor(), svc.options);
    int status = 1;
    asio::co_spawn(io, demo(client), [&](std::exception_ptr ep, int failures) {
        try {
            if (ep)
                std::rethrow_exception(ep);
            status = failures ? 1 : 0;
        } catch (const rh::error& e) {
            std::cerr << "failed: " << e.what() << "\n";
        }
    });
    io.run();
    return status;
}
