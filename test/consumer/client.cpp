// SPDX-License-Identifier: BSL-1.0
// A separate project that uses only the client (no emulator): one task end to
// end against the service named by RUNNINGHUB_BASE_URL (a standalone emulator
// in the tests). Built by find_package, pkg-config and the subproject tests.
#include <runninghub/client.hpp>
#include <runninghub/version.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <iostream>

int main() {
    boost::asio::io_context io;
    auto opts = runninghub::client_options::from_env();
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
    std::cout << "consumer (client only, " RUNNINGHUB_VERSION "): task " << status << "\n";
    return status == "SUCCESS" ? 0 : 1;
}
