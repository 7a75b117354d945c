// SPDX-License-Identifier: BSL-1.0
// Without coroutines: the same operations with a callback, and with
// std::future from a thread that does not run the io_context.
#include "service.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <iostream>
#include <thread>

namespace asio = boost::asio;
namespace rh = runninghub;

int main() {
    examples::service svc;
    asio::io_context io;
    auto work = asio::make_work_guard(io);
    std::thread runner([&] { io.run(); });  // the client's operations complete on this thread
    rh::client client(io.get_executor(), svc.options);
    int status = 0;

    // 1. Callbacks: the handler gets the error_code and the task (with its diagnostics).
    std::promise<void> finished;
    std::vector<rh::node_input> inputs{{"9", "text", "a lighthouse at dusk"}};
    client.run(rh::ai_app("1877265245566922753"), std::move(inputs), {}, [&](rh::error_code ec, rh::task t) {
        if (ec) {
            std::cerr << "submit failed: " << ec.message() << " (" << t.diag.server_message << ")\n";
            status = 1;
            return finished.set_value();
        }
        client.wait(t.id, {}, [&](rh::error_code ec, rh::task done) {
            std::cout << "callback: task " << done.id << " " << rh::to_string(done.status)
                      << (ec ? " (" + ec.message() + ")" : "") << "\n";
            status |= ec ? 1 : 0;
            finished.set_value();
        });
    });
    finished.get_future().wait();

    // 2. Futures: block this thread on the result; an error arrives as an exception.
    try {
        std::vector<rh::node_input> more{{"9", "text", "a fox in the snow"}};
        rh::task t = client.run(rh::ai_app("1877265245566922753"), std::move(more), {}, asio::use_future).get();
        rh::task done = client.wait(t.id, {}, asio::use_future).get();
        std::cout << "future: task " << done.id << " " << rh::to_string(done.status) << ", "
                  << done.results.size() << " result(s)\n";
    } catch (const rh::error& e) {
        std::cerr << "failed: " << e.what() << "\n";
        status = 1;
    }

    work.reset();
    runner.join();
    return status;
}
