// SPDX-License-Identifier: BSL-1.0
// One io_context and one client per thread, the layout of a server that pins
// a thread per core: each client is used only from its own thread, so it may
// drop its internal strand (client_options::single_threaded), the fastest way
// to run. The threads share nothing but the account (and its concurrency).
#include "service.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <iostream>
#include <thread>

namespace asio = boost::asio;
namespace rh = runninghub;

int main() {
    examples::service svc;
    std::atomic<int> succeeded{0};
    std::vector<std::thread> threads;
    for (int n = 0; n < 2; ++n)
        threads.emplace_back([&, n] {
            asio::io_context io(1);  // one thread: Asio may skip its own locking too
            auto options = svc.options;
            options.single_threaded = true;  // every operation is started and completes on this thread
            rh::client client(io.get_executor(), options);
            for (int i = 0; i < 3; ++i)
                asio::co_spawn(io, [&, i]() -> asio::awaitable<void> {
                    auto prompt = "thread " + std::to_string(n) + ", task " + std::to_string(i);
                    std::vector<rh::node_input> in{{"9", "text", prompt.c_str()}};
                    auto t = co_await client.run(rh::ai_app("1877265245566922753"), std::move(in));
                    auto done = co_await client.wait(t.id);
                    succeeded += done.status == rh::task_status::success;
                }, asio::detached);
            io.run();
        });
    for (auto& t : threads)
        t.join();
    std::cout << succeeded << " of 6 tasks succeeded on 2 threads, one client each\n";
    return succeeded == 6 ? 0 : 1;
}
