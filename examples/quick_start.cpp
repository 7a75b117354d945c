// SPDX-License-Identifier: BSL-1.0
// Quick start: submit one task of an AI app, wait for its end, print its results.
#include "service.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <iostream>

namespace asio = boost::asio;
namespace rh = runninghub;

asio::awaitable<void> render(rh::client& client) {
    rh::ai_app app("1877265245566922753");
    std::vector<rh::node_input> inputs{{"9", "text", "a cat in a hat"}};  // named: see README on g++ 12
    rh::task task = co_await client.run(app, std::move(inputs));          // POST /openapi/v2/run/ai-app/{id}
    std::cout << "task " << task.id << " accepted\n";
    rh::task done = co_await client.wait(task.id);  // polls until SUCCESS; throws rh::error otherwise
    for (auto& r : done.results)
        std::cout << "node " << r.node_id << ": " << (r.text ? *r.text : r.url) << "\n";
}

int main() {
    examples::service svc;
    asio::io_context io;
    rh::client client(io.get_executor(), svc.options);
    int status = 0;
    asio::co_spawn(io, render(client), [&](std::exception_ptr ep) {
        try {
            if (ep)
                std::rethrow_exception(ep);
        } catch (const rh::error& e) {
            std::cerr << "failed: " << e.what() << "\n";  // the service's code and message, never the key
            status = 1;
        }
    });
    io.run();
    return status;
}
