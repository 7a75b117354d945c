// SPDX-License-Identifier: BSL-1.0
// A separate project built against the installed package: one task end to end.
#include <runninghub/client.hpp>
#include <runninghub/emulator.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <iostream>

int main() {
    runninghub::emulator emu;
    boost::asio::io_context io;
    auto opts = emu.make_client_options();
    opts.poll.first_delay = std::chrono::milliseconds(50);
    opts.poll.interval = std::chrono::milliseconds(50);
    runninghub::client client(io.get_executor(), opts);
    std::string status;
    boost::asio::co_spawn(io, [&]() -> boost::asio::awaitable<void> {
        runninghub::ai_app app("1877265245566922753");
        std::vector<runninghub::node_input> inputs{{"9", "text", "hello"}};
        auto task = co_await client.run(app, std::move(inputs));
        auto done = co_await client.wait(task.id);
        status = std::string(runninghub::to_string(done.status));
    }, [](std::exception_ptr ep) { if (ep) std::rethrow_exception(ep); });
    io.run();
    std::cout << "consumer: task " << status << "\n";
    return status == "SUCCESS" ? 0 : 1;
}
